/**
 * Every command of the extension (docs/extension-contract.md): the palette commands, the
 * Services tree's item actions and Create Stack. Each is callable with arguments so tests and
 * other commands need no UI (a service name, a profile name, a query…), and prompts for what
 * is missing otherwise. Work against the engine goes through the connection's ApiClient; long
 * operations show a progress notification. A failure shows an error with an action (Show Logs
 * for a service, else Show Engine Output); when the command was called with a string argument
 * (programmatically) the error is also rethrown to the caller.
 */
import * as vscode from 'vscode';
import type { EngineStatus, PlanResult } from '../../core/engine';
import type { StackHealth } from '../../core/health/summary';
import { isOpsError } from '../../core/errors';
import type { ProgressReport, Snapshot } from '../backup-api';
import type { EngineConnection } from '../engine-connection';
import type { MemorySearch } from '../memory-search';
import type { ServiceLogs } from '../service-logs';
import { ServiceItem } from '../services-tree';
import { isRunning } from '../status-model';

export interface CommandContext {
  connection: EngineConnection;
  memory: MemorySearch;
  logs: ServiceLogs;
  output: vscode.LogOutputChannel;
  /** Show a health check's result (notifications.ts: deduplicated like other notifications). */
  showHealth(health: StackHealth): void;
  /** Write an opsdeck.yaml into a workspace folder and use it. */
  createStack(folder?: vscode.Uri): Promise<vscode.Uri | undefined>;
}

/** How long Start Stack waits for the stack to settle (ready or failed) before returning. */
const SETTLE_TIMEOUT_MS = 120_000;

/** A service name from a command argument: a name, a tree item, or an object with a name. */
export function serviceName(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg instanceof ServiceItem) return arg.service.name;
  if (arg && typeof arg === 'object') {
    const o = arg as { service?: unknown; name?: unknown };
    if (typeof o.service === 'string') return o.service;
    if (o.service && typeof o.service === 'object' && typeof (o.service as { name?: unknown }).name === 'string') return (o.service as { name: string }).name;
    if (typeof o.name === 'string') return o.name;
  }
  return undefined;
}

