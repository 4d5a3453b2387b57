/**
 * Quiet hours: from `from` to `to` (local time of the engine, HH:MM; `to` may be past midnight)
 * only alerts of the `except` severity and graver are sent; the others wait until quiet hours end.
 */
import type { AlertSeverity } from '../contract/alerts';

const RANK: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };
export const severityRank = (s: AlertSeverity) => RANK[s];
export const graver = (a: AlertSeverity, b: AlertSeverity): AlertSeverity => (RANK[a] >= RANK[b] ? a : b);

export interface QuietHours {
  from: string;
  to: string;
  except: AlertSeverity;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** True when `severity` must wait at time `at` (epoch ms). */
export function isQuiet(q: QuietHours | undefined, at: number, severity: AlertSeverity): boolean {
  if (!q || RANK[severity] >= RANK[q.except]) return false;
  const d = new Date(at);
  const now = d.getHours() * 60 + d.getMinutes();
  const from = minutesOf(q.from);
  const to = minutesOf(q.to);
  return from <= to ? now >= from && now < to : now >= from || now < to;
}
