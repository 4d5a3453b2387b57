/**
 * How every CLI command ends when something goes wrong: an OpsError prints `error: …` and
 * `hint: …` and exits 1; anything else is a bug in Opsdeck and exits 2. Stack traces only with
 * --verbose.
 */
import { isOpsError } from '../core/contract';

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_INTERNAL = 2;

/** Prints `err` for a human on stderr and returns the exit code to use. */
export function reportError(err: unknown, verbose: boolean): number {
  if (isOpsError(err)) {
    process.stderr.write(err.format() + '\n');
    if (verbose && err.stack) process.stderr.write(err.stack + '\n');
    return EXIT_ERROR;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`error: internal error: ${message}\n`);
  if (verbose && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
  else process.stderr.write('hint: run again with --verbose for the stack trace, and report it as a bug\n');
  return EXIT_INTERNAL;
}

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
