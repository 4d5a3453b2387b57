/**
 * How an Opsdeck process (a CLI command, the daemon at start-up) reports a failure on stderr: an
 * OpsError prints `error: …` and `hint: …` and exits 1; anything else is a bug in Opsdeck and
 * exits 2. Stack traces only with --verbose.
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
