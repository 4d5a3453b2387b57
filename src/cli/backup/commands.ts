/**
 * The table of `opsdeck backup` (one snapshot of the stack now, with a progress bar and a summary)
 * and `opsdeck backups init|list|show|diff|forget|prune|verify|drill|status`: each row's arguments,
 * options, help, the call it makes on the stack's backups, and how its result prints. Each works
 * through the running engine's API when one owns the stack; otherwise the command takes the stack
 * lock for its duration (owner `backup`) where its row says, runs the same code in-process, and
 * records its events in the stack's memory like the engine would. See docs/backup.md.
 */
import { type BackupInitResult, type BackupRunResult, type BackupStatus, type DrillRunResult, type ForgetRequest, type ForgetRunResult, keepWithinArg, OpsError, type PruneReport, type Snapshot, type SnapshotDiff, type SnapshotListing, type VerifyReport } from '../../core/contract';
import { initBackups } from '../../core/host';
import type { CommandGroup, OptionSpec } from './command-spec';
import { formatForget, formatInit, formatPrune, formatStatus, formatVerify } from './format-repository';
import { formatBackupResult, formatDrill } from './format-runs';
import { formatDiff, formatList, formatSnapshot } from './format-snapshots';
import { collect, durationArg, keepCount, subsetArg } from './option-parsers';
import { defineCommand } from './run-command';

const json = (description: string): OptionSpec => ({ flags: '--json', description });

interface JsonOnly {
  json?: boolean;
}

interface BackupOptions {
  service?: string[];
  tag?: string[];
  dryRun?: boolean;
  json?: boolean;
  progress: boolean;
}

export const backupCommand = defineCommand<[], BackupOptions, BackupRunResult>({
  name: 'backup',
  description: 'back up the stack now: consistent copies of every service\'s data plus opsdeck.yaml, as one snapshot',
  options: [
    { flags: '-s, --service <name>', description: 'only this service (repeat or comma-separate for several)', parse: collect },
    { flags: '-t, --tag <tag>', description: 'tag the snapshot (repeatable)', parse: collect },
    { flags: '--dry-run', description: 'take the copies and read everything, but write nothing' },
    json('print the result as JSON (no progress bar)'),
    { flags: '--no-progress', description: 'no progress bar or progress lines' },
  ],
  help: `
Examples:
  $ opsdeck backup                          # every service of the active profile
  $ opsdeck backup --service storage --tag before-upgrade
  $ opsdeck backup --dry-run                # what a backup would read and add
  $ opsdeck backup --json | jq .bytesAdded

The repository is backup.repository in opsdeck.yaml (default .opsdeck/backups); the first
backup creates it. Progress goes to stderr: a bar on a terminal, a line every 2 s otherwise.
Goes through the running engine when there is one, else takes the stack lock meanwhile.
Exit codes: 0 saved (structure check ok), 1 error (nothing saved, or the check found damage).`,
  progress: { kind: 'backup', shown: (opts) => opts.progress && !opts.json },
  run: {
    lock: 'unless --dry-run',
    call: (service, { opts, onProgress }) =>
      service.backup({ ...(opts.service ? { services: opts.service } : {}), ...(opts.tag ? { tags: opts.tag } : {}), dryRun: !!opts.dryRun }, { onProgress }),
  },
  human: formatBackupResult,
});

/** The forget request's fields as options, but `--keep-tag` (repeatable) for its keepTags. */
type ForgetOptions = Omit<ForgetRequest, 'keepTags'> & { keepTag?: string[]; json?: boolean };

interface VerifyOptions {
  readData?: boolean;
  readDataSubset?: string;
  json?: boolean;
  progress: boolean;
}

interface DrillOptions {
  service?: string[];
  keep?: boolean;
  healthTimeout: number;
  json?: boolean;
}

const init = defineCommand<[], { encrypt?: boolean; json?: boolean }, BackupInitResult>({
  name: 'init',
  description: 'create the backup repository (the first `opsdeck backup` also does)',
  options: [
    { flags: '--encrypt', description: 'encrypt it (AES-256-GCM); the key from backup.key_file / backup.key_env, else OPSDECK_BACKUP_KEY' },
    json('print the result as JSON'),
  ],
  help: `
Examples:
  $ opsdeck backups init
  $ OPSDECK_BACKUP_KEY=… opsdeck backups init --encrypt

Exit codes: 0 created, 1 error (a repository is there already).`,
  run: { onDir: (dir, { opts }) => initBackups(dir, { encrypt: !!opts.encrypt }) },
  human: formatInit,
});

