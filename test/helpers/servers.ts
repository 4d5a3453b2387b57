/**
 * Helpers for the tests that run the example stacks of examples/ for real: a throw-away copy of
 * an example (so the repository's folders are never written), the Debian server binaries the
 * real-servers stack needs, and the processes a stack leaves behind.
 */
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, relative, resolve, sep } from 'node:path';
import { parseConfig, type LoadedStack } from '../../src/core/config/load';
import type { Engine } from '../../src/core/engine';
import { findPgTool } from '../../src/core/backup/adapters';
import { execa } from 'execa';
import assert from 'node:assert/strict';
import { isAlive } from '../../src/core/os/process-info';
import { processTree, readProcessTable } from '../../src/core/supervisor/process-table';
import { freePort } from './stack';

export const REPO = resolve(import.meta.dirname, '../..');
export const EXAMPLES = join(REPO, 'examples');

/** Run-time state inside an example folder: never copied (the copy starts from scratch). */
const RUNTIME = ['data', '.opsdeck', 'node_modules', join('nginx', 'logs'), join('nginx', 'run'), join('nginx', 'temp')];

export interface ExampleCopy {
  dir: string;
  stack: LoadedStack;
  /** The example's port → the free port the copy uses instead. */
  ports: Map<number, number>;
  cleanup(): void;
}

export interface CopyOptions {
  /**
   * Loopback ports of the example, remapped to free ones in the copy's opsdeck.yaml (where all
   * of an example's ports are written), so a run of the example on this machine, or a port
   * already taken, does not collide with the test.
   */
  ports: number[];
  /**
   * Make the copy's services find the repository's npm packages: a `node_modules` symlink in
   * the copy to the repository's. Node resolves `require()` by walking up from the requiring
   * file to a `node_modules` folder, exactly as it does inside the repository, so services and
   * checks find their packages without any change to them or to their environment.
   */
  linkNodeModules?: boolean;
  /** Permissions of the copy's folder (mkdtemp makes it 0700); see the real-servers test. */
  mode?: number;
}

/** Copy `examples/<name>` into a new temp folder, remap its ports and load its opsdeck.yaml. */
export async function copyExample(name: string, opts: CopyOptions): Promise<ExampleCopy> {
  const src = join(EXAMPLES, name);
  const dir = mkdtempSync(join(tmpdir(), `opsdeck-${name}-`));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    if (opts.mode !== undefined) chmodSync(dir, opts.mode);
    cpSync(src, dir, {
      recursive: true,
      filter: (from) => {
        const rel = relative(src, from);
        return !RUNTIME.some((r) => rel === r || rel.startsWith(r + sep));
      },
    });
    if (opts.linkNodeModules) symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir');

    const file = join(dir, 'opsdeck.yaml');
    let text = readFileSync(file, 'utf8');
    const ports = new Map<number, number>();
    for (const port of opts.ports) {
      const re = new RegExp(`\\b${port}\\b`, 'g');
      if (!re.test(text)) throw new Error(`examples/${name}/opsdeck.yaml no longer mentions port ${port}: update the test's port list`);
      let free: number;
      do free = await freePort();
      while ([...ports.values()].includes(free) || opts.ports.includes(free));
      ports.set(port, free);
      text = text.replace(re, String(free));
    }
    writeFileSync(file, text);
    return { dir, stack: parseConfig(text, file), ports, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}

// ------------------------------------------------------------------ Debian server binaries

/** Where an executable is: on PATH, or in the sbin folders a non-root PATH may lack. */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  return dirs.map((d) => join(d, name)).find((p) => existsSync(p));
}

/** The newest Debian PostgreSQL bin folder (`/usr/lib/postgresql/<major>/bin`), if any. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return majors.length ? join(root, majors[0]!, 'bin') : undefined;
}

/**
 * The server programs examples/real-servers runs, from Debian's packages. Missing ones are a
 * test failure (not a skip) whose message says how CI gets them: .ci/run installs them.
 */
