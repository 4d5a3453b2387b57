/**
 * The report as one self-contained HTML file: inline CSS (light and dark through
 * prefers-color-scheme), inline SVG charts (svg-charts.ts), no script and nothing fetched, so it
 * opens the same in a browser, a mail client or a VS Code webview.
 */
import { barChart, escapeHtml as esc, histogramChart, lineChart } from './svg-charts';
import { reportSections, reportSubtitle, reportTitle, type ReportSection, type ReportTable } from './report-tables';
import type { OpsReport } from '../contract/reports';

const STYLE = `
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --card: #f6f8fa; --bar: #2f81f7; --warn: #d4a72c;
  --s0: #2f81f7; --s1: #1a7f37; --s2: #cf222e; --s3: #8250df; --s4: #bc4c00; --s5: #0a7a8a; }
@media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #3d444d; --card: #151b23; --bar: #4493f8; --warn: #e3b341;
  --s0: #4493f8; --s1: #3fb950; --s2: #f85149; --s3: #ab7df8; --s4: #db6d28; --s5: #39c5cf; } }
body { background: var(--bg); color: var(--fg); font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 980px; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; } h3 { font-size: 14px; margin: 16px 0 6px; }
.muted { color: var(--muted); } ul.summary { margin: 6px 0 10px; padding-left: 20px; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 12px; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; } th { background: var(--card); font-weight: 600; }
.chart { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px; margin: 8px 0; }
svg text { font: 11px system-ui, sans-serif; fill: currentColor; } svg .label { fill: var(--muted); } svg .value { fill: var(--fg); }
svg .bar { fill: var(--bar); } svg .bar.warn { fill: var(--warn); } svg .axis { stroke: var(--line); }
${[0, 1, 2, 3, 4, 5].map((i) => `svg .line.s${i} { stroke: var(--s${i}); stroke-width: 2; } svg .dot.s${i} { fill: var(--s${i}); } svg text.label.s${i} { fill: var(--s${i}); }`).join('\n')}
`;

function table(t: ReportTable): string {
  const body = t.rows.length
    ? `<table><thead><tr>${t.headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${t.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`
    : `<p class="muted">${esc(t.empty)}</p>`;
  return `<h3>${esc(t.title)}</h3>${body}`;
}

function charts(r: OpsReport, s: ReportSection): string {
  const box = (title: string, svg: string) => `<div class="chart"><h3>${esc(title)}</h3>${svg}</div>`;
  if (s.id === 'usage') {
    return box('Availability by service', barChart('Availability by service', r.usage.services.map((u) => ({ label: u.service, value: u.availabilityPct, text: u.availabilityPct === undefined ? 'not run' : `${u.availabilityPct.toFixed(2)} %` }))));
  }
  if (s.id === 'performance') {
    const latency = r.performance.services.map((p) => ({ name: p.service, points: p.trend.map((t) => ({ at: t.at, value: t.p95 })) }));
    const bins = r.performance.ipc.bins.map((value, i) => ({ label: i === 10 ? '100' : `${i * 10}–${i * 10 + 9}`, value }));
    return box('Probe latency p95 over the period', lineChart('Probe latency p95', latency, 'ms')) + box('IPC score distribution (share of samples)', histogramChart('IPC score distribution', bins));
  }
  return '';
}

export function renderHtml(r: OpsReport): string {
  const sections = reportSections(r)
    .map((s) => `<section id="${s.id}"><h2>${esc(s.title)}</h2><ul class="summary">${s.summary.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>${charts(r, s)}${s.tables.map(table).join('')}</section>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(reportTitle(r))}</title><style>${STYLE}</style></head>
<body><header><h1>${esc(reportTitle(r))}</h1><p class="muted">${esc(reportSubtitle(r))}</p></header>
${sections}
</body></html>
`;
}
