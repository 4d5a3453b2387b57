/**
 * `opsdeck backup` (one snapshot of the stack now, with a progress bar and a summary) and
 * `opsdeck backups init|list|show|diff|forget|prune|verify|drill|status`. Each works through the
 * running engine's API when one owns the stack; otherwise the command takes the stack lock for
 * its duration (owner `backup`), runs the same code in-process, and records its events in the
 * stack's memory like the engine would. See docs/backup.md.
 */
import path from 'node:path';
import { SingleBar } from 'cli-progress';
import { InvalidArgumentError, type Command } from 'commander';
import type { BackupManager } from '../core/backup/manager';
import { keepWithinArg } from '../core/backup/manager';
import { count, formatBytes, shortId } from '../core/format';
import type { Snapshot, SnapshotDiff, SnapshotInfo, VerifyReport } from '../core/backup/repo';
import type { BackupProgress, BackupRunResult, BackupService, BackupStatus, DrillRunResult, ForgetRunResult, RestoreProgress } from '../core/backup/types';
import type { ApiClient } from '../core/api/client';
import { formatDuration, parseDuration } from '../core/duration';
import { Engine } from '../core/engine';
import { OpsError } from '../core/errors';
import { acquireLock } from '../core/stack-lock';
import { errorJson, exitCodeOf, reportError } from './exit';
import { bold, dim, green, red, table, yellow } from './format';
import { displayDir, globals, ownerOf, printJson, stackDir } from './stack-context';
import { OPSDECK_VERSION as VERSION } from '../core/version';

// ------------------------------------------------------------------ running against the stack

/** The backups of the stack: the owning engine's (over the API), or a one-shot engine's. */
export interface BackupAccess {
  service: BackupService;
  /** `api` when an engine owns the stack, `direct` for a one-shot run. */
  via: 'api' | 'direct';
  manager?: BackupManager;
}

/**
 * Run `fn` with the stack's backups. Without an owner: `lock` takes the stack lock for the
 * duration (commands that write the repository or touch services), and events go to memory.
 */
export async function withBackups<T>(dir: string, opts: { lock: boolean }, fn: (b: BackupAccess) => Promise<T>): Promise<T> {
  const owner = ownerOf(dir);
  if (owner) return fn({ service: viaApi(owner.client), via: 'api' });
  const lock = opts.lock ? acquireLock(dir, { owner: 'backup', version: VERSION }) : undefined;
  let engine: Engine | undefined;
  let memory: { close(): void } | undefined;
  try {
    engine = await Engine.open(dir);
    if (opts.lock) {
      // Holding the stack lock, this command is the stack's owner for now: it records its events.
      const { openMemoryInProcess } = await import('../core/memory/ingest');
      const store = openMemoryInProcess(path.join(engine.stack.dir, '.opsdeck'));
      engine.useMemory(store);
      memory = store;
    }
    return await fn({ service: engine.backups, via: 'direct', manager: engine.backups });
  } finally {
    await engine?.dispose();
    memory?.close();
    lock?.release();
  }
}

function viaApi(client: ApiClient): BackupService {
  return {
    backup: (req, o) => client.backup(req, o?.onProgress),
    list: () => client.listSnapshots(),
    show: (id) => client.showSnapshot(id),
    diff: (a, b) => client.diffSnapshots(a, b),
    forget: (req) => client.forget(req),
    prune: (o) => client.prune(!!o?.dryRun),
    verify: (req) => client.verify(req),
    restore: (id, req) => client.restore(id, req),
    drill: (req) => client.drill(req),
    status: () => client.backupStatus(),
  };
}

/** Run a command body; with --json an error is printed as `{ok: false, error}` on stdout. */
export async function runJsonAware(cmd: Command, json: boolean | undefined, body: () => Promise<number | void>): Promise<void> {
  try {
    const code = await body();
    if (typeof code === 'number') process.exitCode = code;
  } catch (err) {
    if (!json) {
      process.exitCode = reportError(err, globals(cmd).verbose ?? false);
      return;
    }
    printJson({ ok: false, error: errorJson(err) });
    process.exitCode = exitCodeOf(err);
  }
}

// ------------------------------------------------------------------ progress

