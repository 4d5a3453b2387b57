/** A report's range: a period ending at `until` (default now), or an explicit since/until. */
import { OpsError } from '../errors';
import type { ReportPeriod, ReportRequest } from '../contract/reports';

export const PERIOD_MS: Record<ReportPeriod, number> = { day: 86_400_000, week: 7 * 86_400_000, month: 30 * 86_400_000 };

export function reportRange(req: ReportRequest, now: number): { since: number; until: number; period: ReportPeriod | 'custom' } {
  const until = req.until ?? now;
  const period = req.since !== undefined ? 'custom' : (req.period ?? 'week');
  const since = req.since ?? until - PERIOD_MS[period as ReportPeriod];
  if (since >= until) {
    throw new OpsError('BAD_REQUEST', `the report's since (${new Date(since).toISOString()}) is not before its until (${new Date(until).toISOString()})`, 'give a since earlier than until, e.g. --since 7d');
  }
  return { since, until, period };
}
