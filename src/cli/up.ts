/**
 * `opsdeck up` (run the stack: in the foreground with a live status table, or as a daemon with
 * --detach), `opsdeck daemon` (the engine with no UI, for launchd / systemd / --detach) and
 * `opsdeck down`.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { daemonCommand, daemonEnv, daemonNodeFlags } from '../daemon/daemon-process';
import { runDaemon, startHost, stateLines, untilStopped } from '../daemon/run-host';
import { formatPlan, statusHeadline, statusTable } from './format';
import { notReadyOf, parseSettle, parseTimeout, SETTLE_MS, waitSettled } from './settle-wait';
import { displayDir, ownerOf, printJson, stackDir } from './stack-context';
import { type EngineLike, OPSDECK_VERSION as VERSION, OpsError, type PlanResult } from '../core/contract';
import { assertServiceName, downWithoutEngine, loadConfig, type LoadedStack, upPlan, withDependencies, withProfile } from '../core/host';

interface UpOptions {
  detach?: boolean;
  profile?: string;
  dryRun?: boolean;
  json?: boolean;
  timeout: number;
  settle: number;
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('start the stack in dependency order and supervise it (foreground, or --detach)')
    .argument('[services...]', 'only these services and what they wait for (default: every service of the profile)')
    .option('-d, --detach', 'run the engine in the background and return once the stack is ready or failed')
    .option('-p, --profile <name>', 'use this profile (and remember it)')
    .addOption(new Option('--timeout <duration>', 'with --detach: how long to wait for the stack to settle').argParser(parseTimeout).default(120_000, '2m'))
    .addOption(new Option('--settle <duration>', 'with --detach: how long the stack must stay unchanged to count as settled').argParser(parseSettle).default(SETTLE_MS, '2s'))
    .option('--dry-run', 'print the start order and change nothing')
    .option('--json', 'with --detach or --dry-run: print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck up                        # foreground: live status table, Ctrl-C stops the stack
  $ opsdeck up --detach               # background; exit 0 once everything is ready, 1 if not
  $ opsdeck up --dry-run              # the start order, in waves
  $ opsdeck up --profile minimal api  # only api (and what it waits for) of profile minimal

Services named on the command line start with what they wait for (depends_on, transitively,
one-shot tasks included), in dependency order.
With --detach, the stack has settled when every service is ready, completed or failed (or
degraded by a failed upstream) and nothing has changed for --settle (2s by default): no state
change, restart or new process. A service that is ready at once and crashes a second later is so
reported as failing, not as ready.

Exit codes: 0 ready (or stopped cleanly), 1 error / not ready within --timeout / stack already run by another engine.`,
    )
    .action(async (services: string[], opts: UpOptions, cmd: Command) => {
      const dir = stackDir(cmd);
      const owner = ownerOf(dir);
      if (owner) {
        throw new OpsError(
          'STACK_LOCKED',
          `the stack in ${displayDir(dir)} is already run by pid ${owner.info.pid} (${owner.info.owner})`,
          'see it with `opsdeck status`; stop it with `opsdeck down`',
        );
      }
      if (!services.length && !opts.dryRun && !opts.detach) return foreground(dir, services, opts);
      // Read once: unknown names are refused before anything starts (with the closest name as a hint).
      const loaded = await loadConfig(dir);
      for (const s of services) assertServiceName(loaded, s);
      const stack = opts.profile ? withProfile(loaded, opts.profile) : loaded;
      if (opts.dryRun) return printDryRun(stack, services, opts);
      if (opts.detach) {
        process.exitCode = await detach(dir, stack, services, opts);
        return;
      }
      await foreground(dir, services, opts);
    });

  program
    .command('daemon')
    .description('run the engine without a UI (what launchd, systemd and `up --detach` start)')
    .option('-p, --profile <name>', 'use this profile')
    .option('--no-start', 'take the stack and serve the API, but start no service')
    .argument('[services...]', 'only these services (default: every service of the profile)')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck daemon --stack ~/shop      # what a boot-time unit runs
  $ opsdeck daemon --no-start          # serve the API; start services later with \`opsdeck start\`

Logs one line per state change on stdout. SIGTERM or SIGINT stops the stack and exits 0.`,
    )
    .action(async (services: string[], opts: { profile?: string; start: boolean }, cmd: Command) => {
      await runDaemon(stackDir(cmd), { ...opts, services });
    });

  program
    .command('down')
    .description('stop the stack (or some services) in reverse dependency order')
    .argument('[services...]', 'only these services (default: all; the engine then exits)')
    .option('--dry-run', 'print the stop order and change nothing')
    .option('--json', 'print the plan as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck down                     # stop everything; a daemon or foreground engine then exits
  $ opsdeck down api --dry-run       # what stopping api would do

Without a running engine, down stops what an engine that died (kill -9) left running.`,
    )
    .action(async (services: string[], opts: { dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const dir = stackDir(cmd);
      const owner = ownerOf(dir);
      let result: PlanResult;
      if (!owner) {
        // No engine: what a dead one left running (kill -9) is still ours to stop.
        const left = await downWithoutEngine(dir, services, !!opts.dryRun, VERSION);
        result = left.result;
        if (left.note) process.stderr.write(`note: ${left.note}\n`);
        if (!opts.json) process.stdout.write(result.plan.length ? formatPlan(result.plan, result.dryRun) + '\n' : `no engine is running for ${displayDir(dir)}: nothing to stop\n`);
      } else {
        result = await owner.client.down({ ...(services.length ? { services } : {}), dryRun: !!opts.dryRun });
        // The whole stack: a daemon or foreground engine exits next; return once it has (its stores
        // flushed, the lock released), so `opsdeck down && rm -rf .opsdeck` cannot race it.
        if (!services.length && !opts.dryRun && (owner.info.owner === 'daemon' || owner.info.owner === 'up')) await processGone(owner.info.pid, 30_000);
      }
      if (opts.json) printJson(result);
      else if (owner) process.stdout.write(formatPlan(result.plan, result.dryRun) + '\n');
    });
}

function printDryRun(stack: LoadedStack, services: string[], opts: UpOptions): void {
  const names = services.length ? withDependencies(stack.config.services, services) : stack.services;
  const result: PlanResult = { dryRun: true, plan: upPlan(stack, names, []) };
  if (opts.json) printJson(result);
  else process.stdout.write(formatPlan(result.plan, true) + '\n');
}

async function foreground(dir: string, services: string[], opts: UpOptions): Promise<void> {
  const host = await startHost(dir, 'up', opts.profile);
  const engine = host.engine;
  const live = process.stdout.isTTY ? liveTable(engine) : stateLines(engine);
  engine.up(services.length ? services : undefined);
  await untilStopped(host, live.stop);
}

/** A status table redrawn in place: on every event (debounced) and every second for uptimes. */
function liveTable(engine: EngineLike): { stop(): void } {
  let drawn = 0;
  let pending: NodeJS.Timeout | undefined;
  const draw = async () => {
    pending = undefined;
    const status = await engine.status();
    const text = `${statusHeadline(status)}\n${statusTable(status)}\n(Ctrl-C stops the stack)\n`;
    if (drawn) process.stdout.write(`\x1b[${drawn}F\x1b[0J`);
    process.stdout.write(text);
    drawn = text.split('\n').length - 1;
  };
  const sub = engine.bus.on('state', () => (pending ??= setTimeout(() => void draw(), 50)));
  const tick = setInterval(() => void draw(), 1000);
  void draw();
  return {
    stop: () => {
      sub.dispose();
      clearInterval(tick);
      if (pending) clearTimeout(pending);
    },
  };
}

