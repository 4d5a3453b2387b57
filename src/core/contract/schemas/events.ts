/**
 * The engine events as the control API streams them (GET /v1/events): one schema per event type,
 * checked at compile time against the union in src/core/contract/events.ts. Part of the contract.
 */
import { z } from '@hono/zod-openapi';
import { ALERT_PHASES, RESTART_CAUSES, type EventOf, type EventType } from '../events';
import type { Fits } from './common';
import { serviceStateSchema } from './status';

// ------------------------------------------------------------------ events

const base = { at: z.number().openapi({ description: 'Epoch ms' }), service: z.string() };

/** One schema per event type; `satisfies` makes a new type in events.ts a compile error here until it is described. */
export const eventSchemas = {
  state: z.object({ type: z.literal('state'), ...base, from: serviceStateSchema, to: serviceStateSchema, reason: z.string() }),
  spawn: z.object({ type: z.literal('spawn'), ...base, pid: z.number().int(), command: z.array(z.string()) }),
  exit: z.object({
    type: z.literal('exit'),
    ...base,
    pid: z.number().int().optional(),
    code: z.number().int().nullable(),
    signal: z.string().nullable(),
    expected: z.boolean(),
    error: z.string().optional(),
  }),
  probe: z.object({
    type: z.literal('probe'),
    ...base,
    probe: z.enum(['readiness', 'liveness']),
    ok: z.boolean(),
    latencyMs: z.number(),
    error: z.string().optional(),
    failures: z.number().int(),
    threshold: z.number().int(),
  }),
  restart: z.object({
    type: z.literal('restart'),
    ...base,
    attempt: z.number().int(),
    delayMs: z.number(),
    cause: z.enum(RESTART_CAUSES),
    detail: z.string(),
  }),
  'retry-reset': z.object({ type: z.literal('retry-reset'), ...base, after: z.number() }),
  'gave-up': z.object({ type: z.literal('gave-up'), ...base, restarts: z.number().int(), windowMs: z.number() }),
  leftover: z.object({
    type: z.literal('leftover'),
    ...base,
    pid: z.number().int(),
    enginePid: z.number().int(),
    processes: z.array(z.number().int()),
    outcome: z.enum(['stopped', 'killed']),
  }),
  limit: z.object({ type: z.literal('limit'), ...base, limit: z.literal('memory'), valueMb: z.number(), maxMb: z.number() }),
  check: z.object({ type: z.literal('check'), ...base, ok: z.boolean(), durationMs: z.number(), output: z.string() }),
  log: z.object({ type: z.literal('log'), ...base, stream: z.enum(['stdout', 'stderr']), line: z.string() }),
  ipc: z.object({
    type: z.literal('ipc'),
    ...base,
    from: z.enum(['ok', 'warn', 'critical']),
    to: z.enum(['ok', 'warn', 'critical']),
    score: z.number(),
    summary: z.string(),
  }),
  backup: z.object({
    type: z.literal('backup'),
    ...base,
    phase: z.enum(['started', 'completed', 'failed']),
    trigger: z.enum(['manual', 'schedule', 'safety']),
    services: z.array(z.string()),
    tags: z.array(z.string()),
    snapshot: z.string().optional(),
    files: z.number().int().optional(),
    filesNew: z.number().int().optional(),
    filesChanged: z.number().int().optional(),
    filesUnchanged: z.number().int().optional(),
    bytesAdded: z.number().optional(),
    durationMs: z.number().optional(),
    error: z.string().optional(),
  }),
  restore: z.object({
    type: z.literal('restore'),
    ...base,
    phase: z.enum(['started', 'completed', 'failed', 'rolled-back']),
    snapshot: z.string(),
    mode: z.enum(['in-place', 'target']),
    services: z.array(z.string()),
    recoveryMs: z.number().optional(),
    rtoMs: z.number().optional(),
    withinRto: z.boolean().optional(),
    safetySnapshot: z.string().optional(),
    error: z.string().optional(),
  }),
  drill: z.object({
    type: z.literal('drill'),
    ...base,
    phase: z.enum(['started', 'completed', 'failed']),
    snapshot: z.string(),
    services: z.array(z.string()),
    recoveryMs: z.number().optional(),
    rtoMs: z.number().optional(),
    withinRto: z.boolean().optional(),
    error: z.string().optional(),
  }),
  rpo: z.object({ type: z.literal('rpo'), ...base, ok: z.boolean(), rpoMs: z.number(), ageMs: z.number().optional(), snapshot: z.string().optional(), detail: z.string() }),
  verify: z.object({
    type: z.literal('verify'),
    ...base,
    ok: z.boolean(),
    trigger: z.enum(['manual', 'schedule', 'safety']),
    readData: z.boolean(),
    subset: z.string().optional(),
    errors: z.number().int(),
    warnings: z.number().int(),
    damagedSnapshots: z.array(z.string()),
    durationMs: z.number(),
    error: z.string().optional(),
  }),
  retention: z.object({
    type: z.literal('retention'),
    ...base,
    ok: z.boolean(),
    trigger: z.enum(['manual', 'schedule', 'safety']),
    kept: z.number().int(),
    forgotten: z.array(z.string()),
    bytesFreed: z.number().optional(),
    error: z.string().optional(),
  }),
  maintenance: z.object({
    type: z.literal('maintenance'),
    ...base,
    task: z.string(),
    kind: z.string(),
    ok: z.boolean(),
    trigger: z.enum(['manual', 'schedule']),
    summary: z.string(),
    durationMs: z.number(),
    reclaimedBytes: z.number().optional(),
    error: z.string().optional(),
  }),
  cleanup: z.object({ type: z.literal('cleanup'), ...base, files: z.number().int(), bytes: z.number(), kinds: z.array(z.string()) }),
  alert: z.object({
    type: z.literal('alert'),
    ...base,
    phase: z.enum(ALERT_PHASES),
    incident: z.string(),
    severity: z.enum(['info', 'warning', 'critical']),
    level: z.number().int(),
    summary: z.string(),
    rules: z.array(z.string()),
    channels: z.array(z.string()).openapi({ description: 'The channels it was sent to (`vscode`: shown by the extension)' }),
  }),
  report: z.object({ type: z.literal('report'), ...base, trigger: z.enum(['manual', 'schedule']), period: z.string(), since: z.number(), until: z.number(), files: z.array(z.string()) }),
} satisfies Record<EventType, z.ZodType>;

