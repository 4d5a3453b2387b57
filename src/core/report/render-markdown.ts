/** The report as Markdown: its sections' findings and tables (report-tables.ts). */
import { reportSections, reportSubtitle, reportTitle } from './report-tables';
import type { OpsReport } from '../contract/reports';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderMarkdown(r: OpsReport): string {
  const out = [`# ${reportTitle(r)}`, '', `_${reportSubtitle(r)}_`, ''];
  for (const s of reportSections(r)) {
    out.push(`## ${s.title}`, '', ...s.summary.map((l) => `- ${l}`), '');
    for (const t of s.tables) {
      out.push(`### ${t.title}`, '');
      if (!t.rows.length) out.push(t.empty, '');
      else out.push(`| ${t.headers.join(' | ')} |`, `|${t.headers.map(() => ' --- |').join('')}`, ...t.rows.map((row) => `| ${row.map(cell).join(' | ')} |`), '');
    }
  }
  return out.join('\n');
}
