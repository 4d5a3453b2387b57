/**
 * Running a probe's or a check's command: from argv, in a process group of its own, with all of
 * its output. At the timeout, on `signal` (the service is being stopped) and as soon as the
 * command itself has ended, the whole group is killed: a shell's children
 * (`sh -c 'test "$(redis-cli PING)" = PONG'`) never outlive the command, which killing the shell
 * alone would leave running.
 */
import { execa } from 'execa';
import { timerDelay } from '../clock';

export interface CommandResult {
  exitCode: number | undefined;
  signal: string | undefined;
  /** stdout and stderr, interleaved. */
  output: string;
  timedOut: boolean;
  /** Why it could not start, when it could not. */
  startError: string | undefined;
}

export async function runCommand(argv: string[], opts: { cwd: string; env: Record<string, string>; timeoutMs: number; signal?: AbortSignal }): Promise<CommandResult> {
  const sub = execa(argv[0]!, argv.slice(1), {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: false,
    detached: true, // its own process group, killed as one
    reject: false,
    stdin: 'ignore',
    all: true,
  });
  const killGroup = () => {
    if (sub.pid === undefined) return;
    try {
      process.kill(-sub.pid, 'SIGKILL');
    } catch {
      // the group is gone
    }
  };
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, timerDelay(opts.timeoutMs));
  // Once the command itself has ended, what it left in its group goes: also a child that still
  // holds its output open, which would keep the result waiting until the timeout.
  sub.once('exit', () => {
    clearTimeout(timer);
    killGroup();
  });
  opts.signal?.addEventListener('abort', killGroup, { once: true });
  if (opts.signal?.aborted) killGroup();
  try {
    const r = await sub;
    return {
      exitCode: r.exitCode,
      signal: r.signal,
      output: String(r.all ?? ''),
      timedOut,
      startError: r.exitCode === undefined && !r.signal ? (r.shortMessage ?? 'could not start').split('\n')[0] : undefined,
    };
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', killGroup);
    killGroup(); // what the command left behind in its group
  }
}