/** A progress bar on a terminal (files, bytes, throughput, ETA); plain lines otherwise. On stderr. */
export function progressReporter(kind: 'backup' | 'restore', enabled: boolean): { update(p: BackupProgress | RestoreProgress): void; stop(): void } {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const rate = (p: { bytesDone: number; elapsedMs: number }) => (p.elapsedMs > 0 ? (p.bytesDone * 1000) / p.elapsedMs : 0);
  const eta = (p: { bytesDone: number; bytesTotal: number; elapsedMs: number }) => {
    const r = rate(p);
    return r > 0 && p.bytesTotal > p.bytesDone ? formatDuration(((p.bytesTotal - p.bytesDone) / r) * 1000) : '-';
  };
  if (process.stderr.isTTY) {
    const bar = new SingleBar(
      {
        format: `${kind} {bar} {percentage}% | {files} files | {bytes} | {speed}/s | ETA {etaText} | {phase}`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
        stopOnComplete: false,
        etaBuffer: 20,
        stream: process.stderr,
      },
      undefined,
    );
    let started = false;
    return {
      update(p) {
        const payload = {
          files: `${p.filesDone}/${p.filesTotal}`,
          bytes: `${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}`,
          speed: formatBytes(Math.round(rate(p))),
          etaText: eta(p),
          phase: p.phase,
        };
        const total = Math.max(1, p.bytesTotal);
        if (!started) {
          bar.start(total, Math.min(p.bytesDone, total), payload);
          started = true;
        } else {
          bar.setTotal(total);
          bar.update(Math.min(p.bytesDone, total), payload);
        }
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let last = 0;
  let lastPhase = '';
  return {
    update(p) {
      const now = Date.now();
      if (p.phase === lastPhase && now - last < 2000) return;
      last = now;
      lastPhase = p.phase;
      process.stderr.write(
        `${kind}: ${p.phase} ${p.filesDone}/${p.filesTotal} files, ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}, ${formatBytes(Math.round(rate(p)))}/s, ETA ${eta(p)}\n`,
      );
    },
    stop: () => undefined,
  };
}

// ------------------------------------------------------------------ printing

const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

export function formatBackupResult(r: BackupRunResult): string {
  const lines: string[] = [];
  const where = displayDir(r.repository);
  if (r.dryRun) lines.push(`${bold('dry run')}: nothing was written; a backup now would make this snapshot in ${where}:`);
  else lines.push(`${green('snapshot')} ${bold(shortId(r.snapshot))} saved in ${where}${r.repositoryCreated ? ' (repository created)' : ''}`);
  lines.push(`  services   ${r.services.length ? r.services.join(', ') : '(none declares a backup)'} + opsdeck.yaml${r.tags.length ? ` [${r.tags.join(', ')}]` : ''}`);
  lines.push(`  files      ${r.files} (${r.filesNew} new, ${r.filesChanged} changed, ${r.filesUnchanged} unchanged)`);
  lines.push(`  data       ${formatBytes(r.bytesRead)} read of ${formatBytes(r.bytesTotal)}; ${formatBytes(r.bytesAdded)} ${r.dryRun ? 'would be' : ''} added after dedup and compression`.replace('  added', ' added'));
  lines.push(`  duration   ${formatDuration(r.durationMs)}`);
  if (r.check) lines.push(`  check      ${r.check.ok ? green('structure ok') : red(count(r.check.errors, 'problem'))}${r.check.warnings ? ` (${count(r.check.warnings, 'warning')})` : ''}`);
  for (const n of r.notes) lines.push(dim(`  note       ${n.service} ${n.path}: ${n.note}`));
  for (const s of r.skipped) lines.push(yellow(`  skipped    ${s.service} ${s.path}: ${s.reason}`));
  return lines.join('\n');
}

function formatList(snaps: SnapshotInfo[]): string {
  if (!snaps.length) return 'no snapshots yet (make one with `opsdeck backup`)';
  return table(
    ['ID', 'TIME', 'PROFILE', 'SERVICES', 'TAGS', 'FILES', 'SIZE', 'ADDED'],
    snaps.map((s) => [
      shortId(s.id),
      when(s.time),
      s.profile || '-',
      s.services.join(',') || '-',
      s.tags.join(',') || '-',
      String(s.files ?? '-'),
      formatBytes(s.bytes ?? Number(s.summary?.bytesTotal ?? 0)),
      formatBytes(Number(s.summary?.bytesAdded ?? 0)),
    ]),
  );
}

function formatSnapshot(s: Snapshot): string {
  const head = [
    `${bold('snapshot')} ${s.id}`,
    `  time       ${when(s.time)}`,
    `  stack      ${s.stack}${s.profile ? ` (profile ${s.profile})` : ''} on ${s.hostname}`,
    `  services   ${s.services.join(', ') || '-'}`,
    `  tags       ${s.tags.join(', ') || '-'}`,
    `  opsdeck    ${s.opsdeckVersion}${s.gitCommit ? `, git ${s.gitCommit.slice(0, 12)}` : ''}, config ${s.configHash.slice(0, 12)}`,
    ...(s.parent ? [`  parent     ${shortId(s.parent)}`] : []),
  ];
  const files = s.entries.filter((e) => e.type !== 'dir');
  const rows = files.map((e) => [e.service, e.path, e.type === 'symlink' ? `→ ${e.linkTarget}` : formatBytes(e.size), e.sha256 ? e.sha256.slice(0, 12) : '-']);
  return `${head.join('\n')}\n\n${table(['SERVICE', 'PATH', 'SIZE', 'SHA-256'], rows)}\n${dim(`${count(files.length, 'file')}, ${formatBytes(files.reduce((n, e) => n + e.size, 0))}`)}`;
}

function formatDiff(d: SnapshotDiff): string {
  const lines = [`${bold('diff')} ${shortId(d.a)} → ${shortId(d.b)}`];
  for (const e of d.added) lines.push(green(`+ ${e.service}/${e.path} (${formatBytes(e.size)})`));
  for (const e of d.removed) lines.push(red(`- ${e.service}/${e.path} (${formatBytes(e.size)})`));
  for (const e of d.changed) lines.push(yellow(`M ${e.service}/${e.path} (${e.what.join(', ')}: ${formatBytes(e.sizeBefore)} → ${formatBytes(e.sizeAfter)})`));
  lines.push(dim(`${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed, ${d.unchanged} unchanged`));
  return lines.join('\n');
}

function formatForget(r: ForgetRunResult): string {
  const lines = [`${r.dryRun ? `${bold('dry run')}: nothing removed; ` : ''}policy ${JSON.stringify(r.policy)}`];
  lines.push(
    table(
      ['ID', 'TIME', 'SERVICES', 'DECISION'],
      [
        ...r.keep.map((k) => [shortId(k.snapshot.id), when(k.snapshot.time), k.snapshot.services.join(','), green(`keep: ${k.reasons.join(', ')}`)]),
        ...r.remove.map((s) => [shortId(s.id), when(s.time), s.services.join(','), red(r.dryRun ? 'would remove' : 'removed')]),
      ].sort((a, b) => a[1]!.localeCompare(b[1]!)),
    ),
  );
  lines.push(dim(`${r.keep.length} kept, ${r.remove.length} ${r.dryRun ? 'to remove' : 'removed'}`));
  if (r.prune) lines.push(`pruned: ${formatBytes(r.prune.bytesFreed)} freed (${count(r.prune.packsDeleted, 'pack')} deleted, ${r.prune.packsRepacked} repacked)`);
  return lines.join('\n');
}

function formatVerify(r: VerifyReport): string {
  const lines = [
    `${r.ok ? green('ok') : red('DAMAGED')}: ${count(r.snapshots, 'snapshot')}, ${count(r.packs, 'pack')}, ${count(r.blobs, 'blob')} checked${r.readData ? `; data re-read: ${count(r.packsRead, 'pack')}, ${formatBytes(r.bytesRead)}${r.subset ? ` (subset ${r.subset})` : ''}` : ' (structure only; --read-data re-hashes the data)'} in ${formatDuration(r.durationMs)}`,
  ];
  for (const p of r.problems) lines.push(`${p.severity === 'error' ? red('error') : yellow('warning')}: ${p.message}`);
  for (const a of r.affected) {
    lines.push(red(`snapshot ${shortId(a.snapshot)} (${when(a.time)}) cannot restore intact:`));
    for (const f of a.files) lines.push(`  ${f.service}/${f.path}`);
  }
  return lines.join('\n');
}

function formatDrill(r: DrillRunResult): string {
  const lines = [
    `${green('drill passed')}: snapshot ${shortId(r.snapshot)} (${when(r.snapshotTime)}) restored and running in a sandbox`,
    `  services   ${r.services.join(', ')}${r.started.length > r.services.length ? ` (started with ${r.started.filter((s) => !r.services.includes(s)).join(', ')})` : ''}`,
    `  recovery   ${formatDuration(r.recoveryMs)} (restore ${formatDuration(r.phases.restoreMs)}, start ${formatDuration(r.phases.startMs)}, check ${formatDuration(r.phases.checkMs)})`,
  ];
  for (const o of r.objectives) lines.push(`  RTO        ${o.service}: ${o.rtoMs === undefined ? 'none declared' : `${formatDuration(o.rtoMs)} ${o.withinRto ? green('met') : red('MISSED')}`}`);
  for (const c of r.checks) lines.push(dim(`  check      ${c.service}: ${c.output}`));
  lines.push(dim(`  sandbox    ${r.kept ? r.sandbox : 'removed'}`));
  return lines.join('\n');
}

function formatStatus(s: BackupStatus): string {
  const lines = [
    `${bold('repository')} ${displayDir(s.repository)}${s.exists ? `: ${count(s.snapshots, 'snapshot')}${s.encrypted ? ', encrypted' : ''}${s.newest ? `, newest ${shortId(s.newest.snapshot)} at ${when(s.newest.time)}` : ''}` : ' (not created yet)'}`,
    `  schedule   ${s.schedule ? `${s.schedule.cron}${s.schedule.next ? `, next ${when(s.schedule.next)}` : ''}` : 'none (backup.schedule in opsdeck.yaml)'}`,
    `  verify     ${s.verifySchedule ? `${s.verifySchedule.cron}, subset ${s.verifySchedule.subset}${s.verifySchedule.next ? `, next ${when(s.verifySchedule.next)}` : ''}` : 'not scheduled'}${s.lastVerify ? `; last ${new Date(s.lastVerify.at).toISOString()} ${s.lastVerify.ok ? 'ok' : red('DAMAGED')}` : ''}`,
    `  retention  ${s.retention ? JSON.stringify(s.retention) : 'none'}`,
    '',
    table(
      ['SERVICE', 'NEWEST', 'AGE', 'RPO', 'RTO', 'LAST RECOVERY'],
      s.services.map((v) => [
        v.service,
        v.newest ? shortId(v.newest.snapshot) : '-',
        v.newest ? formatDuration(v.newest.ageMs) : '-',
        v.rpoMs === undefined ? '-' : `${formatDuration(v.rpoMs)} ${v.rpo === 'ok' ? green('ok') : red('BREACH')}`,
        v.rtoMs === undefined ? '-' : formatDuration(v.rtoMs),
        v.lastRecovery ? `${v.lastRecovery.kind} ${formatDuration(v.lastRecovery.recoveryMs)}${v.lastRecovery.ok ? '' : ' failed'}${v.lastRecovery.withinRto === undefined ? '' : v.lastRecovery.withinRto ? ' (RTO met)' : red(' (RTO MISSED)')}` : '-',
      ]),
    ),
  ];
  return lines.join('\n');
}

// ------------------------------------------------------------------ options

const collect = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

const keepCount = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < -1 || n === 0) throw new InvalidArgumentError(`"${v}" is not a count: give a whole number greater than 0, or -1 for unlimited`);
  return n;
};

const subsetArg = (v: string) => {
  if (!/^(\d+\/\d+|\d+(\.\d+)?%)$/.test(v)) throw new InvalidArgumentError(`"${v}" is not a subset: write N/T (e.g. 1/7) or P% (e.g. 5%)`);
  const m = /^(\d+)\/(\d+)$/.exec(v);
  if (m && (Number(m[1]) < 1 || Number(m[1]) > Number(m[2]))) throw new InvalidArgumentError(`"${v}": N must be between 1 and T`);
  return v;
};

// ------------------------------------------------------------------ commands

export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description('back up the stack now: consistent copies of every service\'s data plus opsdeck.yaml, as one snapshot')
    .option('-s, --service <name>', 'only this service (repeat or comma-separate for several)', collect)
    .option('-t, --tag <tag>', 'tag the snapshot (repeatable)', collect)
    .option('--dry-run', 'take the copies and read everything, but write nothing')
    .option('--json', 'print the result as JSON (no progress bar)')
    .option('--no-progress', 'no progress bar or progress lines')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck backup                          # every service of the active profile
  $ opsdeck backup --service storage --tag before-upgrade
  $ opsdeck backup --dry-run                # what a backup would read and add
  $ opsdeck backup --json | jq .bytesAdded

The repository is backup.repository in opsdeck.yaml (default .opsdeck/backups); the first
backup creates it. Progress goes to stderr: a bar on a terminal, a line every 2 s otherwise.
Goes through the running engine when there is one, else takes the stack lock meanwhile.
Exit codes: 0 saved (structure check ok), 1 error (nothing saved, or the check found damage).`,
    )
    .action(async (opts: { service?: string[]; tag?: string[]; dryRun?: boolean; json?: boolean; progress: boolean }, cmd: Command) => {
      await runJsonAware(cmd, opts.json, async () => {
        const dir = stackDir(cmd);
        const progress = progressReporter('backup', opts.progress && !opts.json);
        try {
          const result = await withBackups(dir, { lock: !opts.dryRun }, ({ service }) =>
            service.backup({ ...(opts.service ? { services: opts.service } : {}), ...(opts.tag ? { tags: opts.tag } : {}), dryRun: !!opts.dryRun }, { onProgress: (p) => progress.update(p) }),
          );
          progress.stop();
          if (opts.json) printJson(result);
          else process.stdout.write(formatBackupResult(result) + '\n');
        } finally {
          progress.stop();
        }
      });
    });

  const backups = program
    .command('backups')
    .description('the snapshots of the stack: list, show, diff, forget, prune, verify, drill, status')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck backups list
  $ opsdeck backups verify --read-data
  $ opsdeck backups forget --keep-daily 7 --keep-weekly 4 --dry-run

See docs/backup.md and docs/rto-rpo.md.`,
    );

  backups
    .command('init')
    .description('create the backup repository (the first `opsdeck backup` also does)')
    .option('--encrypt', 'encrypt it (AES-256-GCM); the key from backup.key_file / backup.key_env, else OPSDECK_BACKUP_KEY')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck backups init
  $ OPSDECK_BACKUP_KEY=… opsdeck backups init --encrypt

