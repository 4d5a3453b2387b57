/**
 * Reports on disk: `<stack>/.opsdeck/reports/report-<stack>-<period>-<until, UTC>.<html|md|json>`,
 * owner-only (they quote what checks printed), the oldest pruned past `keep` per format.
 */
import { readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PRIVATE_FILE_MODE, privateDir } from '../private-files';
import { renderHtml } from './render-html';
import { renderMarkdown } from './render-markdown';
import { REPORT_FORMATS, type OpsReport, type ReportFileInfo, type ReportFormat } from '../contract/reports';

export const reportsDir = (stackDir: string) => join(stackDir, '.opsdeck', 'reports');

const NAME = /^report-.+\.(html|md|json)$/;

/** The report in one format. */
export function renderReport(r: OpsReport, format: ReportFormat): string {
  return format === 'html' ? renderHtml(r) : format === 'md' ? renderMarkdown(r) : JSON.stringify(r, null, 2) + '\n';
}

export function writeReport(stackDir: string, r: OpsReport, formats: readonly ReportFormat[], keep: number): ReportFileInfo[] {
  const dir = reportsDir(stackDir);
  privateDir(dir);
  const stamp = new Date(r.until).toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  const written = formats.map((format) => {
    const path = join(dir, `report-${r.stack}-${r.period}-${stamp}.${format}`);
    writeFileSync(path, renderReport(r, format), { mode: PRIVATE_FILE_MODE });
    return info(dir, path.slice(dir.length + 1))!;
  });
  for (const format of REPORT_FORMATS) {
    for (const old of listReports(stackDir).filter((f) => f.format === format).slice(keep)) {
      try {
        unlinkSync(old.path);
      } catch {
        // gone already
      }
    }
  }
  return written;
}

/** The reports written, newest first. */
export function listReports(stackDir: string): ReportFileInfo[] {
  const dir = reportsDir(stackDir);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => NAME.test(n));
  } catch {
    return [];
  }
  return names
    .map((n) => info(dir, n))
    .filter((f): f is ReportFileInfo => f !== undefined)
    .sort((a, b) => b.at - a.at || b.name.localeCompare(a.name));
}

function info(dir: string, name: string): ReportFileInfo | undefined {
  const path = join(dir, name);
  try {
    const st = statSync(path);
    return { name, path, format: NAME.exec(name)![1] as ReportFormat, bytes: st.size, at: st.mtimeMs };
  } catch {
    return undefined;
  }
}
