/**
 * `opsdeck exec [--wait-for SERVICE:healthy|started|completed]… [--delay D] [--timeout T]
 * [--name SERVICE] -- CMD ARGS…`: the wrapper native boot units run a service through. It waits
 * for the dependencies' readiness (their readiness probes from opsdeck.yaml) and the delay, then
 * runs the command. Node cannot replace itself with the command (no exec(2)): it spawns it with
 * the same stdin/stdout/stderr, passes on every signal it is sent, and exits with the command's
 * exit code, or dies of the same signal.
 */
import { spawn } from 'node:child_process';
import { InvalidArgumentError, type Command } from 'commander';
import { OpsError, parseDuration } from '../core/contract';
import { loadConfig, parseWaitSpec, waitForServices, writeExecMarker } from '../core/host';
import { stackDir } from './stack-context';

interface ExecOptions {
  waitFor: string[];
  delay: number;
  timeout: number;
  name?: string;
  quiet?: boolean;
}

/** The signals passed on to the command. */
const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

const durationArg = (what: string, allowZero: boolean) => (v: string) => {
  const ms = parseDuration(v);
  if (ms === undefined || (!allowZero && ms <= 0)) throw new InvalidArgumentError(`"${v}" is not a ${what} such as 10s or 2m`);
  return ms;
};

export function registerExec(program: Command): void {
  program
    .command('exec')
    .description('wait for services to be ready (and a delay), then run a command in this process\'s place (what native boot units run)')
    .argument('<command...>', 'the command and its arguments, after --')
    .option('-w, --wait-for <service:condition>', 'wait for SERVICE:healthy (its readiness probe passes), :started or :completed; repeatable', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--delay <duration>', 'wait this long first (e.g. a boot delay)', durationArg('duration', true), 0)
    .option('--timeout <duration>', 'give up waiting for the services after this long (exit 1)', durationArg('duration', false), 300_000)
    .option('--name <service>', 'the service this command is: records when it runs and ends, for others\' --wait-for NAME:started|completed')
    .option('-q, --quiet', 'say nothing while waiting')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck exec --wait-for storage:healthy -- node services/api.cjs
  $ opsdeck exec --delay 30s --wait-for db:healthy --wait-for queue:started --timeout 5m -- ./worker --verbose

healthy waits for the service's readiness probe (http, tcp or exec) from opsdeck.yaml; a service
without one counts once started. started and completed need that service to run under
\`opsdeck exec --name SERVICE\` (as native launchd and cron units do). Node has no exec(2): the
command runs as a child with this process's stdio; SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and
SIGUSR2 are passed on, and exec exits with the command's code (or is killed by its signal).

Exit codes: the command's; 1 when a service is not ready within --timeout (nothing is run);
127 when the command cannot be started.`,
    )
    .action(async (command: string[], opts: ExecOptions, cmd: Command) => {
      process.exitCode = await execAfterWaiting(cmd, command, opts);
    });
}

async function execAfterWaiting(cmd: Command, command: string[], opts: ExecOptions): Promise<number> {
  const needsStack = opts.waitFor.length > 0 || opts.name !== undefined;
  const stack = needsStack ? await loadConfig(stackDir(cmd)) : undefined;
  const specs = stack ? opts.waitFor.map((w) => parseWaitSpec(w, stack)) : [];
  if (stack && opts.name !== undefined && !Object.hasOwn(stack.config.services, opts.name)) {
    throw new OpsError('SERVICE_UNKNOWN', `--name ${opts.name}: no such service in stack ${stack.config.name}`, `the services are ${Object.keys(stack.config.services).join(', ')}`);
  }
  // A signal while waiting ends the wait: nothing has been started, so exit as killed by it.
  const stop = new AbortController();
  let caught: NodeJS.Signals | undefined;
  const onWaitSignal = (s: NodeJS.Signals) => {
    caught = s;
    stop.abort();
  };
  for (const s of FORWARDED) process.on(s, onWaitSignal);
  const say = (m: string) => !opts.quiet && process.stderr.write(`opsdeck exec: ${m}\n`);
  try {
    if (opts.delay) {
      say(`waiting ${opts.delay / 1000}s before starting`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, opts.delay);
        stop.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
    if (stack && specs.length && !stop.signal.aborted) {
      say(`waiting for ${specs.map((s) => `${s.service} to be ${s.condition}`).join(', ')}`);
      await waitForServices(stack, specs, { timeoutMs: opts.timeout, signal: stop.signal, onReady: (s) => say(`${s.service} is ${s.condition}`) });
    }
  } finally {
    for (const s of FORWARDED) process.off(s, onWaitSignal);
  }
  if (caught) return 128 + (signalNumber(caught) ?? 15);
  return run(command, stack?.dir, opts.name);
}

const signalNumber = (s: NodeJS.Signals): number | undefined => ({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGUSR1: 10, SIGUSR2: 12, SIGTERM: 15 })[s as string];

/** Run the command as a child in this process's place: same stdio, signals passed on, its exit code ours. */
function run(command: string[], stackDirPath: string | undefined, name: string | undefined): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: 'inherit' });
    const forward = (s: NodeJS.Signals) => child.kill(s);
    const mark = (m: Parameters<typeof writeExecMarker>[2]) => {
      if (stackDirPath && name) writeExecMarker(stackDirPath, name, m);
    };
    for (const s of FORWARDED) process.on(s, forward);
    child.once('spawn', () => mark({ pid: child.pid!, state: 'started' }));
    child.once('error', (e: NodeJS.ErrnoException) => {
      for (const s of FORWARDED) process.off(s, forward);
      process.stderr.write(`error: cannot run ${command[0]}: ${e.message}\nhint: give the program's full path, or check that it is installed and on PATH\n`);
      resolve(127);
    });
    child.once('exit', (code, signal) => {
      mark({ pid: child.pid!, state: code === 0 ? 'completed' : 'exited', code });
      for (const s of FORWARDED) process.off(s, forward);
      if (signal) {
        // Die of the same signal, so whoever waits for us (systemd, launchd) sees what the command saw.
        process.kill(process.pid, signal);
        setTimeout(() => resolve(128 + (signalNumber(signal) ?? 1)), 1000).unref();
        return;
      }
      resolve(code ?? 1);
    });
  });
}
