/**
 * A service's full-functionality check: a command that exercises the service (writes, reads
 * back, publishes and receives…) and exits 0 when everything works. Its output is kept, trimmed.
 */
import { runCommand } from './run-command';

import type { CheckResult } from '../contract/status';

const MAX_OUTPUT = 4000;

export async function runCheck(argv: string[], opts: { cwd: string; env: Record<string, string>; timeoutMs: number; signal?: AbortSignal }): Promise<CheckResult> {
  const t0 = performance.now();
  const r = await runCommand(argv, opts);
  const durationMs = Math.round(performance.now() - t0);
  let output = r.output.trim();
  if (r.timedOut) output = `${output}\ntimed out after ${opts.timeoutMs}ms`.trim();
  else if (r.startError) output = `${output}\n${r.startError}`.trim();
  if (output.length > MAX_OUTPUT) output = `…${output.slice(-MAX_OUTPUT)}`;
  return { ok: r.exitCode === 0 && !r.timedOut, durationMs, output };
}
