/**
 * A service's full-functionality check: a command that exercises the service (writes, reads
 * back, publishes and receives…) and exits 0 when everything works. Its output is kept, trimmed.
 */
import { execa } from 'execa';

export interface CheckResult {
  ok: boolean;
  durationMs: number;
  output: string;
}

const MAX_OUTPUT = 4000;

export async function runCheck(argv: string[], opts: { cwd: string; env: Record<string, string>; timeoutMs: number }): Promise<CheckResult> {
  const t0 = performance.now();
  const r = await execa(argv[0]!, argv.slice(1), {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: false,
    timeout: opts.timeoutMs,
    killSignal: 'SIGKILL',
    reject: false,
    stdin: 'ignore',
    all: true,
  });
  const durationMs = Math.round(performance.now() - t0);
  let output = String(r.all ?? '').trim();
  if (r.timedOut) output = `${output}\ntimed out after ${opts.timeoutMs}ms`.trim();
  else if (r.exitCode === undefined && !r.signal) output = `${output}\n${(r.shortMessage ?? '').split('\n')[0]}`.trim();
  if (output.length > MAX_OUTPUT) output = `…${output.slice(-MAX_OUTPUT)}`;
  return { ok: r.exitCode === 0 && !r.timedOut, durationMs, output };
}
