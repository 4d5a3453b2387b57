/**
 * `opsdeck backups drill`: prove that a snapshot restores into a working service, and measure
 * how long that takes. The snapshot's data is restored into a sandbox (`.opsdeck/drills/<id>`),
 * verified (SHA-256, SQLite integrity), the stack's code linked in, and the drilled services (and
 * the services they depend on) started there by a separate engine on free ports; once ready,
 * their dumps are loaded and their full-functionality checks run; then everything is stopped.
 * The recovery time (restore start to last check passing) is recorded and compared with each
 * service's RTO. The live stack is not touched.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { mkdtemp, open } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../clock';
import type { LoadedStack } from '../config/load';
import type { Engine } from '../engine';
import { OpsError } from '../errors';
import type { EventBus } from '../events';
import { integrityCheck, isDumpPath, restorePostgres, restoreCommand, STACK_SERVICE } from './adapters';
import { shortId } from '../format';
import type { BackupHistory, ObjectiveResult } from './history';
import type { BackupRepository, Snapshot } from './repo';
import { withDependencies } from './restore';
import { linkStack, mapPorts, sandboxStack } from './sandbox';
import type { DrillRequest, DrillRunResult } from './types';

export interface DrillContext {
  stack: LoadedStack;
  repo: BackupRepository;
  bus: EventBus;
  clock: Clock;
  history: BackupHistory;
  /** A separate engine for the sandbox stack (the Engine passes its own constructor). */
  createEngine(stack: LoadedStack): Engine;
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export async function runDrill(ctx: DrillContext, snap: Snapshot, req: DrillRequest): Promise<DrillRunResult> {
  const stack = ctx.stack;
  const inSnap = [...new Set(snap.entries.map((e) => e.service))].filter((s) => s !== STACK_SERVICE);
  let services = req.services?.length ? req.services : inSnap.filter((s) => stack.config.services[s]);
  const unknown = services.filter((s) => !stack.config.services[s]);
  if (unknown.length) throw new OpsError('SERVICE_UNKNOWN', `no service named ${unknown.join(', ')} in stack ${stack.config.name}`, `the services are ${Object.keys(stack.config.services).join(', ')}`);
  const absent = services.filter((s) => !inSnap.includes(s));
  if (absent.length) throw new OpsError('BAD_REQUEST', `snapshot ${shortId(snap.id)} holds no data of ${absent.join(', ')}`, `it holds ${inSnap.join(', ') || 'no service data'}`);
  services = [...services];
  if (!services.length) throw new OpsError('BAD_REQUEST', `snapshot ${shortId(snap.id)} holds no service data to drill`, 'declare `backup:` for a service and run `opsdeck backup`');
  const started = withDependencies(stack, services);
  const timeoutMs = req.healthTimeoutMs ?? 60_000;

  const root = path.join(stack.dir, '.opsdeck', 'drills');
  mkdirSync(root, { recursive: true });
  const sandbox = await mkdtemp(path.join(root, `${shortId(snap.id)}-`));
  const svcName = services.length === 1 ? services[0]! : 'stack';
  ctx.bus.emit({ type: 'drill', at: ctx.clock.now(), service: svcName, phase: 'started', snapshot: snap.id, services });
  const t0 = performance.now();
  let engine: Engine | undefined;
  const phases = { restoreMs: 0, startMs: 0, checkMs: 0 };
  const checks: DrillRunResult['checks'] = [];
  let ports = new Map<number, number>();
  try {
    // Restore: every drilled or started service's data, into the sandbox at its stack path.
    const withData = started.filter((s) => inSnap.includes(s));
    const report = await ctx.repo.restore(snap.id, { target: path.join(sandbox, '.opsdeck', 'restore'), services: withData, serviceTargets: Object.fromEntries(withData.map((s) => [s, sandbox])), overwrite: false });
    const fileCount = snap.entries.filter((e) => withData.includes(e.service) && e.type === 'file').length;
    if (report.verified < fileCount) throw new OpsError('BACKUP_DATA_CORRUPT', `only ${report.verified} of ${fileCount} restored files were verified`, 'run `opsdeck backups verify --read-data`');
    for (const e of snap.entries) {
      if (!withData.includes(e.service) || e.type !== 'file' || isDumpPath(e.path)) continue;
      const file = path.join(sandbox, ...e.path.split('/'));
      if (!(await hasSqliteMagic(file))) continue;
      const check = await integrityCheck(file);
      if (!check.ok) throw new OpsError('BACKUP_DATA_CORRUPT', `restored SQLite database ${e.service}/${e.path} fails its integrity check: ${check.detail}`, 'restore an older snapshot');
    }
    await linkStack(stack, sandbox);
    phases.restoreMs = Math.round(performance.now() - t0);

    // Start in the sandbox on free ports.
    ports = await mapPorts(stack, started);
    const drillStack = sandboxStack(stack, sandbox, started, ports);
    engine = ctx.createEngine(drillStack);
    const t1 = performance.now();
    engine.up(started);
    for (const s of started) await waitReady(engine, s, timeoutMs);
    phases.startMs = Math.round(performance.now() - t1);

    // Load dumps, then every drilled service's check.
    const t2 = performance.now();
    for (const e of snap.entries) {
      if (!withData.includes(e.service) || e.type !== 'file' || !isDumpPath(e.path)) continue;
      const cfg = drillStack.config.services[e.service]?.backup;
      const file = path.join(sandbox, ...e.path.split('/'));
      const env = drillStack.config.services[e.service]!.env;
      if (e.path.startsWith('.opsdeck/postgres/') && cfg?.postgres) await restorePostgres(file, cfg.postgres, env);
      else if (e.path.startsWith('.opsdeck/command/') && cfg?.command?.restore) await restoreCommand(file, cfg.command, { cwd: path.resolve(sandbox, drillStack.config.services[e.service]!.cwd ?? '.'), env });
    }
    for (const s of services) {
      const r = await engine.supervisor.check(s);
      checks.push({ service: s, ok: r.ok, output: r.output.split('\n').pop() ?? '', durationMs: r.durationMs });
      if (!r.ok) throw new OpsError('BACKUP_RESTORE_FAILED', `${s}'s full-functionality check failed on the restored data: ${r.output.split('\n').pop() || 'no output'}`, `the sandbox is kept in ${sandbox}; its logs are in .opsdeck/logs there`);
    }
    const down = started.filter((s) => {
      const st = engine!.supervisor.service(s);
      return st.state !== 'ready' && !st.completed;
    });
    if (down.length) throw new OpsError('BACKUP_RESTORE_FAILED', `${down.join(', ')} stopped being ready during the checks`, `the sandbox is kept in ${sandbox}; its logs are in .opsdeck/logs there`);
    phases.checkMs = Math.round(performance.now() - t2);
    const recoveryMs = Math.round(performance.now() - t0);
    await engine.dispose();
    engine = undefined;
    if (!req.keep) rmSync(sandbox, { recursive: true, force: true });
    const obj: ObjectiveResult[] = services.map((s) => {
      const rtoMs = stack.config.services[s]!.rto;
      return rtoMs === undefined ? { service: s, recoveryMs } : { service: s, rtoMs, recoveryMs, withinRto: recoveryMs <= rtoMs };
    });
    const bytes = snap.entries.filter((e) => withData.includes(e.service)).reduce((n, e) => n + (e.type === 'file' ? e.size : 0), 0);
    ctx.history.addRecovery({ at: ctx.clock.now(), kind: 'drill', mode: 'sandbox', snapshot: snap.id, services, ok: true, recoveryMs, phases, bytes, files: report.files, objectives: obj });
    const withRto = obj.filter((o) => o.rtoMs !== undefined);
    const rto = withRto.length ? { rtoMs: Math.min(...withRto.map((o) => o.rtoMs!)), withinRto: withRto.every((o) => o.withinRto) } : {};
    ctx.bus.emit({ type: 'drill', at: ctx.clock.now(), service: svcName, phase: 'completed', snapshot: snap.id, services, recoveryMs, ...rto });
    return { ok: true, snapshot: snap.id, snapshotTime: snap.time, services, started, sandbox, kept: !!req.keep, ports: Object.fromEntries([...ports].map(([a, b]) => [String(a), b])), recoveryMs, phases, objectives: obj, checks };
  } catch (e) {
    const recoveryMs = Math.round(performance.now() - t0);
    await engine?.dispose().catch(() => undefined);
    const error = (e as Error).message;
    ctx.history.addRecovery({ at: ctx.clock.now(), kind: 'drill', mode: 'sandbox', snapshot: snap.id, services, ok: false, recoveryMs, phases, bytes: 0, files: 0, objectives: [], error });
    ctx.bus.emit({ type: 'drill', at: ctx.clock.now(), service: svcName, phase: 'failed', snapshot: snap.id, services, error });
    throw new OpsError('BACKUP_RESTORE_FAILED', `recovery drill of snapshot ${shortId(snap.id)} failed: ${error}`, `the sandbox is kept for a look: ${sandbox} (logs in its .opsdeck/logs); remove it when done`, { sandbox, checks });
  }
}

async function hasSqliteMagic(file: string): Promise<boolean> {
  try {
    const fh = await open(file, 'r');
    try {
      const buf = Buffer.alloc(16);
      const { bytesRead } = await fh.read(buf, 0, 16, 0);
      return bytesRead === 16 && buf.equals(SQLITE_MAGIC);
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
}

/** Ready (or completed); a failed service, or the time running out, is an error naming its state. */
export async function waitReady(engine: Engine, service: string, timeoutMs: number): Promise<void> {
  const sup = engine.supervisor;
  const snap = sup.service(service);
  if (snap.state === 'ready' || snap.completed) return;
  try {
    const s = await sup.waitFor(service, ['ready', 'failed'], timeoutMs);
    if (s.state === 'failed') throw new Error(`${service} failed: ${s.reason}`);
  } catch (e) {
    const s = sup.service(service);
    if (s.completed) return;
    throw new OpsError('BACKUP_RESTORE_FAILED', `${service} did not become ready: ${(e as Error).message.replace(/^.* did not reach [^ ]+ /, 'not ready ')}`, `see \`opsdeck logs ${service}\``);
  }
}
