/**
 * How every CLI command ends: errors as JSON for --json (errorJson, exitCodeOf), and a closed
 * stdout as a quiet exit. Errors for humans are printed by src/daemon/report-error.ts, which the
 * daemon shares.
 */
import { isOpsError } from '../core/contract';
import { EXIT_ERROR, EXIT_INTERNAL, EXIT_OK } from '../daemon/report-error';

/** The `error` object of a `--json` failure: code, message, hint and (for config errors) the issues. */
export function errorJson(err: unknown): { code: string; message: string; hint: string | null; issues: unknown[] } {
  if (isOpsError(err)) {
    const details = err.details as { issues?: unknown } | undefined;
    return {
      code: err.code,
      message: err.message,
      hint: err.hint ?? null,
      issues: Array.isArray(details?.issues) ? details.issues : [],
    };
  }
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err), hint: null, issues: [] };
}

/**
 * A closed stdout (`opsdeck memory search web | head -1`) is a quiet end, exit 0, as for any
 * Unix filter: writes are dropped from then on; a command that runs until interrupted (`up` in
 * the foreground, `logs -f`) is interrupted as by Ctrl-C, so it stops what it runs cleanly; any
 * other ends at once. A closed stderr is ignored.
 */
export function endQuietlyWhenOutputCloses(): void {
  const closed = (stream: NodeJS.WriteStream, then: () => void) => {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
      stream.write = (() => true) as typeof stream.write;
      then();
    });
  };
  let ending = false;
  closed(process.stdout, () => {
    if (ending) return;
    ending = true;
    process.exitCode = EXIT_OK;
    if (process.listenerCount('SIGINT') > 0) process.emit('SIGINT', 'SIGINT');
    else process.exit(EXIT_OK);
  });
  closed(process.stderr, () => {});
}

/** The exit code for `err` without printing anything (for --json output). */
export function exitCodeOf(err: unknown): number {
  return isOpsError(err) ? EXIT_ERROR : EXIT_INTERNAL;
}
