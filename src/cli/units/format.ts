/** How `opsdeck units` prints for people: the files of a set, a change, a status table, a diff, a lint. */
import type { LintResult, UnitSet, UnitsChange, UnitsDiff, UnitsStatus } from '../../core/host';
import { dim, green, red, table, yellow } from '../format';

export function formatSet(set: UnitSet): string {
  const files = set.files.map((f) => `==> ${f.name} (mode ${f.mode.toString(8)}) <==\n${f.text}`).join('\n');
  return `${files}\n${notesOf(set.notes)}`;
}

const notesOf = (notes: string[]) => notes.map((n) => dim(`note: ${n}`)).join('\n') + (notes.length ? '\n' : '');

export function formatChange(c: UnitsChange, verb: 'install' | 'uninstall'): string {
  const would = c.dryRun ? 'would ' : '';
  const lines = [
    ...c.written.map((f) => `${would}write   ${c.unitDir}/${f}`),
    ...c.unchanged.map((f) => dim(`unchanged ${c.unitDir}/${f}`)),
    ...c.removed.map((f) => `${would}remove  ${c.unitDir}/${f}`),
    ...c.commands.map((a) => `${would}run     ${a.join(' ')}`),
  ];
  if (!lines.length) lines.push(verb === 'install' ? 'nothing to do' : 'nothing to remove');
  if (c.dryRun) lines.push(dim('(dry run: nothing changed)'));
  return `${lines.join('\n')}\n${notesOf(c.notes)}`;
}

const yesNo = (v: boolean | undefined) => (v === undefined ? dim('-') : v ? 'yes' : 'no');

export function formatStatus(s: UnitsStatus): string {
  const rows = s.files.map((f) => [
    f.name,
    f.installed === 'ours' ? green('installed') : f.installed === 'foreign' ? red('foreign') : yellow('missing'),
    f.drifted ? yellow('drifted') : f.installed === 'ours' ? 'current' : dim('-'),
    yesNo(f.enabled),
    yesNo(f.loaded),
    yesNo(f.running),
  ]);
  const head = `${s.stack}: ${s.target} ${s.mode} mode, ${s.scope} scope, in ${s.unitDir}: ${s.installed ? (s.drifted ? yellow('installed, drifted (run `opsdeck units diff`)') : green('installed')) : yellow('not installed')}`;
  const stale = s.stale.length ? `\nleft from an earlier install (install removes them): ${s.stale.join(', ')}` : '';
  return `${head}\n${table(['FILE', 'INSTALLED', 'CONTENT', 'ENABLED', 'LOADED', 'RUNNING'], rows)}${stale}\n`;
}

export const formatDiff = (d: UnitsDiff) => (d.changed ? d.files.map((f) => f.diff).join('') : `no difference: the units in ${d.unitDir} are what opsdeck.yaml generates\n`);

export function formatLint(l: LintResult): string {
  const head = l.ok ? green(`ok (${l.checkedWith.join(', ')})`) : red(`${l.problems.length} problem${l.problems.length === 1 ? '' : 's'} (${l.checkedWith.join(', ') || 'no checker ran'})`);
  return `${head}\n${l.problems.map((p) => `${p.file}: ${p.message}`).join('\n')}${l.problems.length ? '\n' : ''}`;
}
