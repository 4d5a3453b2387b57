/**
 * Restores: into a folder (`--target`), or into the stack itself (`--in-place`):
 *
 *   1. stop the affected services (dumps of PostgreSQL / commands are taken first, while the
 *      service still answers), 2. take a safety snapshot of their data, 3. restore the snapshot's
 *      files into a staging folder and verify them (SHA-256 against the manifest, and
 *      `PRAGMA integrity_check` of every SQLite database, beside the writing: restore-checks.ts), 4. swap them into place (one rename per
 *      file), 5. start the services and wait until ready, load dumps (psql, the restore command),
 *      run the full-functionality checks.
 *
 * Any failure after step 1 rolls back: the services are stopped, the safety snapshot is put
 * back the same way (staged, verified, swapped; its dumps loaded), the services started and
 * checked again, and the error says so; the safety snapshot, whose data is live again, is then
 * forgotten (kept, and named, only when the rollback fails). The time from step 1 to the last
 * check passing is the measured recovery time, recorded with the services' RTOs. Setuid/setgid
 * bits are stripped unless the request keeps them (the rollback keeps them: it is the live data).
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../clock';
import { effectiveEnv, type LoadedStack } from '../config/load';
import { formatDuration } from '../duration';
import { OpsError, isOpsError } from '../errors';
import type { EventBus } from '../events';
import { withDependencies } from '../graph';
import { collectFiles, isSqliteFile, restoreCommand, restorePostgres, sqliteOrigins, STACK_SERVICE, isDumpPath, CONFIG_PATH } from './adapters';
import { count, formatBytes, shortId } from '../format';
import { compileGlob } from '../glob';
import type { BackupHistory } from './history';
import type { ServiceControl } from './host';
import { recoveryObjectives, tightestRto } from './objectives';
import { selectEntries, type BackupRepository, type RestoreProgress, type Snapshot, type SnapshotEntry } from './repo';
import { restoreWithSqliteChecks } from './restore-checks';
import { Swap } from './swap';
import type { RestoreFile, RestoreRequest, RestoreRunResult } from '../contract/backups';

export interface RestoreContext {
  stack: LoadedStack;
  repo: BackupRepository;
  control: ServiceControl;
  bus: EventBus;
  clock: Clock;
  history: BackupHistory;
  /**
   * Take a safety snapshot of `services`: their dumps first (the services running), then
   * `stop()`, then their files. Returns the snapshot id and the warnings of the check after it.
   */
  safetyBackup(services: string[], stop: () => Promise<void>, tags: string[]): Promise<{ snapshot: string; warnings: string[] }>;
  /** Forget a safety snapshot that is no longer needed (a failed restore rolled back to it). */
  removeSafety(snapshot: string): Promise<void>;
}

/** Check --include globs the way the CLI promises: clear errors for what cannot match. */
export function checkIncludes(include: readonly string[]): void {
  for (const g of include) {
    compileGlob(g, '--include glob');
    if (/[{}]/.test(g)) throw new OpsError('BAD_REQUEST', `--include glob "${g}" is invalid: "{a,b}" alternatives are not supported here`, 'give --include once per alternative');
  }
}

/**
 * The entries of `snap` a restore takes (the repository's selection: by service, then by include
 * glob), refusing services the snapshot does not name; in place, opsdeck.yaml only when asked for.
 */
export function selectForRestore(snap: Snapshot, req: Pick<RestoreRequest, 'services' | 'include'>, inPlace: boolean): SnapshotEntry[] {
  const include = req.include ?? [];
  let entries = selectEntries(snap, req, (noEntries) => {
    const unknown = noEntries.filter((s) => !snap.services.includes(s));
    if (unknown.length) {
      const have = snap.services.filter((s) => s !== STACK_SERVICE);
      throw new OpsError('BAD_REQUEST', `snapshot ${shortId(snap.id)} has no data of ${unknown.join(', ')}`, `it holds ${have.length ? have.join(', ') : 'no service data'}; see \`opsdeck backups show ${shortId(snap.id)}\``);
    }
  });
  // In place, opsdeck.yaml is only put back when asked for by name.
  if (inPlace && !include.some((g) => g === CONFIG_PATH || g === `${STACK_SERVICE}/${CONFIG_PATH}`) && !req.services?.includes(STACK_SERVICE)) {
    entries = entries.filter((e) => e.service !== STACK_SERVICE);
  }
  return entries;
}