Exit codes: 0 created, 1 error (a repository is there already).`,
    )
    .action(async (opts: { encrypt?: boolean; json?: boolean }, cmd: Command) => {
      await runJsonAware(cmd, opts.json, async () => {
        const engine = await Engine.open(stackDir(cmd));
        try {
          const r = await engine.backups.init({ encrypt: !!opts.encrypt });
          if (opts.json) printJson(r);
          else process.stdout.write(`created ${r.encrypted ? 'an encrypted' : 'a'} backup repository in ${displayDir(r.repository)}\n`);
        } finally {
          await engine.dispose();
        }
      });
    });

  backups
    .command('list')
    .description('the snapshots, oldest first')
    .option('--json', 'print them as JSON')
    .addHelpText('after', '\nExamples:\n  $ opsdeck backups list\n  $ opsdeck backups list --json | jq \'.snapshots[-1].id\'\n\nExit codes: 0 listed (also when there are none), 1 error.')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await runJsonAware(cmd, opts.json, async () => {
        const snaps = await withBackups(stackDir(cmd), { lock: false }, ({ service }) => service.list());
        if (opts.json) printJson({ snapshots: snaps });
        else process.stdout.write(formatList(snaps) + '\n');
      });
    });

  backups
    .command('show')
    .description('one snapshot: what it holds, file by file')
    .argument('<id>', 'a snapshot id, a unique prefix of one, or `latest`')
    .option('--json', 'print the snapshot manifest as JSON')
    .addHelpText('after', '\nExamples:\n  $ opsdeck backups show latest\n  $ opsdeck backups show 1a2b3c4d --json\n\nExit codes: 0 shown, 1 error (unknown or ambiguous id).')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      await runJsonAware(cmd, opts.json, async () => {
        const snap = await withBackups(stackDir(cmd), { lock: false }, ({ service }) => service.show(id));
        if (opts.json) printJson(snap);
        else process.stdout.write(formatSnapshot(snap) + '\n');
      });
    });

  backups
    .command('diff')
    .description('what changed between two snapshots')
    .argument('<id1>', 'the older snapshot')
    .argument('<id2>', 'the newer snapshot')
    .option('--json', 'print the difference as JSON')
    .addHelpText('after', '\nExamples:\n  $ opsdeck backups diff 1a2b3c4d latest\n\nExit codes: 0 shown, 1 error (unknown id).')
    .action(async (a: string, b: string, opts: { json?: boolean }, cmd: Command) => {
      await runJsonAware(cmd, opts.json, async () => {
        const d = await withBackups(stackDir(cmd), { lock: false }, ({ service }) => service.diff(a, b));
        if (opts.json) printJson(d);
        else process.stdout.write(formatDiff(d) + '\n');
      });
    });

  backups
    .command('forget')
    .description('remove the snapshots no --keep-* rule keeps (restic\'s rules; default: backup.retention)')
    .option('--keep-last <n>', 'the n newest', keepCount)
    .option('--keep-hourly <n>', 'the newest of each of the last n hours that have one', keepCount)
    .option('--keep-daily <n>', 'the newest of each of the last n days that have one', keepCount)
    .option('--keep-weekly <n>', 'the newest of each of the last n ISO weeks that have one', keepCount)
    .option('--keep-monthly <n>', 'the newest of each of the last n months that have one', keepCount)
    .option('--keep-yearly <n>', 'the newest of each of the last n years that have one', keepCount)
    .option('--keep-within <duration>', 'all within this of the newest snapshot (restic\'s form: 1y5m7d2h)', (v) => keepWithinArg(v))
    .option('--keep-tag <tag>', 'every snapshot with this tag (repeatable)', collect)
    .option('--prune', 'then remove the data no snapshot references')
    .option('--dry-run', 'print what would be kept (and by which rule) and removed, change nothing')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck backups forget --keep-daily 7 --keep-weekly 4 --dry-run
  $ opsdeck backups forget --keep-last 10 --prune
  $ opsdeck backups forget                  # the rules of backup.retention in opsdeck.yaml

Snapshots are grouped by stack, profile and services; the rules apply to each group.
Exit codes: 0 done, 1 error (no rule given or configured).`,
    )
    .action(async (opts: Record<string, unknown> & { json?: boolean; dryRun?: boolean; prune?: boolean }, cmd: Command) => {
      await runJsonAware(cmd, opts.json, async () => {
        const req = {
          ...(opts.keepLast !== undefined ? { keepLast: opts.keepLast as number } : {}),
          ...(opts.keepHourly !== undefined ? { keepHourly: opts.keepHourly as number } : {}),
          ...(opts.keepDaily !== undefined ? { keepDaily: opts.keepDaily as number } : {}),
          ...(opts.keepWeekly !== undefined ? { keepWeekly: opts.keepWeekly as number } : {}),
          ...(opts.keepMonthly !== undefined ? { keepMonthly: opts.keepMonthly as number } : {}),
          ...(opts.keepYearly !== undefined ? { keepYearly: opts.keepYearly as number } : {}),
          ...(opts.keepWithin !== undefined ? { keepWithin: opts.keepWithin as string } : {}),
          ...(opts.keepTag !== undefined ? { keepTags: opts.keepTag as string[] } : {}),
          ...(opts.prune ? { prune: true } : {}),
          dryRun: !!opts.dryRun,
        };
        const r = await withBackups(stackDir(cmd), { lock: !opts.dryRun }, ({ service }) => service.forget(req));
        if (opts.json) printJson(r);
        else process.stdout.write(formatForget(r) + '\n');
      });
    });

  backups
    .command('prune')
    .description('remove the data no snapshot references (safe to interrupt: nothing referenced is lost)')
    .option('--dry-run', 'print what would be removed, change nothing')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExamples:\n  $ opsdeck backups prune --dry-run\n  $ opsdeck backups prune\n\nExit codes: 0 done, 1 error.')
    .action(async (opts: { dryRun?: boolean; json?: boolean }, cmd: Command) => {
      await runJsonAware(cmd, opts.json, async () => {
        const r = await withBackups(stackDir(cmd), { lock: !opts.dryRun }, ({ service }) => service.prune({ dryRun: !!opts.dryRun }));
        if (opts.json) printJson(r);
        else process.stdout.write(`${r.dryRun ? `${bold('dry run')}: would free` : 'freed'} ${formatBytes(r.bytesFreed)}: ${count(r.packsDeleted, 'pack')} deleted, ${r.packsRepacked} repacked (${r.packsBefore} → ${count(r.packsAfter, 'pack')}, ${formatBytes(r.bytesBefore)} → ${formatBytes(r.bytesAfter)}) in ${formatDuration(r.durationMs)}\n`);
      });
    });

  backups
    .command('verify')
    .description('check the repository: structure always, data with --read-data; names the snapshots and files damage affects')
    .option('--read-data', 're-read every pack and re-hash every chunk')
    .option('--read-data-subset <subset>', 'only part of the data: N/T (the N-th of T parts) or P% (a random share)', subsetArg)
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck backups verify                       # structure
  $ opsdeck backups verify --read-data           # and every byte
  $ opsdeck backups verify --read-data-subset 2/7

