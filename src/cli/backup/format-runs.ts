/** The human output of `backup`, `restore` and `backups drill`: what a run saved, brought back or proved. */
import { type BackupRunResult, count, type DrillRunResult, formatBytes, formatDuration, type RestoreRunResult, shortId } from '../../core/contract';
import { bold, dim, green, red, yellow } from '../format';
import { displayDir } from '../stack-context';
import { when } from './format-snapshots';

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

export function formatRestore(r: RestoreRunResult): string {
  if (r.dryRun) {
    return [
      `${bold('plan')} (dry run, nothing changed): restore snapshot ${shortId(r.snapshot)} (${r.snapshotTime}) ${r.mode === 'in-place' ? 'in place' : `into ${displayDir(r.target)}`}`,
      ...r.plan.map((p, i) => `  ${i + 1}. ${p}`),
    ].join('\n');
  }
  const lines = [
    `${green('restored')} snapshot ${bold(shortId(r.snapshot))} (${r.snapshotTime}) ${r.mode === 'in-place' ? 'in place' : `into ${displayDir(r.target)}`}: ${count(r.files.length, 'file')}, ${formatBytes(r.bytes)}, ${r.verified} verified by SHA-256`,
  ];
  for (const w of r.warnings ?? []) lines.push(yellow(`  warning    ${w}`));
  for (const s of r.sqlite) lines.push(`  sqlite     ${s.service}/${s.path}: integrity_check ${s.integrity}`);
  if (r.safetySnapshot) lines.push(`  safety     snapshot ${shortId(r.safetySnapshot)} holds the data from before (\`opsdeck restore ${shortId(r.safetySnapshot)} --in-place\` undoes this)`);
  if (r.mode === 'in-place') {
    lines.push(`  recovery   ${formatDuration(r.recoveryMs)} (restore ${formatDuration(r.phases.restoreMs)}, start ${formatDuration(r.phases.startMs)}, checks ${formatDuration(r.phases.checkMs)})`);
    lines.push(...objectiveLines(r.objectives));
  } else lines.push(dim(`  took       ${formatDuration(r.recoveryMs)}`));
  return lines.join('\n');
}

export function formatDrill(r: DrillRunResult): string {
  const lines = [
    `${green('drill passed')}: snapshot ${shortId(r.snapshot)} (${when(r.snapshotTime)}) restored and running in a sandbox`,
    `  services   ${r.services.join(', ')}${r.started.length > r.services.length ? ` (started with ${r.started.filter((s) => !r.services.includes(s)).join(', ')})` : ''}`,
    `  recovery   ${formatDuration(r.recoveryMs)} (restore ${formatDuration(r.phases.restoreMs)}, start ${formatDuration(r.phases.startMs)}, check ${formatDuration(r.phases.checkMs)})`,
    ...objectiveLines(r.objectives),
  ];
  for (const c of r.checks) lines.push(dim(`  check      ${c.service}: ${c.output}`));
  lines.push(dim(`  sandbox    ${r.kept ? r.sandbox : 'removed'}`));
  return lines.join('\n');
}

/** One `RTO` line a service: its measured recovery against its declared objective. */
function objectiveLines(objectives: RestoreRunResult['objectives']): string[] {
  return objectives.map((o) => `  RTO        ${o.service}: ${o.rtoMs === undefined ? 'none declared' : `${formatDuration(o.rtoMs)} ${o.withinRto ? green('met') : red('MISSED')}`}`);
}
