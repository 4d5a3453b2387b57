/** The human output of `backups list`, `backups show` and `backups diff`: snapshots and what is in them. */
import { count, formatBytes, shortId, type Snapshot, type SnapshotDiff, type SnapshotListing, type UnreadableSnapshot } from '../../core/contract';
import { bold, dim, green, red, table, yellow } from '../format';

/** A snapshot time as `2024-05-01 12:00:00Z`. */
export const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

export function formatList({ snapshots: snaps, unreadable }: SnapshotListing): string {
  const listed = snaps.length ? listTable(snaps) : unreadable.length ? 'no snapshot can be read' : 'no snapshots yet (make one with `opsdeck backup`)';
  return unreadable.length ? `${listed}\n\n${formatUnreadable(unreadable)}` : listed;
}

/** The manifests that cannot be read, one line each, and where to look next. */
export function formatUnreadable(unreadable: UnreadableSnapshot[]): string {
  return [
    yellow(`${count(unreadable.length, 'manifest')} cannot be read (not listed, cannot be restored):`),
    ...unreadable.map((u) => `  ${shortId(u.id)}  ${u.reason}`),
    dim('  `opsdeck backups verify` says more; restore another snapshot'),
  ].join('\n');
}

function listTable(snaps: SnapshotListing['snapshots']): string {
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

export function formatSnapshot(s: Snapshot): string {
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
  // files are known by their chunks; only snapshots of older versions recorded a file's SHA-256
  const hashes = files.some((e) => e.sha256);
  const rows = files.map((e) => [e.service, e.path, e.type === 'symlink' ? `→ ${e.linkTarget}` : formatBytes(e.size), ...(hashes ? [e.sha256 ? e.sha256.slice(0, 12) : '-'] : [])]);
  return `${head.join('\n')}\n\n${table(['SERVICE', 'PATH', 'SIZE', ...(hashes ? ['SHA-256'] : [])], rows)}\n${dim(`${count(files.length, 'file')}, ${formatBytes(files.reduce((n, e) => n + e.size, 0))}`)}`;
}

export function formatDiff(d: SnapshotDiff): string {
  const lines = [`${bold('diff')} ${shortId(d.a)} → ${shortId(d.b)}`];
  for (const e of d.added) lines.push(green(`+ ${e.service}/${e.path} (${formatBytes(e.size)})`));
  for (const e of d.removed) lines.push(red(`- ${e.service}/${e.path} (${formatBytes(e.size)})`));
  for (const e of d.changed) lines.push(yellow(`M ${e.service}/${e.path} (${e.what.join(', ')}: ${formatBytes(e.sizeBefore)} → ${formatBytes(e.sizeAfter)})`));
  lines.push(dim(`${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed, ${d.unchanged} unchanged`));
  return lines.join('\n');
}