export const EVENT_TYPES = Object.keys(eventSchemas) as EventType[];

export const engineEventSchema = z
  .discriminatedUnion('type', Object.values(eventSchemas) as unknown as [(typeof eventSchemas)[EventType], ...(typeof eventSchemas)[EventType][]])
  .openapi('EngineEvent', { description: 'One engine event; sent over SSE as `event: <type>` with the JSON in `data:`' });

export const eventsQuerySchema = z.object({
  types: z
    .string()
    .transform((text, ctx) => {
      const types = text.split(',').map((t) => t.trim()).filter(Boolean);
      const unknown = types.filter((t) => !(EVENT_TYPES as string[]).includes(t));
      if (unknown.length) {
        ctx.addIssue({ code: 'custom', message: `unknown event type ${unknown.map((t) => `"${t}"`).join(', ')}; the types are ${EVENT_TYPES.join(', ')}` });
        return z.NEVER;
      }
      return types as EventType[];
    })
    .optional()
    .openapi({ type: 'string', description: `Comma-separated event types to receive (default: all): ${EVENT_TYPES.join(', ')}`, example: 'state,restart' }),
});

type EventMismatch = { [T in EventType]: Fits<EventOf<T>, (typeof eventSchemas)[T]> extends true ? never : T }[EventType];
const typesFit: [EventMismatch] extends [never] ? true : EventMismatch = true;
void typesFit;
