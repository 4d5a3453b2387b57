/** `opsdeck maintain`'s result for humans: each task with its plan or steps, figures before → after, what it reclaimed; then the total. */
import { count, formatBytes, formatDuration, type MaintenanceRunResult, type MaintenanceTaskResult } from '../core/contract';
import { dim, green, red, yellow } from './format';

function figures(r: MaintenanceTaskResult): string {
  const keys = Object.keys(r.before).filter((k) => k in r.after && r.before[k] !== r.after[k] && /bytes|rows|pages/i.test(k));
  const show = (k: string, v: number) => (/bytes/i.test(k) ? formatBytes(v) : String(v));
  return keys.map((k) => `${k} ${show(k, r.before[k]!)} → ${show(k, r.after[k]!)}`).join(', ');
}

function task(r: MaintenanceTaskResult): string[] {
  const mark = r.skipped ? yellow('-') : r.ok ? green('✓') : red('✗');
  const reclaim = r.reclaimedBytes ? `, ${r.dryRun ? 'would reclaim' : 'reclaimed'} ${formatBytes(r.reclaimedBytes)}` : '';
  const head = `${mark} ${r.id}${r.skipped ? `: skipped, ${r.skipped}` : r.dryRun ? '' : ` in ${formatDuration(r.durationMs)}${reclaim}`}`;
  if (r.skipped) return [head];
  if (r.dryRun) return [`${head}${reclaim ? ` (${reclaim.slice(2)})` : ''}`, ...r.plan.map((p) => `    ${p}`)];
  const lines = [head, ...r.steps.map((s) => `    ${s.ok ? '' : red('failed: ')}${s.name}: ${s.detail.split('\n').at(-1)} ${dim(formatDuration(s.durationMs))}`)];
  const f = figures(r);
  if (f) lines.push(`    ${f}`);
  if (r.error) lines.push(`    ${red(`error: ${r.error}`)}`);
  return lines;
}

export function formatMaintenance(result: MaintenanceRunResult): string {
  const reclaimed = result.tasks.reduce((n, t) => n + (t.reclaimedBytes ?? 0), 0);
  const failed = result.tasks.filter((t) => !t.ok).length;
  const ran = result.tasks.filter((t) => !t.skipped).length;
  const tail = result.dryRun
    ? `dry run, nothing changed: ${count(ran, 'task')} would run${reclaimed ? `, reclaiming about ${formatBytes(reclaimed)}` : ''}`
    : `${count(ran, 'task')} run in ${formatDuration(result.durationMs)}${failed ? `, ${red(`${failed} failed`)}` : ''}${reclaimed ? `, ${formatBytes(reclaimed)} reclaimed` : ''}`;
  return [...result.tasks.flatMap(task), tail].join('\n');
}