export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  const { connection, memory, logs, output } = ctx;
  const client = () => connection.requireClient();

  const progress = <T>(title: string, work: (p: vscode.Progress<{ message?: string; increment?: number }>, token: vscode.CancellationToken) => Promise<T>, cancellable = false) =>
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Opsdeck: ${title}`, cancellable }, work);

  const services = (): EngineStatus['services'] => connection.status?.services ?? [];

  async function pickService(placeHolder: string, prefer: (s: EngineStatus['services'][number]) => boolean = () => true): Promise<string | undefined> {
    const list = services();
    if (list.length === 0) {
      await connection.refresh();
      if (services().length === 0) throw new Error('no services: the engine is not connected');
    }
    const sorted = [...services()].sort((a, b) => Number(prefer(b)) - Number(prefer(a)));
    const picked = await vscode.window.showQuickPick(
      sorted.map((s) => ({ label: s.name, description: `${s.state}${s.inProfile ? '' : ' · not in profile'}`, detail: s.reason })),
      { placeHolder, title: 'Opsdeck' },
    );
    return picked?.label;
  }

  /** Wait until no service of the profile is starting / in backoff (or the timeout). */
  async function settle(report: (m: string) => void): Promise<EngineStatus | undefined> {
    const busy = (s: EngineStatus | undefined) => !!s && s.services.some((x) => x.inProfile && (x.state === 'starting' || x.state === 'backoff' || x.state === 'stopping'));
    const now = await connection.refresh();
    if (!busy(now)) return now;
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(connection.status), SETTLE_TIMEOUT_MS);
      const sub = connection.onDidChangeStatus((s) => {
        if (!s) return finish(undefined);
        const pending = s.services.filter((x) => x.inProfile && x.state !== 'ready' && !x.completed).map((x) => `${x.name} ${x.state}`);
        if (pending.length) report(pending.join(', '));
        if (!busy(s)) finish(s);
      });
      function finish(s: EngineStatus | undefined) {
        clearTimeout(timer);
        sub.dispose();
        resolve(s);
      }
    });
  }

  function failedService(s: EngineStatus | undefined): string | undefined {
    return s?.services.find((x) => x.inProfile && (x.state === 'failed' || x.health === 'CRITICAL'))?.name;
  }

  const handlers: Record<string, (...args: unknown[]) => Promise<unknown>> = {
    'opsdeck.searchMemory': async (query) => {
      if (typeof query === 'string') return memory.search(query);
      await memory.pick();
      return undefined;
    },

    'opsdeck.switchProfile': async (arg) => {
      let name = typeof arg === 'string' ? arg : undefined;
      if (!name) {
        const info = await client().profiles();
        if (info.profiles.length === 0) {
          void vscode.window.showInformationMessage('Opsdeck: this stack defines no profiles (every service runs).');
          return undefined;
        }
        const picked = await vscode.window.showQuickPick(
          info.profiles.map((p) => ({
            label: p.name,
            description: `${p.name === info.active ? '(active) ' : ''}${p.services.join(', ')}`,
            ...(p.description ? { detail: p.description } : {}),
            picked: p.name === info.active,
          })),
          { title: 'Opsdeck: Switch Profile', placeHolder: 'Profile to switch to (what runs is reconciled)' },
        );
        name = picked?.label;
      }
      if (!name) return undefined;
      const target = name;
      const result = await progress(`switching to profile ${target}…`, () => client().useProfile(target));
      await connection.refresh();
      vscode.window.setStatusBarMessage(`Opsdeck: profile ${target} (${describePlan(result)})`, 5000);
      return result;
    },

    'opsdeck.viewLogs': async (arg) => {
      const name = serviceName(arg) ?? (await pickService('Service whose log to follow'));
      if (!name) return undefined;
      logs.show(name);
      return undefined;
    },

    'opsdeck.startStack': async () => {
      let plan: PlanResult | undefined;
      const status = await progress('starting the stack…', async (p) => {
        plan = await client().up();
        p.report({ message: describePlan(plan) });
        return settle((m) => p.report({ message: m }));
      });
      const failed = failedService(status);
      if (failed) {
        void showFailure(new Error(`the stack started, but ${failed} is not healthy: ${status?.services.find((s) => s.name === failed)?.reason ?? ''}`), failed);
      } else if (status) {
        const ready = status.services.filter((s) => s.inProfile && (s.state === 'ready' || s.completed)).length;
        vscode.window.setStatusBarMessage(`Opsdeck: ${ready}/${status.services.filter((s) => s.inProfile).length} ready`, 5000);
      }
      return plan;
    },

    'opsdeck.stopStack': async () => {
      const result = await progress('stopping the stack…', () => client().down());
      await connection.refresh();
      return result;
    },

    'opsdeck.restartService': async (arg) => {
      const name = serviceName(arg) ?? (await pickService('Service to restart', isRunning));
      if (!name) return undefined;
      const result = await progress(`restarting ${name}…`, () => client().restart(name));
      await connection.refresh();
      return result;
    },

    'opsdeck.runHealthCheck': async (arg) => {
      // From a service's context menu (or with a name): only that service's check and health.
      const name = serviceName(arg);
      const health: StackHealth = await progress(`running ${name ? `${name}'s health check` : 'health checks'}…`, () => client().health(true, name ? [name] : undefined));
      ctx.showHealth(health);
      await connection.refresh();
      return health;
    },

    'opsdeck.backupNow': async () => {
      const api = backups();
      const result = await progress(
        'backing up…',
        (p, token) => withAbort(token, (signal) => api.create({}, signal, reporter(p))),
        true,
      );
      if (result === undefined) return undefined;
      const id = String(result.snapshot ?? result.id ?? result.snapshotId ?? '');
      const files = typeof result.files === 'number' ? `, ${result.files} files (${Number(result.filesNew ?? 0)} new, ${Number(result.filesChanged ?? 0)} changed)` : '';
      const added = typeof result.bytesAdded === 'number' ? `, ${formatBytes(result.bytesAdded)} added` : '';
      void vscode.window.showInformationMessage(`Opsdeck: backup done${id ? `: snapshot ${id.slice(0, 8)}` : ''}${files}${added}.`);
      return result;
    },

    'opsdeck.restoreBackup': async (snapshotArg, scopeArg) => {
      const api = backups();
      const programmatic = typeof snapshotArg === 'string';
      let snapshot = programmatic ? (snapshotArg as string) : undefined;
      if (!snapshot) {
        const list = await api.list();
        if (list.length === 0) {
          void vscode.window.showInformationMessage('Opsdeck: there are no backups to restore yet.');
          return undefined;
        }
        const picked = await vscode.window.showQuickPick(
          list.map((s: Snapshot) => ({ label: s.id.slice(0, 12), description: snapshotTime(s), detail: [s.services?.join(', '), s.tags?.join(', ')].filter(Boolean).join(' · '), id: s.id })),
          { title: 'Opsdeck: Restore from Backup', placeHolder: 'Snapshot to restore' },
        );
        snapshot = picked?.id;
      }
      if (!snapshot) return undefined;
      let scope: string[];
      if (Array.isArray(scopeArg)) scope = scopeArg.map(String);
      else if (typeof scopeArg === 'string') scope = scopeArg === 'all' ? [] : [scopeArg];
      else {
        const picked = await vscode.window.showQuickPick(
          [{ label: '$(layers) Whole stack', value: [] as string[] }, ...services().map((s) => ({ label: s.name, description: s.tier, value: [s.name] }))],
          { title: 'Opsdeck: Restore from Backup', placeHolder: 'What to restore' },
        );
        if (!picked) return undefined;
        scope = picked.value;
      }
      if (!programmatic) {
        const what = scope.length ? scope.join(', ') : 'the whole stack';
        const ok = await vscode.window.showWarningMessage(
          `Restore ${what} from snapshot ${snapshot.slice(0, 12)} in place?`,
          { modal: true, detail: 'The affected services are stopped, a safety snapshot is taken first, the data is restored and verified, and the services are started again. A failure rolls back to the safety snapshot.' },
          'Restore',
        );
        if (ok !== 'Restore') return undefined;
      }
      const id = snapshot;
      const only: string[] = scope;
      const result = await progress(`restoring ${id.slice(0, 12)}…`, (p, token) => withAbort(token, (signal) => api.restore(id, { services: only }, signal, reporter(p))), true);
      await connection.refresh();
      if (result !== undefined) void vscode.window.showInformationMessage(`Opsdeck: restored ${only.length ? only.join(', ') : 'the stack'} from ${id.slice(0, 12)}.`);
      return result;
    },

    'opsdeck.verifyBackups': async () => {
      const api = backups();
      const result = await progress('verifying backups…', (p, token) => withAbort(token, (signal) => api.verify({}, signal, reporter(p))), true);
      if (result === undefined) return undefined;
      const problems = Array.isArray(result.problems) ? (result.problems as unknown[]).map(String) : [];
      const ok = result.ok !== false && problems.length === 0;
      const counts = ['snapshots', 'packs', 'blobs'].filter((k) => typeof result[k] === 'number').map((k) => `${result[k]} ${k}`).join(', ');
      const text = ok ? `no problems${counts ? ` in ${counts}` : ''}` : `${problems.length || 'some'} problem${problems.length === 1 ? '' : 's'}${problems[0] ? `: ${problems[0]}` : ''}`;
      if (ok) void vscode.window.showInformationMessage(`Opsdeck: backups verified: ${text}.`);
      else void showFailure(new Error(`backup verification: ${text}`), undefined);
      return result;
    },

    'opsdeck.openDashboard': async () => vscode.commands.executeCommand('opsdeck.metrics.focus'),

    'opsdeck.showEngineOutput': async () => {
      output.show(true);
      return undefined;
    },

    'opsdeck.createStack': async (arg) => ctx.createStack(arg instanceof vscode.Uri ? arg : undefined),

    'opsdeck.service.start': async (arg) => {
      const name = serviceName(arg) ?? (await pickService('Service to start', (s) => !isRunning(s)));
      if (!name) return undefined;
      const result = await progress(`starting ${name}…`, () => client().start(name));
      await connection.refresh();
      return result;
    },
    'opsdeck.service.stop': async (arg) => {
      const name = serviceName(arg) ?? (await pickService('Service to stop', isRunning));
      if (!name) return undefined;
      const result = await progress(`stopping ${name}…`, () => client().stop(name));
      await connection.refresh();
      return result;
    },
    'opsdeck.service.restart': async (arg) => vscode.commands.executeCommand('opsdeck.restartService', serviceName(arg)),
    'opsdeck.service.logs': async (arg) => vscode.commands.executeCommand('opsdeck.viewLogs', serviceName(arg)),
  };

  function backups() {
    const api = connection.backups;
    if (api?.available) return api;
    throw Object.assign(new Error('backups are not available from this engine yet'), { hint: 'they come with a newer Opsdeck engine' });
  }

  async function showFailure(e: unknown, service: string | undefined): Promise<void> {
    const message = e instanceof Error ? e.message : String(e);
    const hint = isOpsError(e) ? e.hint : (e as { hint?: string } | undefined)?.hint;
    output.error(`${message}${hint ? ` (hint: ${hint})` : ''}`);
    const action = service ? 'Show Logs' : 'Show Engine Output';
    const pick = await vscode.window.showErrorMessage(`Opsdeck: ${message}${hint ? ` — ${hint}` : ''}`, action);
    if (pick) await vscode.commands.executeCommand(service ? 'opsdeck.service.logs' : 'opsdeck.showEngineOutput', ...(service ? [service] : []));
  }

  return Object.entries(handlers).map(([id, fn]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (e) {
        if (isCancel(e)) return undefined;
        const service = id === 'opsdeck.searchMemory' || id === 'opsdeck.switchProfile' ? undefined : serviceName(args[0]);
        void showFailure(e, service && services().some((s) => s.name === service) ? service : undefined);
        if (typeof args[0] === 'string') throw e;
        return undefined;
      }
    }),
  );
}

function describePlan(plan: PlanResult): string {
  if (plan.plan.length === 0) return 'nothing to do';
  const by = (a: string) => plan.plan.filter((p) => p.action === a).map((p) => p.service);
  return (['stop', 'restart', 'start'] as const)
    .map((a) => [a, by(a)] as const)
    .filter(([, s]) => s.length)
    .map(([a, s]) => `${a} ${s.join(', ')}`)
    .join('; ');
}

function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

function snapshotTime(s: Snapshot): string {
  if (typeof s.time === 'number') return new Date(s.time).toLocaleString();
  if (typeof s.time === 'string') return s.time;
  return '';
}

function reporter(p: vscode.Progress<{ message?: string; increment?: number }>): (r: ProgressReport) => void {
  let last = 0;
  return (r) => {
    const fraction = r.fraction === undefined ? undefined : Math.round(r.fraction * 100);
    const increment = fraction === undefined ? undefined : Math.max(0, fraction - last);
    if (fraction !== undefined) last = fraction;
    p.report({ ...(r.message ? { message: r.message } : {}), ...(increment ? { increment } : {}) });
  };
}

const CANCELLED = Symbol('cancelled');

/** Run `work` with an AbortSignal tied to the progress's cancellation; undefined when cancelled. */
async function withAbort<T>(token: vscode.CancellationToken, work: (signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
  const ac = new AbortController();
  const sub = token.onCancellationRequested(() => ac.abort(CANCELLED));
  try {
    return await work(ac.signal);
  } catch (e) {
    if (ac.signal.aborted) return undefined;
    throw e;
  } finally {
    sub.dispose();
  }
}

function isCancel(e: unknown): boolean {
  return e instanceof vscode.CancellationError || (e instanceof Error && e.name === 'AbortError');
}