export function requireServerPackages(): void {
  const bin = postgresBinDir();
  const missing: string[] = [];
  if (!bin) missing.push('postgres (package postgresql)');
  else for (const tool of ['initdb', 'pg_isready', 'psql']) if (!existsSync(join(bin, tool))) missing.push(`${tool} (package postgresql)`);
  for (const [exe, pkg] of [['redis-server', 'redis-server'], ['redis-cli', 'redis-server'], ['nginx', 'nginx']] as const) {
    if (!findExecutable(exe)) missing.push(`${exe} (package ${pkg})`);
  }
  if (process.getuid?.() === 0 && !findExecutable('setpriv')) missing.push('setpriv (package util-linux), to run PostgreSQL as a non-root user');
  if (missing.length) {
    throw new Error(
      `the real-servers stack needs Debian's server packages; missing: ${missing.join(', ')}. ` +
        '`npm test` installs them first (scripts/setup-system.mjs: APT_PACKAGES); run `node scripts/setup-system.mjs`, or ' +
        '`apt-get install -y postgresql redis-server nginx` (then keep the daemons Debian starts off their default ports: see examples/real-servers/README.md)',
    );
  }
}

// ------------------------------------------------------------------ leftover processes

/** Every pid of every running service's process tree (leader, descendants, group) right now. */
export async function serviceProcesses(engine: Engine): Promise<Map<number, string>> {
  const table = await readProcessTable();
  const out = new Map<number, string>();
  for (const s of engine.supervisor.snapshot()) {
    if (s.pid === undefined) continue;
    for (const p of processTree(table, s.pid)) out.set(p.pid, s.name);
  }
  return out;
}

/** Wait until none of `pids` is alive (zombies count as gone); returns those still alive. */
export async function survivors(pids: Map<number, string>, timeoutMs = 5000): Promise<string[]> {
  const end = Date.now() + timeoutMs;
  let alive = [...pids.keys()].filter(isAlive);
  while (alive.length && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    alive = alive.filter(isAlive);
  }
  return alive.map((pid) => `${pid} (${pids.get(pid)}: ${commandOf(pid)})`);
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '?';
  }
}

/**
 * Live processes working inside `dir` (their current directory, or an argument, is in it): what
 * a stack that was stopped must not leave. PostgreSQL's backends, for one, run in its data
 * folder. Processes of other users that cannot be inspected are skipped.
 */
export function processesInside(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const pid = Number(name);
    let cwd = '';
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      // gone, or not ours to inspect
    }
    const cmd = commandOf(pid);
    if ((cwd === dir || cwd.startsWith(dir + sep) || cmd.includes(dir)) && isAlive(pid)) out.push(`${pid} (cwd ${cwd}: ${cmd})`);
  }
  return out;
}

/** Runs one SQL statement with psql (unaligned, tuples only) in the environment `env()` gives, failing the test on an error. */
export function psqlRunner(env: () => Record<string, string>): (sql: string) => Promise<string> {
  return async (sql) => {
    const bin = await findPgTool('psql');
    const r = await execa(bin, ['--no-psqlrc', '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], { env: { ...process.env, ...env() }, reject: false });
    assert.equal(r.exitCode, 0, `psql -c ${sql}: ${r.stderr}`);
    return r.stdout.trim();
  };
}

/**
 * A real-servers suite's `after`: dispose the engine, then no server process (pids seen during the
 * suite) may be left running and none may still work in the stack folder; the copy goes either way.
 */
export async function disposeServers(engine: Engine | undefined, seen: Map<number, string>, copy: ExampleCopy | undefined): Promise<void> {
  try {
    if (engine) {
      for (const [pid, name] of await serviceProcesses(engine)) seen.set(pid, name);
      await engine.dispose();
      assert.deepEqual(await survivors(seen, 15_000), [], 'server processes left running');
      assert.deepEqual(processesInside(copy!.dir), [], 'processes left working in the stack folder');
    }
  } finally {
    copy?.cleanup();
  }
}

/** Fails the suite (never skips) when PostgreSQL's server or one of `tools` is missing, naming the package .ci/run installs. */
export function requirePostgresTools(tools: string[]): void {
  const bin = postgresBinDir();
  if (!bin || tools.some((t) => !existsSync(join(bin, t)))) {
    throw new Error(`PostgreSQL (postgres, ${tools.join(', ')}) is not installed: .ci/run installs Debian's postgresql package (apt-get install -y postgresql)`);
  }
}
