/**
 * Reading a service's captured log back: the last lines (across rotated files), optionally
 * only those since a time. The format is the one LogFile writes: `ISO-time stream text`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { LogLine } from '../contract/logs';

const LINE = /^(\d{4}-\d\d-\d\dT[\d:.]+Z) (stdout|stderr|opsdeck) ?(.*)$/;

export const logFileOf = (logDir: string, service: string) => join(logDir, `${service}.log`);

export function parseLogLine(text: string): LogLine | undefined {
  const m = LINE.exec(text);
  if (!m) return undefined;
  return { at: Date.parse(m[1]!), stream: m[2] as LogLine['stream'], line: m[3]! };
}

/** The last `lines` lines of a service's log (newest last), reading rotated files as needed. */
export function tailLog(logDir: string, service: string, opts: { lines?: number; since?: number; keep?: number } = {}): LogLine[] {
  const want = opts.lines ?? 100;
  const base = logFileOf(logDir, service);
  const files = [base, ...Array.from({ length: opts.keep ?? 10 }, (_, i) => `${base}.${i + 1}`)];
  const out: LogLine[] = [];
  for (const f of files) {
    if (!existsSync(f)) break;
    const parsed = readFileSync(f, 'utf8')
      .split('\n')
      .map(parseLogLine)
      .filter((l): l is LogLine => l !== undefined);
    const kept = opts.since === undefined ? parsed : parsed.filter((l) => l.at >= opts.since!);
    out.unshift(...kept);
    if (out.length >= want || (opts.since !== undefined && parsed.length && parsed[0]!.at < opts.since)) break;
  }
  return out.slice(-want);
}
