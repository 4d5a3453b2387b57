/** The human output of `backups init|forget|prune|verify|status`: the repository as a whole. */
import { type BackupStatus, count, type ForgetRunResult, formatBytes, formatDuration, type PruneReport, shortId, type VerifyReport } from '../../core/contract';
import { bold, dim, green, red, table, yellow } from '../format';
import { displayDir } from '../stack-context';
import { formatUnreadable, when } from './format-snapshots';

export function formatInit(r: { repository: string; encrypted: boolean }): string {
  return `created ${r.encrypted ? 'an encrypted' : 'a'} backup repository in ${displayDir(r.repository)}`;
}

export function formatForget(r: ForgetRunResult): string {
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

export function formatPrune(r: PruneReport): string {
  return `${r.dryRun ? `${bold('dry run')}: would free` : 'freed'} ${formatBytes(r.bytesFreed)}: ${count(r.packsDeleted, 'pack')} deleted, ${r.packsRepacked} repacked (${r.packsBefore} → ${count(r.packsAfter, 'pack')}, ${formatBytes(r.bytesBefore)} → ${formatBytes(r.bytesAfter)}) in ${formatDuration(r.durationMs)}`;
}

export function formatVerify(r: VerifyReport): string {
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

export function formatStatus(s: BackupStatus): string {
  const lines = [
    `${bold('repository')} ${displayDir(s.repository)}${s.exists ? `: ${count(s.snapshots, 'snapshot')}${s.encrypted ? ', encrypted' : ''}${s.newest ? `, newest ${shortId(s.newest.snapshot)} at ${when(s.newest.time)}` : ''}` : ' (not created yet)'}`,
    `  schedule   ${s.schedule ? `${s.schedule.cron}${s.schedule.next ? `, next ${when(s.schedule.next)}` : ''}` : 'none (backup.schedule in opsdeck.yaml)'}`,
    `  verify     ${s.verifySchedule ? `${s.verifySchedule.cron}, subset ${s.verifySchedule.subset}${s.verifySchedule.next ? `, next ${when(s.verifySchedule.next)}` : ''}` : 'not scheduled'}${s.lastVerify ? `; last ${new Date(s.lastVerify.at).toISOString()} ${s.lastVerify.ok ? 'ok' : red('DAMAGED')}` : ''}`,
    `  retention  ${s.retention ? JSON.stringify(s.retention) : 'none'}`,
    ...(s.unreadable?.length ? ['', formatUnreadable(s.unreadable)] : []),
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