/** A plan line when some entries carry setuid/setgid bits: what happens to them. */
function specialBitsPlan(entries: SnapshotEntry[], keep: boolean | undefined): string[] {
  const setId = entries.filter((e) => e.type !== 'symlink' && e.mode & 0o6000);
  if (!setId.length) return [];
  const names = `${setId.slice(0, 3).map((e) => `${e.service}/${e.path}`).join(', ')}${setId.length > 3 ? ', …' : ''}`;
  return [keep ? `keep the setuid/setgid bits of ${names} (--keep-special-bits)` : `strip the setuid/setgid bits of ${names} (--keep-special-bits keeps them)`];
}

const fileList = (entries: SnapshotEntry[]): RestoreFile[] =>
  entries
    .filter((e) => e.type !== 'dir')
    .map((e) => ({ service: e.service, path: e.path, size: e.size, kind: isDumpPath(e.path) ? e.path.split('/')[1]! : e.type === 'symlink' ? 'symlink' : 'file' }));

const eventService = (services: string[]) => (services.length === 1 ? services[0]! : 'stack');

// ------------------------------------------------------------------ into a folder

export async function restoreToTarget(ctx: RestoreContext, snap: Snapshot, req: RestoreRequest, onProgress?: (p: RestoreProgress) => void): Promise<RestoreRunResult> {
  const target = path.resolve(req.target!);
  const entries = selectForRestore(snap, req, false);
  if (entries.length === 0) throw nothingMatches(snap, req);
  const rel = path.relative(ctx.stack.dir, target);
  if (rel === '') throw new OpsError('BAD_REQUEST', '--target is the stack folder itself', 'to restore into the running stack use --in-place (it stops the services, takes a safety snapshot and checks health); else pick an empty folder');
  if (path.resolve(ctx.repo.dir) === target || !path.relative(ctx.repo.dir, target).startsWith('..')) {
    throw new OpsError('BAD_REQUEST', `--target ${target} is inside the backup repository`, 'pick a folder outside the repository');
  }
  if (existsSync(target) && (!statSync(target).isDirectory() || readdirSync(target).length > 0)) {
    throw new OpsError('BAD_REQUEST', `--target ${target} is not an empty folder`, 'restore into a new or empty folder (nothing is ever overwritten there), or use --in-place');
  }
  const services = [...new Set(entries.map((e) => e.service))];
  const files = fileList(entries);
  const bytes = files.reduce((n, f) => n + f.size, 0);
  const plan = [`restore ${count(files.length, 'file')} (${formatBytes(bytes)}) of snapshot ${shortId(snap.id)} into ${target}/<service>/<path>`, 'verify each file\'s SHA-256 against the snapshot, and every SQLite database with PRAGMA integrity_check', ...specialBitsPlan(entries, req.keepSpecialBits)];
  const base = { snapshot: snap.id, snapshotTime: snap.time, mode: 'target' as const, target, services, files, bytes, stopped: [], plan };
  if (req.dryRun) return { ...base, dryRun: true, verified: 0, sqlite: [], recoveryMs: 0, phases: { restoreMs: 0, startMs: 0, checkMs: 0 }, objectives: [] };

  const t0 = performance.now();
  ctx.bus.emit({ type: 'restore', at: ctx.clock.now(), service: eventService(services), phase: 'started', snapshot: snap.id, mode: 'target', services });
  try {
    const { report, sqlite } = await restoreWithSqliteChecks(ctx.repo, snap, { target, services, include: req.include ?? [], overwrite: false, keepSpecialBits: !!req.keepSpecialBits, ...(onProgress ? { onProgress } : {}) });
    const bad = sqlite.filter((s) => s.integrity !== 'ok');
    if (bad.length) throw new OpsError('BACKUP_DATA_CORRUPT', `restored SQLite database ${bad[0]!.service}/${bad[0]!.path} fails its integrity check: ${bad[0]!.integrity}`, 'run `opsdeck backups verify --read-data`; restore an older snapshot');
    const recoveryMs = Math.round(performance.now() - t0);
    const result: RestoreRunResult = { ...base, dryRun: false, verified: report.verified, sqlite, recoveryMs, phases: { restoreMs: recoveryMs, startMs: 0, checkMs: 0 }, objectives: [] };
    ctx.history.addRecovery({ at: ctx.clock.now(), kind: 'restore', mode: 'target', snapshot: snap.id, services, ok: true, recoveryMs, phases: result.phases, bytes, files: files.length, objectives: [] });
    ctx.bus.emit({ type: 'restore', at: ctx.clock.now(), service: eventService(services), phase: 'completed', snapshot: snap.id, mode: 'target', services, recoveryMs });
    return result;
  } catch (e) {
    ctx.bus.emit({ type: 'restore', at: ctx.clock.now(), service: eventService(services), phase: 'failed', snapshot: snap.id, mode: 'target', services, error: (e as Error).message });
    throw e;
  }
}

