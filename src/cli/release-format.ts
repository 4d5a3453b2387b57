/** How the release commands print: progress lines, the plan, the summary with timings, the ledger. */
import type { LedgerEntry, ReleaseList, ReleaseProgress, ReleaseRunResult } from '../core/contract';
import { formatDuration } from '../core/contract';
import { bold, dim, green, red, table } from './format';

export function progressLine(p: ReleaseProgress): string {
  return `${dim(`[${p.stage}]`)} ${p.message}`;
}

const seconds = (ms: number) => formatDuration(ms);

export function formatRun(r: ReleaseRunResult): string {
  const lines: string[] = [];
  if (r.recovered) lines.push(`recovered the interrupted ${r.recovered.op} to ${r.recovered.version} (stopped at ${r.recovered.timings.at(-1)?.stage ?? r.recovered.stage}): ${(r.recovered.actions ?? []).join('; ')}`);
  if (r.dryRun) {
    lines.push(bold('plan (dry run, nothing changed):'), ...r.plan.map((p, i) => `  ${i + 1}. ${p}`));
    return lines.join('\n');
  }
  if (r.ok) {
    const what = r.op === 'rollback' ? 'rolled back' : r.op === 'deploy' ? 'deployed' : 'updated';
    lines.push(green(`${what} ${r.from ? `${r.from} → ` : ''}${r.version} in ${seconds(r.durationMs)}`));
    if (r.plan.length === 1 && !r.entry) lines.push(r.plan[0]!);
  } else {
    const f = r.failure!;
    lines.push(red(`${r.op} to ${r.version} failed at ${f.stage}: ${f.error}`));
    lines.push(f.rolledBackTo ? `rolled back automatically to ${f.rolledBackTo}:` : 'what was done:');
    lines.push(...f.actions.map((a) => `  - ${a}`));
  }
  if (r.timings.length) lines.push(dim(`timings: ${r.timings.map((t) => `${t.stage} ${seconds(t.ms)}`).join(', ')}`));
  return lines.join('\n');
}

const entryRow = (e: LedgerEntry): string[] => [
  String(e.id),
  e.op,
  `${e.from ? `${e.from} → ` : ''}${e.version}`,
  e.result === 'ok' ? green(e.result) : e.result === 'in-progress' ? red(`${e.result} (${e.stage})`) : e.result,
  e.startedAt.replace('T', ' ').slice(0, 19),
  e.by,
  e.migrations.map((m) => `${m.service} ${m.direction} ${m.version}`).join(', ') || '-',
  e.snapshot ? e.snapshot.slice(0, 8) : '-',
];

export function formatList(l: ReleaseList): string {
  const lines = [
    `current: ${l.current ?? 'none'}${Object.keys(l.schema).length ? dim(`  schema: ${Object.entries(l.schema).map(([s, v]) => `${s} ${v}`).join(', ')}`) : ''}`,
    ...(l.source ? [dim(`source: ${l.source}`)] : []),
    `releases: ${l.releases.map((r) => `${r.current ? bold(`${r.version}*`) : r.version}${r.installed ? '' : dim(' (not installed)')}`).join('  ') || 'none'}`,
  ];
  if (l.interrupted) lines.push(red(`interrupted: the ${l.interrupted.op} to ${l.interrupted.version} stopped at ${l.interrupted.stage}; the next update or rollback recovers it`));
  if (l.ledger.length) lines.push('', table(['#', 'op', 'version', 'result', 'when (UTC)', 'by', 'migrations', 'snapshot'], l.ledger.slice(-20).map(entryRow)));
  return lines.join('\n');
}
