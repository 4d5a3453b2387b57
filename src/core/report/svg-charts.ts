/**
 * Small inline SVG charts for the HTML report: no script, no external file. Colours come from
 * CSS classes and `currentColor`, so the page's light and dark styles apply to them.
 */

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
export { esc as escapeHtml };

const W = 640;

/** One horizontal bar per label, 0 to `max`. */
export function barChart(title: string, bars: { label: string; value: number | undefined; text: string }[], max = 100): string {
  const rowH = 22;
  const left = 140;
  const h = bars.length * rowH + 10;
  const rows = bars
    .map((b, i) => {
      const y = 5 + i * rowH;
      const w = b.value === undefined ? 0 : Math.max(1, ((W - left - 90) * Math.min(b.value, max)) / max);
      return `<text x="${left - 8}" y="${y + 15}" text-anchor="end" class="label">${esc(b.label)}</text>` +
        `<rect x="${left}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 8}" rx="3" class="bar${b.value !== undefined && b.value < 99 ? ' warn' : ''}"/>` +
        `<text x="${left + w + 6}" y="${y + 15}" class="value">${esc(b.text)}</text>`;
    })
    .join('');
  return `<svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${h}" width="100%">${rows}</svg>`;
}

/** Lines over time (one per series), with the time axis labelled at its ends. */
export function lineChart(title: string, series: { name: string; points: { at: number; value: number | undefined }[] }[], unit: string): string {
  const h = 200;
  const pad = { l: 50, r: 120, t: 10, b: 24 };
  const all = series.flatMap((s) => s.points.filter((p) => p.value !== undefined));
  if (!all.length) return `<p class="muted">No data for ${esc(title.toLowerCase())}.</p>`;
  const t0 = Math.min(...series.flatMap((s) => s.points.map((p) => p.at)));
  const t1 = Math.max(...series.flatMap((s) => s.points.map((p) => p.at)));
  const vmax = Math.max(...all.map((p) => p.value!)) * 1.1 || 1;
  const x = (at: number) => pad.l + ((W - pad.l - pad.r) * (at - t0)) / Math.max(1, t1 - t0);
  const y = (v: number) => pad.t + (h - pad.t - pad.b) * (1 - v / vmax);
  const lines = series
    .map((s, i) => {
      const pts = s.points.filter((p) => p.value !== undefined);
      if (!pts.length) return '';
      const d = pts.map((p, k) => `${k ? 'L' : 'M'}${x(p.at).toFixed(1)},${y(p.value!).toFixed(1)}`).join('');
      const last = pts.at(-1)!;
      return `<path d="${d}" class="line s${i % 6}" fill="none"/>` + pts.map((p) => `<circle cx="${x(p.at).toFixed(1)}" cy="${y(p.value!).toFixed(1)}" r="2.5" class="dot s${i % 6}"/>`).join('') +
        `<text x="${(x(last.at) + 6).toFixed(1)}" y="${(y(last.value!) + 4).toFixed(1)}" class="label s${i % 6}">${esc(s.name)}</text>`;
    })
    .join('');
  const day = (at: number) => new Date(at).toISOString().slice(5, 16).replace('T', ' ');
  const axes =
    `<line x1="${pad.l}" y1="${h - pad.b}" x2="${W - pad.r}" y2="${h - pad.b}" class="axis"/>` +
    `<line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${h - pad.b}" class="axis"/>` +
    `<text x="${pad.l - 6}" y="${pad.t + 10}" text-anchor="end" class="label">${Math.round(vmax)} ${esc(unit)}</text>` +
    `<text x="${pad.l - 6}" y="${h - pad.b}" text-anchor="end" class="label">0</text>` +
    `<text x="${pad.l}" y="${h - 6}" class="label">${day(t0)}</text>` +
    `<text x="${W - pad.r}" y="${h - 6}" text-anchor="end" class="label">${day(t1)}</text>`;
  return `<svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${h}" width="100%">${axes}${lines}</svg>`;
}

/** Vertical bars, one per bin. */
export function histogramChart(title: string, bins: { label: string; value: number }[]): string {
  const h = 160;
  const pad = { l: 10, b: 22, t: 18 };
  const bw = (W - 2 * pad.l) / Math.max(1, bins.length);
  const max = Math.max(1, ...bins.map((b) => b.value));
  const total = bins.reduce((a, b) => a + b.value, 0) || 1;
  const bars = bins
    .map((b, i) => {
      const bh = ((h - pad.b - pad.t) * b.value) / max;
      const x = pad.l + i * bw;
      return `<rect x="${(x + 2).toFixed(1)}" y="${(h - pad.b - bh).toFixed(1)}" width="${(bw - 4).toFixed(1)}" height="${bh.toFixed(1)}" rx="2" class="bar${i >= 7 ? ' warn' : ''}"/>` +
        `<text x="${(x + bw / 2).toFixed(1)}" y="${h - 6}" text-anchor="middle" class="label">${esc(b.label)}</text>` +
        (b.value ? `<text x="${(x + bw / 2).toFixed(1)}" y="${(h - pad.b - bh - 4).toFixed(1)}" text-anchor="middle" class="value">${Math.round((100 * b.value) / total)}%</text>` : '');
    })
    .join('');
  return `<svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${h}" width="100%">${bars}</svg>`;
}
