/**
 * Numbers, durations and times as the sidebar writes them. No DOM: unit-tested in Node.
 */

/** `1.2`, `12`, `123`: two significant digits below 10, none above; `–` for unknown. */
export function formatNumber(v: number | undefined, unit = ''): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  const digits = Math.abs(v) < 10 ? 1 : 0;
  const text = v.toFixed(digits).replace(/\.0$/, '');
  return unit ? `${text}${unit === '%' ? '' : ' '}${unit}` : text;
}

export const formatPercent = (v: number | undefined) => formatNumber(v, '%');
export const formatMb = (v: number | undefined) => formatNumber(v, 'MB');
export const formatMs = (v: number | undefined) => formatNumber(v, 'ms');

/** A duration in its two largest units: `45s`, `3m 20s`, `2h 5m`, `3d 4h`. `–` for unknown. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}

/** The same in words, for screen readers: `3 minutes 20 seconds`. */
export function durationWords(ms: number | undefined): string {
  const short = formatDuration(ms);
  if (short === '–') return 'unknown';
  const names: Record<string, string> = { d: 'day', h: 'hour', m: 'minute', s: 'second' };
  return short
    .split(' ')
    .map((part) => {
      const n = Number(part.slice(0, -1));
      const unit = names[part.slice(-1)] ?? '';
      return `${n} ${unit}${n === 1 ? '' : 's'}`;
    })
    .join(' ');
}

/** `14:05:09` in the local time zone (the webview's). */
export function formatClock(at: number): string {
  const d = new Date(at);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** `14:05` in the local time zone: the time axis of the charts. */
export const clockMinutes = (at: number) => formatClock(at).slice(0, 5);

/** `5 minutes`, `15 minutes`, `1 hour` for a range name. */
export function rangeWords(range: string): string {
  const m = /^(\d+)([mhd])$/.exec(range);
  if (!m) return range;
  const n = Number(m[1]);
  const unit = m[2] === 'd' ? 'day' : m[2] === 'h' ? 'hour' : 'minute';
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}
