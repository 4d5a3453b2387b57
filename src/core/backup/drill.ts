/**
 * `opsdeck backups drill`: prove that a snapshot restores into a working service, and measure
 * how long that takes. The snapshot's data is restored into a sandbox (`.opsdeck/drills/<id>`),
 * verified (SHA-256, SQLite integrity), the stack's code linked in, and the drilled services (and
 * the services they depend on) started there by a separate engine on free ports; once ready,
 * their dumps are loaded and their full-functionality checks run; then everything is stopped.
 * The recovery time (restore start to last check passing) is recorded and compared with each
 * service's RTO. The live stack is not touched.
 */
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../clock';
import type { LoadedStack } from '../config/load';
import { OpsError } from '../errors';
import type { EventBus } from '../events';
import { withDependencies } from '../graph';
import { isDumpPath, isSqliteFile, restorePostgres, restoreCommand, SqliteChecks, STACK_SERVICE } from './adapters';
import { shortId } from '../format';
import type { BackupHistory } from './history';
import type { SandboxEngine } from './host';
import { recoveryObjectives, tightestRto } from './objectives';
import type { BackupRepository, Snapshot } from './repo';
import { linkStack, mapPorts, sandboxStack } from './sandbox';
import type { DrillRequest, DrillRunResult } from '../contract/backups';
import { privateDir } from '../private-files';

export interface DrillContext {
  stack: LoadedStack;
  repo: BackupRepository;
  bus: EventBus;
  clock: Clock;
  history: BackupHistory;
  /** A separate engine for the sandbox stack. */
  sandbox(stack: LoadedStack): SandboxEngine;
}

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
  const started = withDependencies(stack.config.services, services);
  const timeoutMs = req.healthTimeoutMs ?? 60_000;

  const root = path.join(stack.dir, '.opsdeck', 'drills');
  privateDir(root);
  const sandbox = await mkdtemp(path.join(root, `${shortId(snap.id)}-`));
  const svcName = services.length === 1 ? services[0]! : 'stack';
  ctx.bus.emit({ type: 'drill', at: ctx.clock.now(), service: svcName, phase: 'started', snapshot: snap.id, services });
  const t0 = performance.now();
  let engine: SandboxEngine | undefined;
  const phases = { restoreMs: 0, startMs: 0, checkMs: 0 };
  const checks: DrillRunResult['checks'] = [];
  let ports = new Map<number, number>();
  try {
    // Restore: every drilled or started service's data, into the sandbox at its stack path.
    const withData = started.filter((s) => inSnap.includes(s));
    const report = await ctx.repo.restore(snap, { target: path.join(sandbox, '.opsdeck', 'restore'), services: withData, serviceTargets: Object.fromEntries(withData.map((s) => [s, sandbox])), overwrite: false });
    const fileCount = snap.entries.filter((e) => withData.includes(e.service) && e.type === 'file').length;
    if (report.verified < fileCount) throw new OpsError('BACKUP_DATA_CORRUPT', `only ${report.verified} of ${fileCount} restored files were verified`, 'run `opsdeck backups verify --read-data`');
    for (const e of snap.entries) {
      if (!withData.includes(e.service) || e.type !== 'file' || isDumpPath(e.path)) continue;
      const file = path.join(sandbox, ...e.path.split('/'));
      if (!(await isSqliteFile(file))) continue;
      // as a restore checks: by sqlite3 where installed, else in a worker thread (not on the engine's)
      const checks = new SqliteChecks('integrity_check');
      checks.start(file, file);
      const check = await checks.verdicts().then(([v]) => v!.verdict).finally(() => checks.close());
      if (!check.ok) throw new OpsError('BACKUP_DATA_CORRUPT', `restored SQLite database ${e.service}/${e.path} fails its integrity check: ${check.detail}`, 'restore an older snapshot');
    }
    await linkStack(stack, sandbox);
    phases.restoreMs = Math.round(performance.now() - t0);

    // Start in the sandbox on free ports.
    ports = await mapPorts(stack, started);
    const drillStack = sandboxStack(stack, sandbox, started, ports);
    engine = ctx.sandbox(drillStack);
    const t1 = performance.now();
    engine.start(started);
    for (const s of started) await engine.waitReady(s, timeoutMs);
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
      const r = await engine.check(s);
      checks.push({ service: s, ok: r.ok, output: r.output.split('\n').pop() ?? '', durationMs: r.durationMs });
      if (!r.ok) throw new OpsError('BACKUP_RESTORE_FAILED', `${s}'s full-functionality check failed on the restored data: ${r.output.split('\n').pop() || 'no output'}`, `the sandbox is kept in ${sandbox}; its logs are in .opsdeck/logs there`);
    }
    const down = started.filter((s) => !engine!.isReady(s));
    if (down.length) throw new OpsError('BACKUP_RESTORE_FAILED', `${down.join(', ')} stopped being ready during the checks`, `the sandbox is kept in ${sandbox}; its logs are in .opsdeck/logs there`);
    phases.checkMs = Math.round(performance.now() - t2);
    const recoveryMs = Math.round(performance.now() - t0);
    await engine.dispose();
    engine = undefined;
    if (!req.keep) rmSync(sandbox, { recursive: true, force: true });
    const obj = recoveryObjectives(stack, services, recoveryMs);
    const bytes = snap.entries.filter((e) => withData.includes(e.service)).reduce((n, e) => n + (e.type === 'file' ? e.size : 0), 0);
    ctx.history.addRecovery({ at: ctx.clock.now(), kind: 'drill', mode: 'sandbox', snapshot: snap.id, services, ok: true, recoveryMs, phases, bytes, files: report.files, objectives: obj });
    const rto = tightestRto(obj);
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
