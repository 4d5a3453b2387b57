/**
 * How `opsdeck up --detach` starts the engine daemon, which mostly waits: the Node flags and the
 * environment that keep its memory small, and how the daemon hands its services the environment
 * it was given rather than its own settings. Each setting was measured with 50 services as in
 * bench/supervise-50.ts (RSS at idle); none costs measurable CPU at idle.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DAEMON_GLIBC_TUNABLES, DAEMON_TUNABLES_MARKER as OURS, daemonEnvAdditions } from '../core/host';

/**
 * V8 flags:
 * - `--max-semi-space-size=1` (MB): the young generation stays small; by default it grows to
 *   2 × 16 MB, soon filled with the garbage of probes between scavenges (~15-20 MB less).
 * - `--liftoff-only`: SQLite (WebAssembly, on the memory worker thread) stays on V8's baseline
 *   compiler; tiering its hot functions up to TurboFan costs ~30 MB of code and compiler memory
 *   that is not given back. Memory searches take ~1.5× as long (milliseconds; bench/memory-search.ts).
 * - `--single-threaded`: no V8 background threads for compiling and GC, whose malloc arenas
 *   stay resident (~6-8 MB less). Worker threads (backups, memory) still run.
 * - `--interrupt-budget=16000000` (the default is 67 584): a function is optimized by TurboFan
 *   after ~240× as much of its bytecode has run. At idle the daemon runs the same few paths
 *   (probes, sampling, Node's own event-loop helpers) at a slow pace; with the default, and still
 *   with 1 000 000, TurboFan kept compiling them, one every 10-30 s, and the RSS grew from ~59 to
 *   64-71 MB over ten minutes (the compiler's code paged in, optimized code and its metadata); with
 *   16 000 000 it stayed at 55-64 MB. Truly hot code (a backup's chunking loop) still gets
 *   optimized within milliseconds and runs as fast as with the default (400 MB backed up in
 *   0.89 s either way).
 * - `--no-sparkplug`: no baseline (Sparkplug) machine code for warm functions: at idle they run
 *   in the interpreter, hot ones still go to TurboFan (~1-1.5 MB less; idle CPU +0.05 point of
 *   a core; a backup's chunking ~10 % slower, still ~450 MB/s here).
 * Left out: `--no-opt` (as much memory saved at idle, but JavaScript never optimized: backup
 * chunking 20× slower), `--lite-mode` (no WebAssembly: memory.db could not be opened),
 * `--optimize-for-size`, `--single-threaded-gc`, `--bytecode-old-age=1`, `--flush-baseline-code`,
 * `--heap-growing-percent`, `--gc-memory-reducer-start-delay-ms` and a periodic `gc()` (no gain
 * beyond the noise, 1-2 MB).
 */
export const DAEMON_NODE_FLAGS = ['--max-semi-space-size=1', '--liftoff-only', '--single-threaded', '--interrupt-budget=16000000', '--no-sparkplug'];

/** The malloc settings (src/core/boot/daemon-env.ts), re-exported for the tests that check a daemon's environment. */
export { DAEMON_GLIBC_TUNABLES };

/**
 * What `up --detach` runs (before `--stack DIR …`), given the CLI script it runs from: next to the
 * bundled CLI, the daemon's own bundle (dist/daemon.js: the engine without the CLI, ~2 MB less
 * for as long as it runs); from the sources, `<cli> daemon`.
 */
export function daemonCommand(cliScript: string): string[] {
  const bundle = path.join(path.dirname(cliScript), 'daemon.js');
  return path.basename(cliScript) === 'cli.js' && existsSync(bundle) ? [bundle] : [cliScript, 'daemon'];
}

/** DAEMON_NODE_FLAGS if this Node takes them (a V8 flag a later Node drops would stop the daemon from starting), else none. */
export function daemonNodeFlags(): string[] {
  const r = spawnSync(process.execPath, [...DAEMON_NODE_FLAGS, '-e', ''], { stdio: 'ignore', timeout: 10_000 });
  return r.status === 0 ? DAEMON_NODE_FLAGS : [];
}

/** The daemon's environment: this one, with the malloc settings unless the user set GLIBC_TUNABLES. */
export function daemonEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (env.GLIBC_TUNABLES !== undefined) return env;
  return { ...env, ...daemonEnvAdditions() };
}

/**
 * In the daemon, first thing: take our malloc settings out of the environment again, so that the
 * services (which get the daemon's environment) run with the user's, not ours.
 */
export function restoreServiceEnv(env: NodeJS.ProcessEnv = process.env): void {
  if (env[OURS] === undefined) return;
  delete env[OURS];
  delete env.GLIBC_TUNABLES;
}
