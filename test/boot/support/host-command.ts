/**
 * Boot-test harness: run a command on the host (outside any container) and fail with what it said;
 * whether a host process still exists.
 * Asynchronous, so mocha's timeouts and the test's own timers keep running meanwhile.
 */
import { spawn, spawnSync } from 'node:child_process';

export interface HostRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `cmd` with `args`; resolves with what it printed and how it ended (never rejects on a non-zero exit). */
export function runHost(cmd: string, args: string[], opts: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<HostRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${cmd}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    // A command that exits before reading its input must not crash the test with EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** Like runHost, but rejects unless the command exits 0; the error shows the command and the end of its output. */
export async function mustRunHost(cmd: string, args: string[], opts: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const r = await runHost(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${[cmd, ...args].join(' ')} failed (${describeEnd(r)})\n${tailOf(r.stderr || r.stdout)}`);
  return r.stdout;
}

/** `exit N` or `killed by SIGNAL`. */
export function describeEnd(r: Pick<HostRun, 'code' | 'signal'>): string {
  return r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
}

/** The last `n` lines of `text`. */
export function tailOf(text: string, n = 30): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

/** Where `name` is on PATH, or undefined. */
export function which(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Whether process `pid` exists (a process of another user counts). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
