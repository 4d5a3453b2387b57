/**
 * Entry point of the `opsdeck` CLI (bundled into dist/cli.js, which stays small): `status`,
 * `health` and `profile list` asked of a running engine are answered by the quick path
 * (quick-path.ts); everything else goes to the commander program (program-main.ts, bundled into
 * dist/cli-program.js and loaded only then: the engine, the config schemas, YAML, the backups).
 */
import { reportError } from '../daemon/report-error';
import { endQuietlyWhenOutputCloses } from './exit';
import { answerQuickly } from './quick-path';

endQuietlyWhenOutputCloses();
answerQuickly(process.argv.slice(2))
  .then((answered) => (answered ? undefined : import('./program-main')))
  .catch((err: unknown) => {
    process.exitCode = reportError(err, process.argv.includes('--verbose'));
  });
