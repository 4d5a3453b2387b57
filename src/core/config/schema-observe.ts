/**
 * The stack's `metrics:` (how long the long-term store keeps its rollups, docs/metrics.md) and
 * `reports:` (when the engine writes the operations report, docs/reports.md).
 */
import { z } from 'zod';
import { cronExpression } from './schema-backup';
import { durationBetween, writtenDefaults } from './schema-kit';

export function buildMetricsSchema() {
  const retention = z.strictObject({
    /** 1-minute rollups: 1h to 30d. */
    minute: durationBetween('1h', '30d').prefault('48h'),
    /** 1-hour rollups (and the marks): 1d to 400d. */
    hour: durationBetween('1d', '400d').prefault('90d'),
  });
  return z.strictObject({ retention: retention.prefault(writtenDefaults(retention)) });
}

export function buildReportsSchema() {
  return z.strictObject({
    /** When the engine writes the weekly report (cron, local time); `false` turns it off. */
    schedule: z.union([cronExpression(), z.literal(false)]).default('0 8 * * 1'),
    /** The period a scheduled report covers. */
    period: z.enum(['day', 'week', 'month']).default('week'),
    /** Formats written by the schedule. */
    formats: z.array(z.enum(['html', 'md', 'json'])).min(1).default(['html', 'json']),
    /** Reports kept in .opsdeck/reports/ (the oldest go first). */
    keep: z.number().int().min(1).max(1000).default(26),
  });
}
