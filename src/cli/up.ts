/**
 * `opsdeck up` (run the stack: in the foreground with a live status table, or as a daemon with
 * --detach), `opsdeck daemon` (the engine with no UI, for launchd / systemd / --detach) and
 * `opsdeck down`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../core/config/load';
import { parseDuration } from '../core/duration';
import type { Engine, EngineStatus, PlanResult } from '../core/engine';
import { OpsError } from '../core/errors';
import { upPlan, withProfile } from '../core/profiles';
import { daemonCommand, daemonEnv, daemonNodeFlags } from './daemon-process';
import { runDaemon, startHost, stateLines, untilStopped } from './run-host';
import { formatPlan, statusHeadline, statusTable } from './format';
import { displayDir, ownerOf, printJson, stackDir } from './stack-context';
import { InvalidArgumentError } from 'commander';

interface UpOptions {
  detach?: boolean;
  profile?: string;
  dryRun?: boolean;
  json?: boolean;
  timeout: number;
}

const parseTimeout = (v: string) => {
  const ms = parseDuration(v);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError(`"${v}" is not a duration such as 60s or 2m`);
  return ms;
};

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('start the stack in dependency order and supervise it (foreground, or --detach)')
    .argument('[services...]', 'only these services (default: every service of the profile)')
    .option('-d, --detach', 'run the engine in the background and return once the stack is ready or failed')
    .option('-p, --profile <name>', 'use this profile (and remember it)')
    .option('--timeout <duration>', 'with --detach: how long to wait for the stack to settle', parseTimeout, 120_000)
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
      if (opts.dryRun) return printDryRun(dir, services, opts);
      if (opts.detach) {
        process.exitCode = await detach(dir, services, opts);
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
  $ opsdeck down api --dry-run       # what stopping api would do`,
    )
    .action(async (services: string[], opts: { dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const dir = stackDir(cmd);
      const owner = ownerOf(dir);
      let result: PlanResult;
      if (!owner) {
        result = { dryRun: !!opts.dryRun, plan: [] };
        if (!opts.json) process.stdout.write(`no engine is running for ${displayDir(dir)}: nothing to stop\n`);
      } else {
        result = await owner.client.down({ ...(services.length ? { services } : {}), dryRun: !!opts.dryRun });
      }
      if (opts.json) printJson(result);
      else if (owner) process.stdout.write(formatPlan(result.plan, result.dryRun) + '\n');
    });
}

async function printDryRun(dir: string, services: string[], opts: UpOptions): Promise<void> {
  let stack = await loadConfig(dir);
  if (opts.profile) stack = withProfile(stack, opts.profile);
  const names = services.length ? services : stack.services;
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
function liveTable(engine: Engine): { stop(): void } {
  let drawn = 0;
  let pending: NodeJS.Timeout | undefined;
  const draw = () => {
    pending = undefined;
    const status = engine.status();
    const text = `${statusHeadline(status)}\n${statusTable(status)}\n(Ctrl-C stops the stack)\n`;
    if (drawn) process.stdout.write(`\x1b[${drawn}F\x1b[0J`);
    process.stdout.write(text);
    drawn = text.split('\n').length - 1;
  };
  const sub = engine.bus.on('state', () => (pending ??= setTimeout(draw, 50)));
  const tick = setInterval(draw, 1000);
  draw();
  return {
    stop: () => {
      sub.dispose();
      clearInterval(tick);
      if (pending) clearTimeout(pending);
    },
  };
}

/** Start `opsdeck daemon` in the background, then wait until the stack settles. */
async function detach(dir: string, services: string[], opts: UpOptions): Promise<number> {
  const logDir = path.join(dir, '.opsdeck', 'logs');
  mkdirSync(logDir, { recursive: true });
  const out = openSync(path.join(logDir, 'engine.log'), 'a');
  const args = [...daemonCommand(process.argv[1]!), '--stack', dir, ...(opts.profile ? ['--profile', opts.profile] : []), ...services];
  // Ours first: a flag the user gave node explicitly (execArgv) comes later and wins.
  const child = spawn(process.execPath, [...daemonNodeFlags(), ...process.execArgv, ...args], { detached: true, stdio: ['ignore', out, out], env: daemonEnv() });
  child.unref();
  const deadline = Date.now() + opts.timeout;
  let status: EngineStatus | undefined;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    const owner = ownerOf(dir);
    if (!owner) {
      if (child.exitCode !== null) break;
      continue;
    }
    status = await owner.client.status().catch(() => undefined);
    if (status && settled(status)) break;
  }
  if (!status) {
    const msg = `the engine did not come up (see ${displayDir(path.join(logDir, 'engine.log'))})`;
    if (opts.json) printJson({ ok: false, error: { code: 'ENGINE_UNREACHABLE', message: msg } });
    else process.stderr.write(`error: ${msg}\n`);
    return 1;
  }
  const ok = status.services.filter((s) => s.inProfile).every((s) => s.state === 'ready' || s.completed);
  if (opts.json) printJson({ ok, status });
  else {
    process.stdout.write(`${statusHeadline(status)}\n${statusTable(status)}\n`);
    if (!ok) process.stderr.write(settled(status) ? 'error: not every service is ready\n' : `error: the stack did not settle within ${opts.timeout / 1000}s\n`);
  }
  return ok ? 0 : 1;
}

function settled(status: EngineStatus): boolean {
  return status.services
    .filter((s) => s.inProfile)
    .every((s) => s.completed || s.state === 'ready' || s.state === 'failed' || (s.state === 'degraded' && s.reason.startsWith('upstream')));
}

