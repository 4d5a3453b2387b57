/**
 * The doctor's environment checks: the Node version against the one Opsdeck needs, free space on
 * the stack's volume and on the backup repository's, owner-only permissions of `.opsdeck/`, stale
 * locks, sockets and service records left by an engine that died, the clock, and what checks the
 * stack's SQLite backups (the sqlite3 program, or Opsdeck's WebAssembly).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statfsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { formatBytes } from '../format';
import { lockPath, readOwner, socketPath } from '../stack-lock';
import { staleRecords } from '../maintenance/cleanup-scan';
import { nativeSqlite3, sqlite3TurnedOff } from '../backup/adapters/sqlite-native-check';
import { check, fix, type DoctorCheck } from './check';
import type { DoctorContext } from './context';

/** package.json's `engines.node` (a unit test keeps the two equal). */
export const REQUIRED_NODE = '20.19.0';

/** Below this free space a volume is a warning; below FAIL_FREE_BYTES a failure. */
const WARN_FREE_BYTES = 2 * 1024 ** 3;
const FAIL_FREE_BYTES = 200 * 1024 ** 2;

export function environmentChecks(ctx: DoctorContext): DoctorCheck[] {
  const sqlite = Object.values(ctx.stack.config.services).some((s) => (s.backup?.sqlite?.length ?? 0) > 0);
  return [nodeVersion(process.versions.node), ...diskSpace(ctx), permissions(ctx.stack.dir), ...staleRunFiles(ctx.stack.dir), clock(ctx), ...(sqlite ? [sqliteChecker()] : [])];
}

/**
 * What checks the SQLite copies of backups and the restored databases (docs/backup.md): the
 * system's sqlite3 when it runs, else Opsdeck's WebAssembly (slower, not wrong: ok either way);
 * a sqlite3 that is there but does not run is a warning (each check then runs twice).
 */
