/**
 * The row of `opsdeck restore ID` in the backup commands' table: a snapshot, whole or in part,
 * into a folder (`--target DIR`) or into the stack itself (`--in-place`: stop, safety snapshot,
 * stage and verify, swap, start, health gate; any failure rolls back to the safety snapshot).
 * See docs/backup.md.
 */
import path from 'node:path';
import { OpsError, type RestoreRunResult } from '../../core/contract';
import { formatRestore } from './format-runs';
import { collect, collectOne, durationArg } from './option-parsers';
import { defineCommand } from './run-command';

interface RestoreOptions {
  service?: string[];
  include?: string[];
  target?: string;
  inPlace?: boolean;
  dryRun?: boolean;
  healthTimeout: number;
  keepSpecialBits?: boolean;
  json?: boolean;
  progress: boolean;
}

export const restoreCommand = defineCommand<[id: string], RestoreOptions, RestoreRunResult>({
  name: 'restore',
  description: 'restore a snapshot (whole, one service, or some paths) into a folder or in place',
  arguments: [{ name: '<id>', description: 'a snapshot id, a unique prefix of one, or `latest`' }],
  options: [
    { flags: '-s, --service <name>', description: 'only this service (repeat or comma-separate for several)', parse: collect },
    { flags: '-i, --include <glob>', description: 'only paths matching this glob, on `path` or `service/path` (repeatable)', parse: collectOne },
    { flags: '--target <dir>', description: 'restore into this new or empty folder, as <dir>/<service>/<path>' },
    { flags: '--in-place', description: 'restore into the stack: stop, safety snapshot, verify, swap, start, health gate, rollback on failure' },
    { flags: '--health-timeout <duration>', description: 'in place: how long each service may take to be ready', parse: durationArg, default: 60_000, defaultLabel: '60s' },
    { flags: '--keep-special-bits', description: 'keep setuid/setgid bits from the snapshot (default: stripped, like tar without -p)' },
    { flags: '--dry-run', description: 'print the plan and change nothing' },
    { flags: '--json', description: 'print the result as JSON' },
    { flags: '--no-progress', description: 'no progress bar or progress lines' },
  ],
  help: `
Examples:
  $ opsdeck restore latest --target /tmp/restored          # everything, into a folder
  $ opsdeck restore 1a2b3c4d --service storage --in-place  # one service, in place
  $ opsdeck restore latest --include 'data/*.db' --in-place --dry-run
  $ opsdeck restore latest --service storage --in-place --json

In place, opsdeck.yaml is only restored when named (--include opsdeck.yaml).
Files and folders come back without setuid/setgid bits unless --keep-special-bits is given
(the sticky bit is kept).
Exit codes: 0 restored (and, in place, healthy), 1 error (in place: rolled back, as the message
says; nothing restored).`,
  check: (opts) => {
    if (opts.target && opts.inPlace) throw new OpsError('BAD_REQUEST', '--target and --in-place exclude each other', 'give --target DIR to restore into a folder, or --in-place to restore into the stack');
    if (!opts.target && !opts.inPlace) throw new OpsError('BAD_REQUEST', 'say where to restore: --target DIR or --in-place', '--target DIR writes <DIR>/<service>/<path>; --in-place replaces the stack\'s data (safety snapshot first, health gate after)');
  },
  progress: { kind: 'restore', shown: (opts) => opts.progress && !opts.json && !opts.dryRun },
  run: {
    lock: 'unless --dry-run',
    call: (service, { args: [id], opts, onProgress }) =>
      service.restore(
        id,
        {
          ...(opts.service ? { services: opts.service } : {}),
          ...(opts.include ? { include: opts.include } : {}),
          ...(opts.target ? { target: path.resolve(opts.target) } : {}),
          ...(opts.inPlace ? { inPlace: true } : {}),
          healthTimeoutMs: opts.healthTimeout,
          ...(opts.keepSpecialBits ? { keepSpecialBits: true } : {}),
          dryRun: !!opts.dryRun,
        },
        { onProgress },
      ),
  },
  human: formatRestore,
});
