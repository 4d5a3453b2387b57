/**
 * The metrics shapes of the control API (GET /v1/metrics, /v1/metrics/history). The history
 * mirrors src/core/contract/metrics.ts (checked at compile time at the end). Part of the contract.
 */
import { z } from '@hono/zod-openapi';
import { HISTORY_METRICS, type HistoryMetric, type MetricsHistory } from '../metrics';
import { queryNames, queryTime, type Fits } from './common';

export const metricsSchema = z.record(z.string(), z.unknown()).openapi('Metrics', { description: 'The engine\'s metrics as JSON (shape not fixed yet)' });
/** Any JSON object: an interface such as StackMetrics fits (a Record<string, unknown> would not). */
export type Metrics = object;

export const metricsHistoryQuerySchema = z.object({
  since: queryTime('Only samples taken at or after this time (default: all kept, up to an hour)'),
  service: queryNames('Only these services', 'storage'),
  metric: queryNames(`Only these metrics: ${HISTORY_METRICS.join(', ')}`, 'cpuPercent,rssMb').pipe(
    z
      .array(z.string())
      .optional()
      .superRefine((names, ctx) => {
        const unknown = (names ?? []).filter((m) => !(HISTORY_METRICS as readonly string[]).includes(m));
        if (unknown.length) ctx.addIssue({ code: 'custom', message: `unknown metric ${unknown.map((m) => `"${m}"`).join(', ')}; the metrics are ${HISTORY_METRICS.join(', ')}` });
      })
      .transform((names) => names as HistoryMetric[] | undefined),
  ),
});

const pointsSchema = z.array(z.tuple([z.number(), z.number()])).openapi({ description: '`[epoch ms, value]` pairs, oldest first' });

export const metricsHistorySchema = z
  .object({
    at: z.number().openapi({ description: 'When the history was read (epoch ms)' }),
    since: z.number().optional(),
    intervalMs: z.number(),
    thresholds: z.object({ warn: z.number(), critical: z.number() }).openapi({ description: 'The active profile\'s IPC thresholds' }),
    services: z
      .record(z.string(), z.record(z.string(), pointsSchema))
      .openapi({ description: `Per service, per metric (${HISTORY_METRICS.join(', ')}): its samples. A value that was not known is not in the series (a gap).` }),
    ipc: pointsSchema.openapi({ description: 'The stack\'s IPC score at each sample' }),
    restarts: z
      .array(z.object({ at: z.number(), service: z.string(), cause: z.string().optional(), detail: z.string().optional(), attempt: z.number().int().optional() }))
      .openapi({ description: 'Restarts in the period, oldest first: from memory (with their cause) or, without memory, from rises of the restart counter' }),
  })
  .openapi('MetricsHistory');

const typesFit: Fits<MetricsHistory, typeof metricsHistorySchema> = true;
void typesFit;