Exit codes: 0 ok, 1 damage found (the report names what is affected) or error.`,
    )
    .action(async (opts: { readData?: boolean; readDataSubset?: string; json?: boolean }, cmd: Command) => {
      await runJsonAware(cmd, opts.json, async () => {
        if (opts.readData && opts.readDataSubset) throw new OpsError('BAD_REQUEST', '--read-data and --read-data-subset exclude each other', 'give one of them');
        const readData = opts.readDataSubset ?? (opts.readData ? true : undefined);
        const r = await withBackups(stackDir(cmd), { lock: true }, ({ service }) => service.verify(readData === undefined ? {} : { readData }));
        if (opts.json) printJson(r);
        else process.stdout.write(formatVerify(r) + '\n');
        return r.ok ? 0 : 1;
      });
    });

  backups
    .command('drill')
    .description('recovery drill: restore a snapshot into a sandbox, start its services there, run their checks, measure the recovery time')
    .argument('[id]', 'the snapshot (default: the newest)')
    .option('-s, --service <name>', 'only this service (repeatable; default: every service in the snapshot)', collect)
    .option('--keep', 'keep the sandbox folder (.opsdeck/drills/…) afterwards')
    .option('--health-timeout <duration>', 'how long each service may take to be ready', durationArg, 60_000)
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck backups drill                     # the newest snapshot, every service in it
  $ opsdeck backups drill 1a2b3c4d --service storage --json

The live stack is not touched: the drill runs on free ports from its own folder. The
measured recovery time is recorded and compared with each service's rto (docs/rto-rpo.md).
Exit codes: 0 passed, 1 failed (the sandbox is kept for a look).`,
    )
    .action(async (id: string | undefined, opts: { service?: string[]; keep?: boolean; healthTimeout: number; json?: boolean }, cmd: Command) => {
      await runJsonAware(cmd, opts.json, async () => {
        const r = await withBackups(stackDir(cmd), { lock: true }, ({ service }) =>
          service.drill({ ...(id ? { snapshot: id } : {}), ...(opts.service ? { services: opts.service } : {}), keep: !!opts.keep, healthTimeoutMs: opts.healthTimeout }),
        );
        if (opts.json) printJson(r);
        else process.stdout.write(formatDrill(r) + '\n');
      });
    });

  backups
    .command('status')
    .description('repository, schedule, each service\'s newest backup against its RPO, and measured recoveries against its RTO')
    .option('--json', 'print the status as JSON')
    .addHelpText('after', '\nExamples:\n  $ opsdeck backups status\n  $ opsdeck backups status --json | jq \'.services[] | select(.rpo == "breach")\'\n\nExit codes: 0 shown (also with breaches), 1 error.')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await runJsonAware(cmd, opts.json, async () => {
        const s = await withBackups(stackDir(cmd), { lock: false }, ({ service }) => service.status());
        if (opts.json) printJson(s);
        else process.stdout.write(formatStatus(s) + '\n');
      });
    });
}

export function durationArg(v: string): number {
  const ms = parseDuration(v);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError(`"${v}" is not a duration such as 30s or 2m`);
  return ms;
}
