/**
 * What `opsdeck cleanup` would remove, found and never removed here (cleanup.ts removes): in the
 * stack's own folders only, by kind —
 *   logs      rotated service logs beyond `logs.keep` (any age), and rotated logs older than the age
 *   restore   staging folders of in-place restores (`.opsdeck/restore/*`) older than the age, when no restore runs
 *   drills    sandbox folders of drills (`.opsdeck/drills/*`) older than the age, when no drill runs
 *   reports   files of `.opsdeck/reports/` older than the age
 *   sockets   the engine socket when no live engine serves it
 *   locks     the engine lock of a dead engine; `<db>.lock` folders that node-sqlite3-wasm left on a
 *             declared SQLite database whose service runs no process; service records
 *             (`.opsdeck/run/services/*.json`) of a dead engine whose process and group are gone
 *   temp      staging of backups that did not finish (`.opsdeck/tmp/*`), when no backup runs
 * Safety snapshots of restores are in the backup repository: cleanup.ts lists them by tag.
 */
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { LoadedStack } from '../config/load';
import type { CleanupItem, CleanupKind } from '../contract/maintenance';
import { isAlive } from '../os/process-info';
import { lockPath, readOwner, socketPath } from '../stack-lock';
import { readRecords, recordsDir, type ServiceRecord } from '../supervisor/service-records';
import { treeSize } from './tree-size';

export interface ScanOptions {
  olderThanMs: number;
  now: number;
  /** Operations of the engine in progress (from its events): their folders are left alone. */
  busy: { backup: boolean; restore: boolean; drill: boolean };
  /** Services with a process alive or on its way (the engine's). */
  active: string[];
}

/** A process group with a process in it (a zombie counts: conservative). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The service records nobody needs: records not of the engine that owns the stack (none, or this
 * process holding the lock for a cleanup) whose process and process group are gone, and unreadable
 * ones when no other process owns the stack. (A record whose group still runs is kept: the next
 * engine stops that group from it.) The doctor's `env.stale` and cleanup both use this.
 */
export function staleRecords(stackDir: string): { records: ServiceRecord[]; unreadable: string[]; groupsRunning: ServiceRecord[] } {
  const owner = readOwner(stackDir);
  const { records, unreadable } = readRecords(stackDir);
  const dead = records.filter((r) => r.engine.pid !== owner?.pid && !isAlive(r.pid));
  if (owner && owner.pid !== process.pid) unreadable.length = 0;
  return { records: dead.filter((r) => !groupAlive(r.pgid)), unreadable, groupsRunning: dead.filter((r) => groupAlive(r.pgid)) };
}

/** A found item, with its absolute path (for the remover). */
export type Found = CleanupItem & { abs: string };

/** The newest modification time in a tree (a folder's own and its entries'). */
function newestMtime(p: string): number {
  const st = lstatSync(p);
  let t = st.mtimeMs;
  if (st.isDirectory()) for (const n of readdirSync(p)) t = Math.max(t, newestMtime(path.join(p, n)));
  return t;
}

const list = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
const ageDays = (ms: number) => `${Math.floor(ms / 86_400_000)}d old`;

export function scanCleanup(stack: LoadedStack, opts: ScanOptions): Found[] {
  const ops = path.join(stack.dir, '.opsdeck');
  const found: Found[] = [];
  const add = (kind: CleanupKind, abs: string, reason: string) => found.push({ kind, abs, path: path.relative(stack.dir, abs).split(path.sep).join('/'), bytes: treeSize(abs).bytes, reason });
  const old = (abs: string) => opts.now - newestMtime(abs) > opts.olderThanMs;

  // logs
  const logs = path.join(ops, 'logs');
  for (const name of list(logs)) {
    const m = /^(.+)\.log\.(\d+)$/.exec(name);
    if (!m) continue;
    const abs = path.join(logs, name);
    if (Number(m[2]) > stack.config.logs.keep) add('logs', abs, `rotated beyond logs.keep (${stack.config.logs.keep})`);
    else if (old(abs)) add('logs', abs, `rotated, ${ageDays(opts.now - newestMtime(abs))}`);
  }
  // restore staging and drill sandboxes
  for (const [kind, folder, running] of [['restore', 'restore', opts.busy.restore], ['drills', 'drills', opts.busy.drill]] as const) {
    if (running) continue;
    for (const name of list(path.join(ops, folder))) {
      const abs = path.join(ops, folder, name);
      if (old(abs)) add(kind, abs, `${kind === 'restore' ? 'staging of a finished restore' : 'sandbox of a finished drill'}, ${ageDays(opts.now - newestMtime(abs))}`);
    }
  }
  // reports
  for (const name of list(path.join(ops, 'reports'))) {
    const abs = path.join(ops, 'reports', name);
    if (old(abs)) add('reports', abs, `report, ${ageDays(opts.now - newestMtime(abs))}`);
  }
  // sockets and locks of engines no longer alive
  const owner = readOwner(stack.dir);
  const sock = socketPath(stack.dir);
  if (existsSync(sock) && owner?.socket !== sock) add('sockets', sock, owner ? `no engine serves it (the owner, pid ${owner.pid}, serves none)` : 'its engine is not running');
  if (existsSync(lockPath(stack.dir)) && !owner) add('locks', lockPath(stack.dir), 'its engine is not running');
  const stale = staleRecords(stack.dir);
  for (const r of stale.records) add('locks', path.join(recordsDir(stack.dir), `${r.service}.json`), `record of ${r.service}'s process (pid ${r.pid}), which is gone with its group`);
  for (const n of stale.unreadable) add('locks', path.join(recordsDir(stack.dir), n), 'unreadable service record');
  const live = new Set(readRecords(stack.dir).records.filter((r) => isAlive(r.pid)).map((r) => r.service));
  for (const [service, cfg] of Object.entries(stack.config.services)) {
    if (opts.active.includes(service) || live.has(service)) continue;
    const serviceDir = path.resolve(stack.dir, cfg.cwd ?? '.');
    for (const db of cfg.backup?.sqlite ?? []) {
      const abs = `${path.resolve(serviceDir, db)}.lock`;
      if (existsSync(abs) && lstatSync(abs).isDirectory()) add('locks', abs, `SQLite lock left on a database of ${service}, which runs no process`);
    }
  }
  // temp
  if (!opts.busy.backup) for (const name of list(path.join(ops, 'tmp'))) add('temp', path.join(ops, 'tmp', name), 'staging of a backup that did not finish');
  return found;
}
