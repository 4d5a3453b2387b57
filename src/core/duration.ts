/**
 * Durations as written in opsdeck.yaml: `500ms`, `2s`, `10m`, `1h`, `1h30m`, `1.5s`; their short
 * human form; and restic's form (`1y5m7d2h`) that retention's keep-within uses.
 */
import { OpsError } from './errors';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;
export const DURATION_PATTERN = '^(\\d+(\\.\\d+)?(ms|s|m|h|d))+$';

/** Milliseconds for a duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '') return undefined;
  PART.lastIndex = 0;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    PART.lastIndex = pos;
    const m = PART.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
    pos = PART.lastIndex;
  }
  return Math.round(total);
}

/** A short human form: 1500 → "1.5s", 600000 → "10m". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(1)}m`;
  return `${+(ms / 3_600_000).toFixed(1)}h`;
}

/** Milliseconds as restic's duration (days and hours; shorter than an hour rounds up to 1h). */
export function resticWithin(ms: number): string {
  const hours = Math.max(1, Math.ceil(ms / 3_600_000));
  const d = Math.floor(hours / 24);
  const h = hours % 24;
  return `${d ? `${d}d` : ''}${h ? `${h}h` : ''}` || '1h';
}

/** `--keep-within`: restic's form (`1y5m7d2h`) as is; an opsdeck duration in days or hours (`36h`, `7d`) converted. */
export function keepWithinArg(text: string): string {
  if (/^(\d+y)?(\d+m)?(\d+d)?(\d+h)?$/.test(text) && text !== '') return text;
  const ms = parseDuration(text);
  if (ms !== undefined && ms > 0) return resticWithin(ms);
  throw new OpsError('BAD_REQUEST', `--keep-within "${text}" is not a duration`, 'use restic\'s form: 1y5m7d2h (years, months, days, hours), e.g. 7d or 36h');
}
