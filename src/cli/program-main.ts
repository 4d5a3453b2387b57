/**
 * The whole CLI: the commander program run on the command line (bundled into dist/cli-program.js,
 * which dist/cli.js loads for every command its quick path does not answer).
 */
import { reportError } from '../daemon/report-error';
import { createProgram } from './program';

createProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.exitCode = reportError(err, process.argv.includes('--verbose'));
  });