const list = defineCommand<[], JsonOnly, SnapshotListing>({
  name: 'list',
  description: 'the snapshots, oldest first, and any manifest that cannot be read',
  options: [json('print them as JSON (`unreadable`: the manifests that cannot be read, and why)')],
  help: '\nA manifest that cannot be read (damaged, cut short) is not a snapshot you can restore: it is named\nbelow the table, and `opsdeck backups verify` says more.\n\nExamples:\n  $ opsdeck backups list\n  $ opsdeck backups list --json | jq \'.snapshots[-1].id\'\n\nExit codes: 0 listed (also when there are none, or some manifests cannot be read), 1 error.',
  run: { lock: 'never', call: (service) => service.list() },
  human: formatList,
});

const show = defineCommand<[id: string], JsonOnly, Snapshot>({
  name: 'show',
  description: 'one snapshot: what it holds, file by file',
  arguments: [{ name: '<id>', description: 'a snapshot id, a unique prefix of one, or `latest`' }],
  options: [json('print the snapshot manifest as JSON')],
  help: '\nExamples:\n  $ opsdeck backups show latest\n  $ opsdeck backups show 1a2b3c4d --json\n\nExit codes: 0 shown, 1 error (unknown or ambiguous id).',
  run: { lock: 'never', call: (service, { args: [id] }) => service.show(id) },
  human: formatSnapshot,
});

const diff = defineCommand<[a: string, b: string], JsonOnly, SnapshotDiff>({
  name: 'diff',
  description: 'what changed between two snapshots',
  arguments: [
    { name: '<id1>', description: 'the older snapshot' },
    { name: '<id2>', description: 'the newer snapshot' },
  ],
  options: [json('print the difference as JSON')],
  help: '\nExamples:\n  $ opsdeck backups diff 1a2b3c4d latest\n\nExit codes: 0 shown, 1 error (unknown id).',
  run: { lock: 'never', call: (service, { args: [a, b] }) => service.diff(a, b) },
  human: formatDiff,
});

const forget = defineCommand<[], ForgetOptions, ForgetRunResult>({
  name: 'forget',
  description: 'remove the snapshots no --keep-* rule keeps (restic\'s rules; default: backup.retention)',
  options: [
    { flags: '--keep-last <n>', description: 'the n newest', parse: keepCount },
    { flags: '--keep-hourly <n>', description: 'the newest of each of the last n hours that have one', parse: keepCount },
    { flags: '--keep-daily <n>', description: 'the newest of each of the last n days that have one', parse: keepCount },
    { flags: '--keep-weekly <n>', description: 'the newest of each of the last n ISO weeks that have one', parse: keepCount },
    { flags: '--keep-monthly <n>', description: 'the newest of each of the last n months that have one', parse: keepCount },
    { flags: '--keep-yearly <n>', description: 'the newest of each of the last n years that have one', parse: keepCount },
    { flags: '--keep-within <duration>', description: 'all within this of the newest snapshot (restic\'s form: 1y5m7d2h)', parse: (v) => keepWithinArg(v) },
    { flags: '--keep-tag <tag>', description: 'every snapshot with this tag (repeatable)', parse: collect },
    { flags: '--prune', description: 'then remove the data no snapshot references' },
    { flags: '--dry-run', description: 'print what would be kept (and by which rule) and removed, change nothing' },
    json('print the result as JSON'),
  ],
  help: `
Examples:
  $ opsdeck backups forget --keep-daily 7 --keep-weekly 4 --dry-run
  $ opsdeck backups forget --keep-last 10 --prune
  $ opsdeck backups forget                  # the rules of backup.retention in opsdeck.yaml

Snapshots are grouped by stack, profile and services; the rules apply to each group.
Exit codes: 0 done, 1 error (no rule given or configured).`,
  run: { lock: 'unless --dry-run', call: (service, { opts }) => service.forget(forgetRequest(opts)) },
  human: formatForget,
});

/** The --keep-* options given, as a request (`--keep-tag` → keepTags). */
function forgetRequest(opts: ForgetOptions): ForgetRequest {
  const { keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly, keepWithin, keepTag } = opts;
  return {
    ...(keepLast !== undefined ? { keepLast } : {}),
    ...(keepHourly !== undefined ? { keepHourly } : {}),
    ...(keepDaily !== undefined ? { keepDaily } : {}),
    ...(keepWeekly !== undefined ? { keepWeekly } : {}),
    ...(keepMonthly !== undefined ? { keepMonthly } : {}),
    ...(keepYearly !== undefined ? { keepYearly } : {}),
    ...(keepWithin !== undefined ? { keepWithin } : {}),
    ...(keepTag !== undefined ? { keepTags: keepTag } : {}),
    ...(opts.prune ? { prune: true } : {}),
    dryRun: !!opts.dryRun,
  };
}

