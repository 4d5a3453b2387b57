/**
 * `opsdeck report` alone (bundled into dist/cli-report.js, which dist/cli.js loads for a command
 * line whose command is `report`): the program shell with only that command, so it parses, helps,
 * errs and answers as the whole program does, without loading the rest of it (the engine, the
 * backups, every other command). With an engine running the report comes from it over the API;
 * without, from the store opened here (src/cli/report.ts).
 */
import { reportError } from '../daemon/report-error';
import { programShell } from './program-shell';
import { registerReport } from './report';

const program = programShell();
registerReport(program);
program.parseAsync(process.argv).catch((err: unknown) => {
  process.exitCode = reportError(err, process.argv.includes('--verbose'));
});