function nothingMatches(snap: Snapshot, req: RestoreRequest): OpsError {
  const what = [req.services?.length ? `service ${req.services.join(', ')}` : '', req.include?.length ? `--include ${req.include.join(' ')}` : ''].filter(Boolean).join(' and ');
  return new OpsError('BAD_REQUEST', `nothing in snapshot ${shortId(snap.id)} matches ${what || 'the request'}`, `list its files with \`opsdeck backups show ${shortId(snap.id)}\``);
}

// ------------------------------------------------------------------ in place

interface Staged {
  snap: Snapshot;
  entries: SnapshotEntry[];
  dir: string;
  targets: Record<string, string>;
  verified: number;
  sqlite: RestoreRunResult['sqlite'];
}

/** Restore `entries` of `snap` into `dir` (per service) and verify them. */
async function stage(ctx: RestoreContext, snap: Snapshot, entries: SnapshotEntry[], services: string[], include: string[], dir: string, keepSpecialBits: boolean, onProgress?: (p: RestoreProgress) => void): Promise<Staged> {
  const { report, sqlite } = await restoreWithSqliteChecks(ctx.repo, snap, { target: dir, services, include, overwrite: false, keepSpecialBits, ...(onProgress ? { onProgress } : {}) });
  const fileCount = entries.filter((e) => e.type === 'file').length;
  if (report.verified < fileCount) {
    throw new OpsError('BACKUP_DATA_CORRUPT', `only ${report.verified} of ${fileCount} restored files of snapshot ${shortId(snap.id)} were verified`, 'run `opsdeck backups verify --read-data`');
  }
  const targets = report.targets;
  const bad = sqlite.find((s) => s.integrity !== 'ok');
  if (bad) throw new OpsError('BACKUP_DATA_CORRUPT', `restored SQLite database ${bad.service}/${bad.path} fails its integrity check: ${bad.integrity}`, 'run `opsdeck backups verify --read-data`; restore an older snapshot');
  return { snap, entries, dir, targets, verified: report.verified, sqlite };
}

/**
 * Swap staged files into the stack. With `whole` (no include filter), files now in a service's
 * backup scope that the snapshot does not have are moved aside too, so the result is the snapshot.
 */
async function swapIn(ctx: RestoreContext, staged: Staged, swap: Swap, whole: boolean): Promise<void> {
  const stack = ctx.stack;
  const bySvc = new Map<string, SnapshotEntry[]>();
  for (const e of staged.entries) bySvc.set(e.service, [...(bySvc.get(e.service) ?? []), e]);
  for (const [service, entries] of bySvc) {
    const cfg = stack.config.services[service]?.backup;
    const serviceDir = path.resolve(stack.dir, stack.config.services[service]?.cwd ?? '.');
    const sqlitePaths = new Set(cfg ? sqliteOrigins(stack.dir, serviceDir, cfg) : []);
    const files: { e: SnapshotEntry; from: string; isDb: boolean }[] = [];
    for (const e of entries) {
      if (e.type === 'dir' || isDumpPath(e.path)) continue;
      const from = path.join(staged.targets[service] ?? path.join(staged.dir, service), ...e.path.split('/'));
      files.push({ e, from, isDb: sqlitePaths.has(e.path) || (e.type === 'file' && (await isSqliteFile(from))) });
    }
    // Databases first: placing one moves its old journal aside, which must not take a journal
    // that belongs to the restored database (a safety snapshot holds the file and its journal).
    files.sort((a, b) => Number(b.isDb) - Number(a.isDb));
    for (const f of files) swap.place(f.e.path, f.from, f.isDb);
    if (whole && cfg && cfg.files.length) {
      const have = new Set(entries.map((e) => e.path));
      const now = await collectFiles({ stackDir: stack.dir, service, serviceDir, staging: staged.dir, env: {} }, cfg.files, cfg.exclude, [...sqlitePaths]);
      for (const item of now.items) if (!have.has(item.path)) swap.moveAside(item.path);
    }
    for (const db of sqlitePaths) {
      if (!entries.some((e) => e.path === db) && whole) swap.moveAside(db, true);
    }
  }
}

