/**
 * Entry point of dist/daemon.js: the engine daemon that `opsdeck up --detach` starts, without the
 * CLI around it (commander, the other commands), so the process that runs for as long as the
 * stack does holds less code. Takes what `opsdeck daemon` takes:
 *
 *   node dist/daemon.js --stack DIR [--profile NAME] [--no-start] [SERVICE...]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CONFIG_FILE } from '../core/config/load';
import { OpsError } from '../core/errors';
import { restoreServiceEnv } from './daemon-process';
import { reportError } from './exit';
import { runDaemon } from './run-host';

async function main(): Promise<void> {
  restoreServiceEnv();
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { stack: { type: 'string', short: 'C' }, profile: { type: 'string', short: 'p' }, 'no-start': { type: 'boolean' } },
    });
  } catch (err) {
    throw new OpsError('BAD_REQUEST', `daemon: ${(err as Error).message}`, 'usage: node dist/daemon.js --stack DIR [--profile NAME] [--no-start] [SERVICE...] (or `opsdeck daemon --help`)');
  }
  const { values, positionals } = parsed;
  if (!values.stack) throw new OpsError('BAD_REQUEST', 'daemon: --stack DIR is required', 'usage: node dist/daemon.js --stack DIR [--profile NAME] [--no-start] [SERVICE...]');
  const abs = path.resolve(values.stack);
  const dir = path.basename(abs) === CONFIG_FILE ? path.dirname(abs) : abs;
  await runDaemon(dir, { ...(values.profile ? { profile: values.profile } : {}), start: !values['no-start'], services: positionals });
}

main().catch((err: unknown) => {
  process.exitCode = reportError(err, false);
});
