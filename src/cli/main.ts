/**
 * Entry point of the `opsdeck` CLI (bundled into dist/cli.js, which stays small): `status`,
 * `health` and `profile list` asked of a running engine are answered by the quick path
 * (quick-path.ts); `report` by the program shell with that command alone (report-program-main.ts,
 * bundled into dist/cli-report.js); `backup`, `backups` and `restore` likewise by
 * backup-program-main.ts (dist/cli-backup.js); everything else goes to the commander program
 * (program-main.ts, bundled into dist/cli-program.js and loaded only then: the engine, the config
 * schemas, YAML, the backups).
 */
import { reportError } from '../daemon/report-error';
import { commandWord } from './command-word';
import { endQuietlyWhenOutputCloses } from './exit';
import { answerQuickly } from './quick-path';

endQuietlyWhenOutputCloses();
const args = process.argv.slice(2);
answerQuickly(args)
  .then((answered) => (answered ? undefined : loadProgram(commandWord(args))))
  .catch((err: unknown) => {
    process.exitCode = reportError(err, process.argv.includes('--verbose'));
  });

function loadProgram(word: string | undefined): Promise<unknown> {
  if (word === 'report') return import('./report-program-main');
  if (word === 'backup' || word === 'backups' || word === 'restore') return import('./backup-program-main');
  return import('./program-main');
}
