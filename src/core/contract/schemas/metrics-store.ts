/**
 * The long-term store's shapes on the wire (GET /v1/metrics/rollups), mirroring
 * src/core/contract/metrics-store.ts (checked at compile time at the end). Part of the contract.
 */
import { z } from '@hono/zod-openapi';
import { MARK_KINDS, ROLLUP_RESOLUTIONS, type RollupAnswer } from '../metrics-store';
import { queryBool, queryNames, queryTime, type Fits } from './common';

export const rollupQuerySchema = z.object({
  since: queryTime('From this time (default: as far back as the resolution is kept)'),
  until: queryTime('Up to this time (default: now)'),
  service: queryNames('Only these services', 'api'),
  resolution: z.enum(ROLLUP_RESOLUTIONS).optional().openapi({ description: 'minute or hour (default: minute for a range within the minute retention, else hour)' }),
  marks: queryBool('Also the marks of the range (restarts, state changes, failed checks, backups, verifications, drills, RPO, config)'),
});

const n = () => z.number().optional();

export const serviceRollupSchema = z
  .object({
    at: z.number().openapi({ description: 'Start of the minute or hour (epoch ms)' }),
    service: z.string(),
    samples: z.number(),
    cpuAvg: n(), cpuMax: n(), rssAvgMb: n(), rssMaxMb: n(),
    probes: z.number(), probeFailures: z.number(),
    latencyP50Ms: n(), latencyP95Ms: n(), latencyMaxMs: n(),
    activeSec: z.number().openapi({ description: 'Seconds in any state but stopped' }),
    upSec: z.number().openapi({ description: 'Seconds with a process running' }),
    readySec: z.number().openapi({ description: 'Seconds ready or degraded' }),
    restarts: z.number(), checksOk: z.number(), checksFailed: z.number(),
  })
  .openapi('ServiceRollup');

export const stackRollupSchema = z
  .object({ at: z.number(), samples: z.number(), ipcAvg: n(), ipcMax: n(), ipcBins: z.array(z.number()).openapi({ description: 'Samples per IPC decile: 0–9 … 90–99, 100' }) })
  .openapi('StackRollup');

export const metricsMarkSchema = z
  .object({
    at: z.number(),
    kind: z.enum(MARK_KINDS),
    service: z.string(),
    data: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string()), z.null()])),
  })
  .openapi('MetricsMark');

export const rollupAnswerSchema = z
  .object({
    resolution: z.enum(ROLLUP_RESOLUTIONS),
    since: z.number(),
    until: z.number(),
    services: z.array(serviceRollupSchema),
    stack: z.array(stackRollupSchema),
    marks: z.array(metricsMarkSchema).optional(),
    store: z.object({ bytes: z.number(), minuteRows: z.number(), hourRows: z.number(), marks: z.number() }),
  })
  .openapi('MetricsRollups');

const typesFit: Fits<RollupAnswer, typeof rollupAnswerSchema> = true;
void typesFit;
