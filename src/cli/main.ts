/** Entry point of the `opsdeck` CLI (bundled into dist/cli.js). */
import { createProgram } from './program';
import { reportError } from '../daemon/report-error';
import { endQuietlyWhenOutputCloses } from './exit';

endQuietlyWhenOutputCloses();
createProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.exitCode = reportError(err, process.argv.includes('--verbose'));
  });
