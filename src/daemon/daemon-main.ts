/**
 * Entry point of dist/daemon.js: the engine daemon that `opsdeck up --detach` starts, without the
 * CLI around it (commander, the other commands), so the process that runs for as long as the
 * stack does holds less code. Takes what `opsdeck daemon` takes:
 *
 *   node dist/daemon.js --stack DIR [--profile NAME] [--no-start] [SERVICE...]
 */
// Must stay the first import: it replaces Headers/Request/Response before hono reads them.
import './daemon-globals';
import { parseArgs } from 'node:util';
import { OpsError } from '../core/contract';
import { findStackDir } from '../core/host';
import { reportError } from './report-error';
import { runDaemon } from './run-host';

const USAGE = 'usage: node dist/daemon.js --stack DIR [--profile NAME] [--no-start] [SERVICE...] (or `opsdeck daemon --help`)';

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { stack: { type: 'string', short: 'C' }, profile: { type: 'string', short: 'p' }, 'no-start': { type: 'boolean' } },
    });
  } catch (err) {
    throw new OpsError('BAD_REQUEST', `daemon: ${(err as Error).message}`, USAGE);
  }
  const { values, positionals } = parsed;
  if (!values.stack) throw new OpsError('BAD_REQUEST', 'daemon: --stack DIR is required', USAGE);
  await runDaemon(findStackDir(values.stack), { ...(values.profile ? { profile: values.profile } : {}), start: !values['no-start'], services: positionals });
}

main().catch((err: unknown) => {
  process.exitCode = reportError(err, false);
});
