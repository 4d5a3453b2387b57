/** Entry point of the `opsdeck` CLI (bundled into dist/cli.js). */
import { createProgram } from './program';
import { reportError } from './exit';

createProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.exitCode = reportError(err, process.argv.includes('--verbose'));
  });
