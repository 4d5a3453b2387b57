/**
 * `opsdeck backup`, `opsdeck backups …` and `opsdeck restore` alone (bundled into
 * dist/cli-backup.js, which dist/cli.js loads for a command line whose command is one of them): the
 * program shell with only those commands, so they parse, help, err and answer as the whole program
 * does, without loading the rest of it (every other command, the webview's and the releases'
 * code): less to read, compile and run before a backup starts.
 */
import { reportError } from '../daemon/report-error';
import { registerBackup, registerRestore } from './backup/register';
import { programShell } from './program-shell';

const program = programShell();
registerBackup(program);
registerRestore(program);
program.parseAsync(process.argv).catch((err: unknown) => {
  process.exitCode = reportError(err, process.argv.includes('--verbose'));
});