/** After the services are up: load the snapshot's dumps (PostgreSQL, command outputs). */
async function loadDumps(ctx: RestoreContext, staged: Staged): Promise<string[]> {
  const done: string[] = [];
  for (const e of staged.entries) {
    if (e.type !== 'file' || !isDumpPath(e.path)) continue;
    const svc = ctx.stack.config.services[e.service];
    const cfg = svc?.backup;
    const file = path.join(staged.targets[e.service] ?? path.join(staged.dir, e.service), ...e.path.split('/'));
    const env = effectiveEnv(ctx.stack, e.service);
    const kind = e.path.split('/')[1];
    if (kind === 'postgres' && cfg?.postgres) {
      await restorePostgres(file, cfg.postgres, env);
      done.push(`${e.service}: loaded ${e.path} with psql`);
    } else if (kind === 'command' && cfg?.command?.restore && path.basename(e.path) === cfg.command.file) {
      await restoreCommand(file, cfg.command, { cwd: path.resolve(ctx.stack.dir, svc!.cwd ?? '.'), env });
      done.push(`${e.service}: fed ${e.path} to ${cfg.command.restore.join(' ')}`);
    }
  }
  return done;
}

/** Start `services` (and what they need), wait until ready, load dumps, run the checks. */
async function gate(ctx: RestoreContext, services: string[], staged: Staged | undefined, timeoutMs: number): Promise<{ startMs: number; checkMs: number }> {
  const t0 = performance.now();
  const toStart = withDependencies(ctx.stack.config.services, services);
  ctx.control.start(toStart);
  for (const s of toStart) await ctx.control.waitReady(s, timeoutMs);
  const startMs = performance.now() - t0;
  const t1 = performance.now();
  if (staged) await loadDumps(ctx, staged);
  for (const s of services) {
    const r = await ctx.control.check(s);
    if (!r.ok) throw new OpsError('BACKUP_RESTORE_FAILED', `the health gate failed: ${s}'s check failed after the restore: ${r.output.split('\n').pop() || 'no output'}`, `see \`opsdeck logs ${s}\``);
  }
  // A service that crashed meanwhile (its probe may have reached something else on its port) fails the gate.
  const down = toStart.filter((s) => !ctx.control.isReady(s));
  if (down.length) throw new OpsError('BACKUP_RESTORE_FAILED', `the health gate failed: ${down.join(', ')} stopped being ready during the checks`, `see \`opsdeck logs ${down[0]}\``);
  return { startMs: Math.round(startMs), checkMs: Math.round(performance.now() - t1) };
}

