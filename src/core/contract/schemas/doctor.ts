/**
 * The doctor shapes of the control API (GET /v1/doctor, POST /v1/doctor/profile). Part of the
 * contract.
 */
import { z } from '@hono/zod-openapi';
import { parseDuration } from '../../duration';
import type { DoctorReport, ProfileReport } from '../doctor';
import { apiName, queryNames, type Fits } from './common';

export const doctorQuerySchema = z.object({
  service: queryNames('Only these services (the environment checks always run); an unknown name is a 404 SERVICE_UNKNOWN', 'api'),
});

const checkSchema = z.object({
  id: z.string().openapi({ example: 'config.ports.taken' }),
  category: z.enum(['environment', 'config', 'connection', 'logs']),
  service: z.string().optional(),
  title: z.string(),
  status: z.enum(['ok', 'warn', 'fail']),
  found: z.string(),
  fix: z.object({ text: z.string(), command: z.string().optional() }).optional(),
  at: z.object({ path: z.string(), line: z.number().int(), column: z.number().int() }).optional().openapi({ description: 'Config findings: where in opsdeck.yaml (1-based)' }),
  data: z.record(z.string(), z.unknown()).optional().openapi({ description: 'The raw data behind the finding' }),
});

export const doctorReportSchema = z
  .object({
    stack: z.string(),
    dir: z.string(),
    at: z.number().openapi({ description: 'Epoch ms' }),
    version: z.string(),
    services: z.array(z.string()),
    checks: z.array(checkSchema),
    summary: z.object({ ok: z.number().int(), warn: z.number().int(), fail: z.number().int() }),
  })
  .openapi('DoctorReport');

/** The longest profile run the API takes. */
export const PROFILE_MAX_MS = 10 * 60_000;

const durationMs = z
  .union([z.number(), z.string()])
  .transform((v, ctx) => {
    const ms = typeof v === 'number' ? v : parseDuration(v);
    if (ms === undefined || !Number.isFinite(ms) || ms < 100 || ms > PROFILE_MAX_MS) {
      ctx.addIssue({ code: 'custom', message: `must be a duration between 100ms and 10m (like 30s), got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return ms;
  })
  .openapi({ type: 'string', description: 'How long to sample: a duration (`30s`) or milliseconds; 100ms to 10m', example: '30s' });

export const profileRequestSchema = z
  .object({
    service: apiName(),
    duration: durationMs.optional().openapi({ description: 'How long to sample (default 30s)' }),
    cpuProfile: z.boolean().optional().openapi({ description: 'Take a V8 CPU profile of a Node service (default true)' }),
  })
  .openapi('ProfileRequest');
export type ProfileRequest = z.output<typeof profileRequestSchema>;

const processSchema = z.object({
  pid: z.number().int(),
  ppid: z.number().int(),
  command: z.string(),
  samples: z.number().int(),
  cpuAvgPercent: z.number(),
  cpuMaxPercent: z.number(),
  rssAvgMb: z.number(),
  rssMaxMb: z.number(),
  fdsMax: z.number().int().nullable(),
  threadsMax: z.number().int(),
  voluntaryCtxSwitches: z.number().int(),
  involuntaryCtxSwitches: z.number().int(),
  readBytes: z.number().nullable(),
  writeBytes: z.number().nullable(),
});

export const profileReportSchema = z
  .object({
    service: z.string(),
    pid: z.number().int(),
    durationMs: z.number(),
    intervalMs: z.number(),
    samples: z.number().int(),
    processes: z.array(processSchema),
    total: z.object({ cpuAvgPercent: z.number(), rssMaxMb: z.number(), processes: z.number().int() }),
    cpuProfile: z
      .object({
        file: z.string().openapi({ description: 'The .cpuprofile written (on the engine\'s machine)' }),
        topFunctions: z.array(z.object({ name: z.string(), url: z.string(), line: z.number().int(), selfMs: z.number(), selfPercent: z.number() })),
      })
      .optional(),
    cpuProfileSkipped: z.string().optional(),
  })
  .openapi('ProfileReport');

const reportFits: Fits<DoctorReport, typeof doctorReportSchema> = true;
const profileFits: Fits<ProfileReport, typeof profileReportSchema> = true;
void reportFits;
void profileFits;