/**
 * Start `opsdeck daemon` in the background, then wait until the stack settles: every service it
 * starts is ready, completed or failed, and nothing has changed for `opts.settle` (see settled()).
 */
async function detach(dir: string, stack: LoadedStack, services: string[], opts: UpOptions): Promise<number> {
  const logDir = path.join(dir, '.opsdeck', 'logs');
  mkdirSync(logDir, { recursive: true, mode: 0o700 }); // owner-only, as the service logs in it (src/core/private-files.ts)
  const logFile = path.join(logDir, 'engine.log');
  const logStart = sizeOf(logFile);
  const out = openSync(logFile, 'a', 0o600);
  // The services this run starts: those named and what they wait for, or the profile's.
  const named = services.length ? new Set(withDependencies(stack.config.services, services)) : undefined;
  // Unnamed: the profile the daemon runs (it may remember another than this file's); the status lists every service.
  const wanted = { has: (s: { name: string; inProfile: boolean }) => (named ? named.has(s.name) : s.inProfile) };
  const args = [...daemonCommand(process.argv[1]!), '--stack', dir, ...(opts.profile ? ['--profile', opts.profile] : []), ...services];
  // Ours first: a flag the user gave node explicitly (execArgv) comes later and wins.
  const child = spawn(process.execPath, [...daemonNodeFlags(), ...process.execArgv, ...args], { detached: true, stdio: ['ignore', out, out], env: daemonEnv() });
  child.unref();
  const { status, settled: done } = await waitSettled(wanted.has, {
    timeoutMs: opts.timeout,
    settleMs: opts.settle,
    poll: async () => ownerOf(dir)?.client.status().catch(() => undefined),
    givenUp: () => child.exitCode !== null && !ownerOf(dir),
  });
  // What the daemon said while it took the stack (a stale lock, services a dead engine left running).
  for (const note of notesSince(logFile, logStart)) process.stderr.write(`${note}\n`);
  if (!status) {
    const msg = `the engine did not come up (see ${displayDir(logFile)})`;
    if (opts.json) printJson({ ok: false, error: { code: 'ENGINE_UNREACHABLE', message: msg } });
    else process.stderr.write(`error: ${msg}\n`);
    return 1;
  }
  const which = notReadyOf(status, wanted.has);
  const ok = done && !which;
  if (opts.json) printJson({ ok, status });
  else {
    process.stdout.write(`${statusHeadline(status)}\n${statusTable(status)}\n`);
    if (!done) process.stderr.write(`error: the stack did not settle within ${opts.timeout / 1000}s${which ? `; not ready: ${which}` : ''}\n`);
    else if (!ok) process.stderr.write(`error: not ready: ${which}\n`);
  }
  return ok ? 0 : 1;
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The `note: …` lines written to `file` after byte `from`. */
function notesSince(file: string, from: number): string[] {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(Math.max(0, Math.min(sizeOf(file) - from, 1 << 20)));
    const n = readSync(fd, buf, 0, buf.length, from);
    return buf.subarray(0, n).toString('utf8').split('\n').filter((l) => l.startsWith('note: '));
  } catch {
    return [];
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Waits until process `pid` has exited (up to `timeoutMs`; a note on stderr if it has not). */
async function processGone(pid: number, timeoutMs: number): Promise<void> {
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  };
  const end = Date.now() + timeoutMs;
  while (alive()) {
    if (Date.now() > end) {
      process.stderr.write(`note: the engine (pid ${pid}) has not exited ${timeoutMs / 1000} s after stopping the stack\n`);
      return;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}