export async function restoreInPlace(ctx: RestoreContext, snap: Snapshot, req: RestoreRequest, onProgress?: (p: RestoreProgress) => void): Promise<RestoreRunResult> {
  const stack = ctx.stack;
  const include = req.include ?? [];
  const entries = selectForRestore(snap, req, true);
  if (entries.length === 0) throw nothingMatches(snap, req);
  const services = [...new Set(entries.map((e) => e.service))].filter((s) => s !== STACK_SERVICE);
  const missing = services.filter((s) => !stack.config.services[s]);
  if (missing.length) {
    throw new OpsError('BAD_REQUEST', `snapshot ${shortId(snap.id)} holds data of ${missing.join(', ')}, which opsdeck.yaml no longer declares`, 'restore it into a folder with --target DIR instead');
  }
  const files = fileList(entries);
  const bytes = files.reduce((n, f) => n + f.size, 0);
  const active = ctx.control.active();
  const stopped = services.filter((s) => active.includes(s));
  const timeoutMs = req.healthTimeoutMs ?? 60_000;
  const dumps = files.filter((f) => isDumpPath(f.path));
  const plan = [
    stopped.length ? `stop ${stopped.join(', ')}` : `${services.join(', ')} ${services.length === 1 ? 'is' : 'are'} not running: nothing to stop`,
    `take a safety snapshot of ${services.join(', ')}`,
    `restore ${count(files.length, 'file')} (${formatBytes(bytes)}) of snapshot ${shortId(snap.id)} into a staging folder; verify their chunks' SHA-256 and every SQLite database's integrity`,
    ...specialBitsPlan(entries, req.keepSpecialBits),
    `swap them into place: ${files.filter((f) => !isDumpPath(f.path)).map((f) => f.path).join(', ') || '(no files)'}`,
    `start ${withDependencies(stack.config.services, services).join(', ')} and wait until ready (at most ${formatDuration(timeoutMs)} each)`,
    ...(dumps.length ? [`load ${dumps.map((d) => `${d.service}/${d.path}`).join(', ')}`] : []),
    `run the full-functionality check of ${services.join(', ')}`,
    ...(stopped.length === services.length ? [] : [`stop again what was not running before: ${services.filter((s) => !stopped.includes(s)).join(', ')}`]),
    'on any failure: put the safety snapshot back the same way and start the services again',
  ];
  const base = { snapshot: snap.id, snapshotTime: snap.time, mode: 'in-place' as const, target: stack.dir, services, files, bytes, stopped, plan };
  if (req.dryRun) return { ...base, dryRun: true, verified: 0, sqlite: [], recoveryMs: 0, phases: { restoreMs: 0, startMs: 0, checkMs: 0 }, objectives: [] };

  const work = path.join(stack.dir, '.opsdeck', 'restore');
  mkdirSync(work, { recursive: true });
  const dir = await mkdtemp(path.join(work, `${shortId(snap.id)}-`));
  const swap = new Swap(stack.dir, path.join(dir, 'previous'));
  const svc = eventService(services);
  const t0 = performance.now();
  const at = () => ctx.clock.now();
  ctx.bus.emit({ type: 'restore', at: at(), service: svc, phase: 'started', snapshot: snap.id, mode: 'in-place', services });
  let safety: string | undefined;
  const warnings: string[] = [];
  let phase = 'stopping the services';
  let restoreMs = 0;
  try {
    // 1-2. stop, safety snapshot (dumps before the stop, files after it)
    phase = 'taking the safety snapshot';
    const taken = await ctx.safetyBackup(services, () => ctx.control.stop(services), ['safety', `before-restore-${shortId(snap.id)}`]);
    safety = taken.snapshot;
    warnings.push(...taken.warnings);
    // 3. stage and verify
    phase = 'restoring into the staging folder';
    const staged = await stage(ctx, snap, entries, services.concat(entries.some((e) => e.service === STACK_SERVICE) ? [STACK_SERVICE] : []), include, path.join(dir, 'new'), !!req.keepSpecialBits, onProgress);
    // 4. swap
    phase = 'swapping the files into place';
    await swapIn(ctx, staged, swap, include.length === 0);
    restoreMs = Math.round(performance.now() - t0);
    // 5. start, load dumps, check
    phase = 'the health gate';
    const { startMs, checkMs } = await gate(ctx, services, staged, timeoutMs);
    const recoveryMs = Math.round(performance.now() - t0);
    const notRunningBefore = withDependencies(stack.config.services, services).filter((s) => !active.includes(s));
    if (notRunningBefore.length) await ctx.control.stop(notRunningBefore);
    rmSync(dir, { recursive: true, force: true });
    const obj = recoveryObjectives(stack, services, recoveryMs);
    const phases = { restoreMs, startMs, checkMs };
    ctx.history.addRecovery({ at: at(), kind: 'restore', mode: 'in-place', snapshot: snap.id, services, ok: true, recoveryMs, phases, bytes, files: files.length, objectives: obj, safetySnapshot: safety });
    const rto = tightestRto(obj);
    ctx.bus.emit({ type: 'restore', at: at(), service: svc, phase: 'completed', snapshot: snap.id, mode: 'in-place', services, recoveryMs, safetySnapshot: safety, ...rto });
    return { ...base, dryRun: false, verified: staged.verified, sqlite: staged.sqlite, safetySnapshot: safety, recoveryMs, phases, objectives: obj, ...(warnings.length ? { warnings } : {}) };
  } catch (err) {
    const why = `${phase}: ${(err as Error).message}`;
    const recoveryMs = Math.round(performance.now() - t0);
    let outcome: string;
    let rolledBack = false;
    let safetyRemoved = false;
    try {
      await rollback(ctx, services, safety, swap, dir, timeoutMs, active);
      rolledBack = true;
      // The live data is the safety snapshot's again: it is not needed any more, and keeping one
      // per failed attempt would pile up. When forgetting it fails, it stays and is named.
      let kept = '';
      if (safety) {
        kept = await ctx.removeSafety(safety).then(
          () => {
            safetyRemoved = true;
            return ' (removed now that the data is back)';
          },
          (e3: unknown) => ` (kept: forgetting it failed: ${(e3 as Error).message})`,
        );
      }
      outcome = safety
        ? `rolled back to safety snapshot ${shortId(safety)}${kept}; ${services.join(', ')} ${services.length === 1 ? 'is' : 'are'} healthy again`
        : `the live data was not touched; ${services.join(', ')} started again`;
    } catch (e2) {
      outcome = `the rollback failed too (${(e2 as Error).message})${safety ? `; safety snapshot ${shortId(safety)} holds the data from before the restore: \`opsdeck restore ${shortId(safety)} --in-place\`` : ''}`;
    }
    const message = `restore of snapshot ${shortId(snap.id)} failed while ${why}; ${outcome}`;
    ctx.history.addRecovery({
      at: at(), kind: 'restore', mode: 'in-place', snapshot: snap.id, services, ok: false, recoveryMs, phases: { restoreMs, startMs: 0, checkMs: 0 }, bytes, files: files.length,
      objectives: [], error: message, rolledBack, ...(safety ? { safetySnapshot: safety } : {}),
    });
    ctx.bus.emit({ type: 'restore', at: at(), service: svc, phase: rolledBack ? 'rolled-back' : 'failed', snapshot: snap.id, mode: 'in-place', services, error: message, ...(safety ? { safetySnapshot: safety } : {}) });
    throw new OpsError(
      'BACKUP_RESTORE_FAILED',
      message,
      rolledBack ? `nothing changed; find out why with \`opsdeck logs ${services[0]}\` and \`opsdeck backups show ${shortId(snap.id)}\`` : 'recover by hand as said above; `opsdeck status` shows the services',
      { rolledBack, safetySnapshot: safetyRemoved ? undefined : safety, cause: isOpsError(err) ? err.code : undefined },
    );
  }
}

