/**
 * Helpers shared by the benches that drive the built CLI and read /proc: statistics, free
 * ports, running a command to completion, reading one process's CPU time and memory, and
 * finding every process a bench started by a marker in its environment (so that nothing a bench
 * started can outlive it, whoever spawned it: the CLI, the engine daemon or PM2's daemon).
 */
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { resolve } from 'node:path';
import { parseProcStat, readProcStat } from '../../src/core/os/process-info';

export { freePorts } from '../../src/core/net/free-port';

export const REPO = resolve(import.meta.dirname, '../..');
export const CLI = resolve(REPO, 'dist/cli.js');
export const NODE = process.execPath;
export const HTTP_SERVICE = resolve(REPO, 'bench/fixtures/http-service.cjs');
export const RESULTS = resolve(REPO, 'bench/results');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const r2 = (x: number) => Math.round(x * 100) / 100;

// ---------------------------------------------------------------- arguments

export function intArg(text: string, flag: string, min = 1): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    console.error(`error: ${flag} must be a whole number of at least ${min}, got "${text}"`);
    process.exit(2);
  }
  return n;
}

// ---------------------------------------------------------------- statistics

export interface Stats {
  n: number;
  median: number;
  p90: number;
  min: number;
  max: number;
  mean: number;
}

export function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
  const p90 = s[Math.min(n - 1, Math.ceil(0.9 * n) - 1)]!; // nearest rank
  const mean = s.reduce((a, b) => a + b, 0) / n;
  return { n, median: r2(median), p90: r2(p90), min: r2(s[0]!), max: r2(s[n - 1]!), mean: r2(mean) };
}

// ---------------------------------------------------------------- machine

export function machine() {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model ?? 'unknown',
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    memoryGb: r2(os.totalmem() / 2 ** 30),
  };
}

/** The commit the work tree is at, `+dirty` when it has changes (dist/cli.js is built from the tree). */
export function gitRevision(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

/** Which build of dist/cli.js is measured: its modification time and a short SHA-256. */
export function cliBuild(): { builtAt: string; sha256: string } {
  return {
    builtAt: statSync(CLI).mtime.toISOString(),
    sha256: createHash('sha256').update(readFileSync(CLI)).digest('hex').slice(0, 12),
  };
}

export function requireLinux(bench: string): void {
  if (process.platform !== 'linux') {
    console.error(`error: ${bench} reads /proc and runs on Linux only`);
    process.exit(2);
  }
}

export function requireBuiltCli(): void {
  if (!existsSync(CLI)) {
    console.error(`error: ${CLI} does not exist\nhint: build it first with \`npm run build\``);
    process.exit(2);
  }
}

// ---------------------------------------------------------------- ports and http

/** One GET of /health on a fresh connection: the status, or undefined when it failed. */
export function healthStatus(port: number, timeoutMs = 1000): Promise<number | undefined> {
  return new Promise((ok) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/health', agent: false }, (res) => {
      res.resume();
      ok(res.statusCode);
    });
    req.once('error', () => ok(undefined));
    req.setTimeout(timeoutMs, () => req.destroy());
  });
}

/** Wait until every port answers 200 on /health; throws after `timeoutMs`. */
export async function waitAllHealthy(ports: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pending = [...ports];
  while (pending.length) {
    const results = await Promise.all(pending.map(async (p) => ((await healthStatus(p)) === 200 ? undefined : p)));
    pending = results.filter((p): p is number => p !== undefined);
    if (!pending.length) return;
    if (Date.now() > deadline) throw new Error(`${pending.length} of ${ports.length} services did not answer 200 on /health within ${timeoutMs / 1000}s`);
    await sleep(200);
  }
}

// ---------------------------------------------------------------- commands

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** spawn → exit with both pipes closed, ms */
  ms: number;
}

/** Run a command to completion with piped output; rejects only if it cannot be spawned or times out. */
export function run(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
  return new Promise((ok, fail) => {
    const t0 = performance.now();
    const child = spawn(file, args, { env: opts.env ?? process.env, cwd: opts.cwd ?? REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`${[file, ...args].join(' ')} did not finish within ${(opts.timeoutMs ?? 0) / 1000}s`));
    }, opts.timeoutMs ?? 120_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      fail(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      ok({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), ms: performance.now() - t0 });
    });
  });
}

// ---------------------------------------------------------------- /proc

let clkTck: number | undefined;
/** USER_HZ: the unit of utime and stime in /proc/<pid>/stat. */
export function clockTicks(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** utime + stime of one process (itself, not its children), in clock ticks. */
export function cpuTicks(pid: number): number {
  const stat = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return Number(stat.field(14)) + Number(stat.field(15));
}

/** Memory figures of one process from /proc/<pid>/status, in kB (VmRSS, RssAnon, RssFile, VmHWM) and its thread count. */
export function memoryStatus(pid: number): { rssKb: number; anonKb: number; fileKb: number; hwmKb: number; threads: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { rssKb: field('VmRSS'), anonKb: field('RssAnon'), fileKb: field('RssFile'), hwmKb: field('VmHWM'), threads: field('Threads') };
}

/** Running (a zombie has exited: it only waits to be reaped, and holds nothing). */
export function alive(pid: number): boolean {
  const state = readProcStat(pid)?.field(3);
  return state !== undefined && state !== 'Z';
}

export async function waitGone(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = pids.filter(alive);
    if (!left.length || Date.now() > deadline) return left;
    await sleep(100);
  }
}

/**
 * Every live process whose environment holds `marker` (e.g. `OPSDECK_BENCH_RUN=1234-abcd`),
 * except this one. The benches put the marker in the environment of what they spawn; engines and
 * PM2 hand their environment down to the services they start.
 */
export function markedProcesses(marker: string): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`, 'latin1');
      if (!env.split('\0').includes(marker) || !alive(Number(name))) continue;
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0').join(' ').trim();
      out.push({ pid: Number(name), cmd });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}

/** SIGKILL every marked process; returns what was still running. */
export function killMarked(marker: string): { pid: number; cmd: string }[] {
  const found = markedProcesses(marker);
  for (const p of found) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return found;
}

/** The path of a command on PATH, or undefined (the anchor tools a bench compares with). */
export function commandPath(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** GNU time (wall seconds and peak RSS of a command), when installed. */
export const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