export function sqliteChecker(env: NodeJS.ProcessEnv = process.env): DoctorCheck {
  const title = 'SQLite checks of backups and restores';
  const program = nativeSqlite3(env);
  if (!program) {
    return check('environment', 'env.sqlite3', title, 'ok', sqlite3TurnedOff(env) ? "in Opsdeck's WebAssembly (OPSDECK_SQLITE3=off)" : "in Opsdeck's WebAssembly: no sqlite3 on the PATH (install it, e.g. `apt-get install sqlite3`, for checks ~3x cheaper in CPU and memory)", { data: { program: null } });
  }
  try {
    const version = execFileSync(program, ['-version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim().split(' ')[0] ?? '';
    return check('environment', 'env.sqlite3', title, 'ok', `by sqlite3 ${version} (${program}); what it does not find ok is checked again in WebAssembly`, { data: { program, version } });
  } catch (e) {
    return check('environment', 'env.sqlite3', title, 'warn', `${program} does not run (${(e as Error).message.split('\n')[0]}): every check is made twice, the second time in WebAssembly`, {
      fix: fix('reinstall sqlite3, or set OPSDECK_SQLITE3=off in the environment of Opsdeck (the engine, the CLI) to use the WebAssembly alone'),
      data: { program },
    });
  }
}

/** `a` compared with `b` as dotted versions: negative, 0 or positive. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function nodeVersion(running: string): DoctorCheck {
  const ok = compareVersions(running, REQUIRED_NODE) >= 0;
  return check('environment', 'env.node', 'Node.js version', ok ? 'ok' : 'fail', `Node ${running}${ok ? '' : `, older than the ${REQUIRED_NODE} Opsdeck needs`}`, {
    fix: fix(`install Node ${REQUIRED_NODE} or later (e.g. with nvm)`, `nvm install 20`),
    data: { running, required: `>=${REQUIRED_NODE}`, execPath: process.execPath },
  });
}

/** Free space of the volume holding `path` (its nearest existing folder). */
function freeSpace(path: string): { bytes: number; total: number; at: string } {
  let at = resolve(path);
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  const s = statfsSync(at);
  return { bytes: s.bavail * s.bsize, total: s.blocks * s.bsize, at };
}

function diskSpace(ctx: DoctorContext): DoctorCheck[] {
  const repo = resolve(ctx.stack.dir, ctx.stack.config.backup.repository);
  const places = [
    { id: 'env.disk.stack', title: 'Free space on the stack\'s volume', path: ctx.stack.dir },
    { id: 'env.disk.backups', title: 'Free space on the backup repository\'s volume', path: repo },
  ];
  return places.map(({ id, title, path }) => {
    const free = freeSpace(path);
    const status = free.bytes < FAIL_FREE_BYTES ? 'fail' : free.bytes < WARN_FREE_BYTES ? 'warn' : 'ok';
    const pct = free.total ? Math.round((free.bytes / free.total) * 100) : 0;
    return check('environment', id, title, status, `${formatBytes(free.bytes)} free of ${formatBytes(free.total)} (${pct}%) at ${free.at}`, {
      fix: fix('free space on that volume: old backups (`opsdeck backups forget`), rotated logs (`opsdeck cleanup`)', 'opsdeck cleanup --dry-run'),
      data: { path, volumeAt: free.at, freeBytes: free.bytes, totalBytes: free.total },
    });
  });
}

/** `.opsdeck/` and what it holds (logs, memory, run files) must be owner-only. */
export function permissions(stackDir: string): DoctorCheck {
  const root = join(stackDir, '.opsdeck');
  const title = 'Permissions of .opsdeck/ (owner-only)';
  if (!existsSync(root)) return check('environment', 'env.permissions', title, 'ok', '.opsdeck/ does not exist yet (created owner-only by the engine)');
  if (process.platform === 'win32') return check('environment', 'env.permissions', title, 'ok', 'not checked on Windows (the profile folder protects it)');
  const open: string[] = [];
  const visit = (path: string, depth: number) => {
    let st;
    try {
      st = statSync(path);
    } catch {
      return;
    }
    if (st.mode & 0o077) open.push(`${path.slice(stackDir.length + 1)} (${(st.mode & 0o777).toString(8).padStart(3, '0')})`);
    if (st.isDirectory() && depth < 2) for (const name of safeReaddir(path)) visit(join(path, name), depth + 1);
  };
  visit(root, 0);
  // What the engine makes owner-only itself (.opsdeck, logs, run, memory) is a failure when open;
  // the backup repository and temp folders, made with the process's umask, a warning.
  const strict = open.filter((p) => !LOOSE.test(p));
  const status = strict.length ? 'fail' : open.length ? 'warn' : 'ok';
  return check('environment', 'env.permissions', title, status, open.length ? `readable by others: ${open.slice(0, 5).join(', ')}${open.length > 5 ? ` and ${open.length - 5} more` : ''}` : '.opsdeck/ and its files are owner-only', {
    fix: fix('logs, memory and backups hold what services print and store: make them yours alone', `chmod -R go-rwx ${JSON.stringify(root)}`),
    data: { open },
  });
}

const LOOSE = /^\.opsdeck\/(backups|tmp)(\/|\s)/;

const safeReaddir = (dir: string) => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

/** A lock, socket or service record left by an engine that is gone. */
export function staleRunFiles(stackDir: string): DoctorCheck[] {
  const owner = readOwner(stackDir);
  const stale: string[] = [];
  const lock = lockPath(stackDir);
  if (!owner && existsSync(lock)) {
    let pid = '?';
    try {
      pid = String((JSON.parse(readFileSync(lock, 'utf8')) as { pid?: number }).pid ?? '?');
    } catch {
      // unreadable: stale all the same
    }
    stale.push(`engine.lock of pid ${pid}, which is gone`);
  }
  const sock = socketPath(stackDir);
  if (existsSync(sock) && owner?.socket !== sock) stale.push('engine.sock, which no engine serves');
  const records = staleRecords(stackDir);
  for (const r of records.records) stale.push(`services/${r.service}.json (${r.service}, pid ${r.pid} gone)`);
  for (const n of records.unreadable) stale.push(`services/${n} (unreadable)`);
  const leftover = records.groupsRunning.map((r) => `${r.service} (pid ${r.pid} gone, its process group ${r.pgid} still runs)`);
  const found = stale.length || leftover.length
    ? [stale.length ? `left by an engine that died: ${stale.join('; ')}` : '', leftover.length ? `processes left running by an engine that died (the next engine stops them): ${leftover.join('; ')}` : ''].filter(Boolean).join('; ')
    : owner
      ? `the engine (pid ${owner.pid}, ${owner.owner}) owns the lock and serves the socket`
      : 'no lock, socket or records left behind';
  return [
    check('environment', 'env.stale', 'Stale locks and sockets', stale.length || leftover.length ? 'warn' : 'ok', found, {
      fix: stale.length ? fix('the next engine takes them over by itself; to remove them now', 'opsdeck cleanup') : fix('start the stack: its engine stops what the last one left running', 'opsdeck up'),
      data: { owner: owner ?? null, stale, leftover },
    }),
  ];
}

/**
 * The clock: a year that cannot be right, or the newest log line written in the future (the
 * clock was set back since: times in logs, memory and backups will be out of order).
 */
function clock(ctx: DoctorContext): DoctorCheck {
  const now = Date.now();
  let newest = 0;
  for (const name of safeReaddir(ctx.logDir)) {
    try {
      newest = Math.max(newest, statSync(join(ctx.logDir, name)).mtimeMs);
    } catch {
      // gone meanwhile
    }
  }
  const ahead = newest - now;
  const implausible = new Date(now).getUTCFullYear() < 2024;
  const status = implausible || ahead > 60_000 ? 'warn' : 'ok';
  const found = implausible
    ? `the clock says ${new Date(now).toISOString()}, which cannot be right`
    : ahead > 60_000
      ? `a log was written ${Math.round(ahead / 1000)}s in the future: the clock was set back`
      : `${new Date(now).toISOString()} (UTC offset ${-new Date(now).getTimezoneOffset()} min)`;
  return check('environment', 'env.clock', 'Clock sanity', status, found, {
    fix: fix('synchronise the clock (NTP)', 'timedatectl set-ntp true'),
    data: { now, newestLogWrite: newest || null, timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone },
  });
}