async function rollback(ctx: RestoreContext, services: string[], safety: string | undefined, swap: Swap, dir: string, timeoutMs: number, active: string[]): Promise<void> {
  await ctx.control.stop(services);
  let staged: Staged | undefined;
  if (swap.steps.length && safety) {
    // Put the safety snapshot back exactly as a restore would: staged, verified, swapped.
    swap.undo();
    const snap = await ctx.repo.snapshot(safety);
    const entries = snap.entries.filter((e) => services.includes(e.service));
    staged = await stage(ctx, snap, entries, services, [], path.join(dir, 'rollback'), true);
    const again = new Swap(ctx.stack.dir, path.join(dir, 'rollback-previous'));
    await swapIn(ctx, staged, again, true);
  } else if (swap.steps.length) {
    swap.undo();
  } else if (safety) {
    // Nothing was swapped; dumps may have been loaded: put the safety dumps back.
    const snap = await ctx.repo.snapshot(safety);
    const entries = snap.entries.filter((e) => services.includes(e.service) && isDumpPath(e.path));
    if (entries.length) staged = await stage(ctx, snap, entries, services, [], path.join(dir, 'rollback'), true);
  }
  await gate(ctx, services, staged, timeoutMs);
  const notRunningBefore = withDependencies(ctx.stack.config.services, services).filter((s) => !active.includes(s));
  if (notRunningBefore.length) await ctx.control.stop(notRunningBefore);
  rmSync(dir, { recursive: true, force: true });
}