const prune = defineCommand<[], { dryRun?: boolean; json?: boolean }, PruneReport>({
  name: 'prune',
  description: 'remove the data no snapshot references (safe to interrupt: nothing referenced is lost)',
  options: [{ flags: '--dry-run', description: 'print what would be removed, change nothing' }, json('print the report as JSON')],
  help: '\nExamples:\n  $ opsdeck backups prune --dry-run\n  $ opsdeck backups prune\n\nExit codes: 0 done, 1 error.',
  run: { lock: 'unless --dry-run', call: (service, { opts }) => service.prune({ dryRun: !!opts.dryRun }) },
  human: formatPrune,
});

const verify = defineCommand<[], VerifyOptions, VerifyReport>({
  name: 'verify',
  description: 'check the repository: structure always, data with --read-data; names the snapshots and files damage affects',
  options: [
    { flags: '--read-data', description: 're-read every pack and re-hash every chunk' },
    { flags: '--read-data-subset <subset>', description: 'only part of the data: N/T (the N-th of T parts) or P% (a random share)', parse: subsetArg },
    json('print the report as JSON (no progress bar)'),
    { flags: '--no-progress', description: 'no progress bar or progress lines' },
  ],
  help: `
Examples:
  $ opsdeck backups verify                       # structure
  $ opsdeck backups verify --read-data           # and every byte
  $ opsdeck backups verify --read-data-subset 2/7

Progress goes to stderr: a bar on a terminal, a line every 2 s otherwise.
Exit codes: 0 ok, 1 damage found (the report names what is affected) or error.`,
  check: (opts) => {
    if (opts.readData && opts.readDataSubset) throw new OpsError('BAD_REQUEST', '--read-data and --read-data-subset exclude each other', 'give one of them');
  },
  progress: { kind: 'verify', shown: (opts) => opts.progress && !opts.json },
  run: {
    lock: 'always',
    call: (service, { opts, onProgress }) => {
      const readData = opts.readDataSubset ?? (opts.readData ? true : undefined);
      return service.verify(readData === undefined ? {} : { readData }, { onProgress });
    },
  },
  human: formatVerify,
  exitCode: (r) => (r.ok ? 0 : 1),
});

const drill = defineCommand<[id: string | undefined], DrillOptions, DrillRunResult>({
  name: 'drill',
  description: 'recovery drill: restore a snapshot into a sandbox, start its services there, run their checks, measure the recovery time',
  arguments: [{ name: '[id]', description: 'the snapshot (default: the newest)' }],
  options: [
    { flags: '-s, --service <name>', description: 'only this service (repeatable; default: every service in the snapshot)', parse: collect },
    { flags: '--keep', description: 'keep the sandbox folder (.opsdeck/drills/…) afterwards' },
    { flags: '--health-timeout <duration>', description: 'how long each service may take to be ready', parse: durationArg, default: 60_000, defaultLabel: '60s' },
    json('print the result as JSON'),
  ],
  help: `
Examples:
  $ opsdeck backups drill                     # the newest snapshot, every service in it
  $ opsdeck backups drill 1a2b3c4d --service storage --json

The live stack is not touched: the drill runs on free ports from its own folder. The
measured recovery time is recorded and compared with each service's rto (docs/rto-rpo.md).
Exit codes: 0 passed, 1 failed (the sandbox is kept for a look).`,
  run: {
    lock: 'always',
    call: (service, { args: [id], opts }) =>
      service.drill({ ...(id ? { snapshot: id } : {}), ...(opts.service ? { services: opts.service } : {}), keep: !!opts.keep, healthTimeoutMs: opts.healthTimeout }),
  },
  human: formatDrill,
});

const status = defineCommand<[], JsonOnly, BackupStatus>({
  name: 'status',
  description: 'repository, schedule, each service\'s newest backup against its RPO, and measured recoveries against its RTO',
  options: [json('print the status as JSON')],
  help: '\nExamples:\n  $ opsdeck backups status\n  $ opsdeck backups status --json | jq \'.services[] | select(.rpo == "breach")\'\n\nExit codes: 0 shown (also with breaches), 1 error.',
  run: { lock: 'never', call: (service) => service.status() },
  human: formatStatus,
});

export const backupsGroup: CommandGroup = {
  name: 'backups',
  description: 'the snapshots of the stack: list, show, diff, forget, prune, verify, drill, status',
  help: `
Examples:
  $ opsdeck backups list
  $ opsdeck backups verify --read-data
  $ opsdeck backups forget --keep-daily 7 --keep-weekly 4 --dry-run

See docs/backup.md and docs/rto-rpo.md.`,
  commands: [init, list, show, diff, forget, prune, verify, drill, status],
};
