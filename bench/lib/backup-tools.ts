/**
 * The backup tools the backup benches drive, each as a whole process through its own CLI:
 * Opsdeck's built `dist/cli.js` (this checkout's, or a `--base` build), and restic and borg from
 * Debian's packages. A tool says how to create its repository (untimed, for every tool) and the
 * argv of each step: backup, verify with a full data read, restore of the newest snapshot into an
 * empty folder. Each step is timed by GNU time (wall seconds and peak RSS of the whole process),
 * after a `sync`.
 *
 * restic always encrypts; borg runs with `-e none` (no encryption, its default lz4 compression);
 * Opsdeck unencrypted (its default). restic and borg back up the folder `data` of the stack as
 * files, as they are (no consistency with a writer).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { commandPath, GNU_TIME, stats } from './common';

export interface BackupTool {
  name: string;
  /** True for Opsdeck builds: their repository is the stack's `.opsdeck/backups`. */
  opsdeck: boolean;
  env: NodeJS.ProcessEnv;
  init(repo: string): void;
  backup(repo: string): string[];
  verify(repo: string): string[];
  /** Restores the newest snapshot; run with the stack as cwd, into `target` (new, empty). */
  restore(repo: string, target: string): string[];
  /** Where the restored copy of the stack's `data/x` ends up, under `target`. */
  restoredData(target: string): string;
}

export function opsdeckTool(name: string, checkout: string): BackupTool {
  // dist/cli.js itself, as `opsdeck` on PATH runs it: through its first line, with the Node flags it carries
  const cli = [join(checkout, 'dist/cli.js')];
  return {
    name,
    opsdeck: true,
    env: {},
    // created before the timed steps, as restic's and borg's are (`init`): the initial backup of
    // each tool then starts from an empty repository (a first `opsdeck backup` would create it,
    // ~0.1 s of folders and fsyncs, inside the timed step)
    init: (repo) => void execFileSync(cli[0]!, ['backups', 'init', '--json'], { cwd: dirname(dirname(repo)), encoding: 'utf8' }), // a failure throws with its stderr
    backup: () => [...cli, 'backup', '--json', '--no-progress'],
    verify: () => [...cli, 'backups', 'verify', '--read-data', '--json'],
    restore: (_repo, target) => [...cli, 'restore', 'latest', '--target', target, '--json', '--no-progress'],
    restoredData: (target) => join(target, 'app/data'),
  };
}

/** restic and borg when installed (a missing one is said on stderr and left out). */
export function otherTools(work: string): BackupTool[] {
  const tools: BackupTool[] = [];
  const restic = commandPath('restic');
  const borg = commandPath('borg');
  if (restic) {
    const env = { RESTIC_PASSWORD: 'bench', RESTIC_CACHE_DIR: join(work, 'restic-cache') };
    tools.push({
      name: 'restic',
      opsdeck: false,
      env,
      init: (repo) => void execFileSync(restic, ['init', '-q', '--repo', repo], { env: { ...process.env, ...env } }),
      backup: (repo) => [restic, 'backup', '-q', '--host', 'bench', '--repo', repo, 'data'],
      verify: (repo) => [restic, 'check', '-q', '--read-data', '--repo', repo],
      restore: (repo, target) => [restic, 'restore', 'latest', '-q', '--repo', repo, '--target', target],
      restoredData: (target) => join(target, 'data'),
    });
  } else console.error('note: restic is not installed: left out (apt-get install -y restic)');
  if (borg) {
    const env = { BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes', BORG_BASE_DIR: join(work, 'borg-base') };
    tools.push({
      name: 'borg',
      opsdeck: false,
      env,
      init: (repo) => void execFileSync(borg, ['init', '-e', 'none', repo], { env: { ...process.env, ...env } }),
      backup: (repo) => [borg, 'create', `${repo}::{now:%Y%m%dT%H%M%S.%f}`, 'data'],
      verify: (repo) => [borg, 'check', '--verify-data', repo],
      // borg extracts into its cwd: a shell-free `cd` through GNU env's --chdir.
      restore: (repo, target) => ['env', `--chdir=${target}`, borg, 'extract', `${repo}::${lastArchive(borg, repo, env)}`],
      restoredData: (target) => join(target, 'data'),
    });
  } else console.error('note: borg is not installed: left out (apt-get install -y borgbackup)');
  return tools;
}

function lastArchive(borg: string, repo: string, env: NodeJS.ProcessEnv): string {
  return execFileSync(borg, ['list', '--last', '1', '--short', repo], { env: { ...process.env, ...env }, encoding: 'utf8' }).trim();
}

export interface Timed {
  wallS: number;
  maxRssMb: number;
  ok: boolean;
  out: string;
}

/** One step as a whole process, after `sync`: wall time and peak RSS from GNU time when there is one. */
export function timed(argv: string[], cwd: string, env: NodeJS.ProcessEnv, timeFile: string): Timed {
  execFileSync('sync');
  const t0 = performance.now();
  const opts = { cwd, env: { ...process.env, ...env }, encoding: 'utf8' as const, maxBuffer: 64 << 20 };
  const r = GNU_TIME ? spawnSync(GNU_TIME, ['-f', '%e %M', '-o', timeFile, ...argv], opts) : spawnSync(argv[0]!, argv.slice(1), opts);
  const wall = (performance.now() - t0) / 1000;
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (!GNU_TIME) return { wallS: wall, maxRssMb: NaN, ok: r.status === 0, out };
  const [e, m] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
  return { wallS: e!, maxRssMb: Math.round(m! / 1024), ok: r.status === 0, out };
}

/** A failed step's reason in one short line (Opsdeck's JSON error message, or the first line). */
export function failureNote(t: Timed): string | undefined {
  if (t.ok) return undefined;
  return (t.out.match(/"message":\s*"([^"]*)"/)?.[1] ?? t.out.match(/error: (.*)/)?.[1] ?? t.out.trim().split('\n')[0] ?? 'failed').slice(0, 100);
}

/** Bytes of the regular files under `dir` (0 when it does not exist). */
export function duBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size;
  return total;
}

/** The median, NaN for none (unrounded enough for seconds; bytes round to 1/100). */
export const median = (xs: number[]): number => (xs.length ? stats(xs).median : NaN);

/** In WAL mode, a sqlite3 process keeps `db` open (as a service would), so the log is not checkpointed away at close; none otherwise. */
export function holdOpen(sqlite3: string, db: string, wal: boolean): ChildProcess | undefined {
  if (!wal) return undefined;
  const holder = spawn(sqlite3, [db], { stdio: ['pipe', 'ignore', 'inherit'] });
  holder.stdin!.write('SELECT count(*) FROM sqlite_master;\n');
  return holder;
}

/** Ends what holdOpen started. */
export function release(holder: ChildProcess | undefined): void {
  holder?.stdin!.end();
  holder?.kill();
}
