/**
 * The shapes of the control API, as zod schemas with OpenAPI metadata: what the routes
 * validate, what docs/openapi.json documents and what the typed client infers. Responses
 * mirror the engine's own types (checked at compile time below); requests use snake_case
 * (`dry_run`) like the CLI's flags.
 */
import { z } from '@hono/zod-openapi';
import { parseDuration } from '../duration';
import type { EngineStatus, MetricsHistory, PlanResult, ServiceStatus } from '../engine';
import { SERVICE_STATES, type EventOf, type EventType } from '../events';
import { HEALTH_LEVELS, type StackHealth } from '../health/summary';
import type { LogLine } from '../logs/read-log';
import { HISTORY_METRICS, type HistoryMetric } from '../metrics/collector';

// ------------------------------------------------------------------ query-string scalars

/** `true`/`false` (also 1/0, yes/no, on/off) in a query string. `z.coerce.boolean()` would take "false" as true. */
export const queryBool = (description: string) => z.stringbool().optional().openapi({ type: 'boolean', description });

/**
 * A point in time in a query string: epoch milliseconds, an ISO 8601 time, or a duration
 * meaning "that long ago" (`90s`, `10m`, `1h30m`). Becomes epoch milliseconds.
 */
export const queryTime = (description: string) =>
  z
    .string()
    .transform((text, ctx) => {
      const at = parseTime(text);
      if (at === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${text}" is not a time: use epoch milliseconds, an ISO 8601 time, or a duration ago like 10m` });
        return z.NEVER;
      }
      return at;
    })
    .optional()
    .openapi({ type: 'string', description: `${description}: epoch milliseconds, an ISO 8601 time, or a duration ago like \`10m\``, example: '10m' });

export function parseTime(text: string, now = Date.now()): number | undefined {
  const s = text.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const ago = parseDuration(s);
  if (ago !== undefined) return now - ago;
  if (!/^\d{4}-\d\d-\d\d/.test(s)) return undefined;
  const at = Date.parse(s);
  return Number.isNaN(at) ? undefined : at;
}

// ------------------------------------------------------------------ limits

/**
 * What one request may hold, so that none can make the engine work without bound (the body is
 * capped at MAX_BODY_BYTES in routes.ts). Names: no service or profile name is longer than 63.
 */
export const API_LIMITS = { nameLength: 63, listItems: 10_000, textLength: 4096, queryNames: 100, memoryText: 1000, healthTimeoutMs: 86_400_000 } as const;

/** A service or profile name as a request gives it. */
export const apiName = () =>
  z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(API_LIMITS.nameLength, { error: `must be at most ${API_LIMITS.nameLength} characters (no service or profile name is longer)` });

/** A list in a request body. */
const apiList = <T extends z.ZodType>(item: T) => z.array(item).max(API_LIMITS.listItems, { error: `must have at most ${API_LIMITS.listItems} items` });

/** A string in a request (a path, a glob, a tag). */
const apiText = () => z.string().min(1, { error: 'must not be empty' }).max(API_LIMITS.textLength, { error: `must be at most ${API_LIMITS.textLength} characters` });

// ------------------------------------------------------------------ errors

export const issueSchema = z
  .object({
    path: z.string().openapi({ description: 'Where the problem is, e.g. `query.lines` or `body.services.0`' }),
    message: z.string(),
    code: z.string().optional(),
  })
  .openapi('Issue');

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ description: 'Stable error code (OpsError code), e.g. SERVICE_UNKNOWN, BAD_REQUEST, NOT_AVAILABLE', example: 'SERVICE_UNKNOWN' }),
      message: z.string(),
      hint: z.string().optional(),
      issues: z.array(issueSchema).optional(),
    }),
  })
  .openapi('Error');
export type ErrorBody = z.infer<typeof errorBodySchema>;

// ------------------------------------------------------------------ services, health, status

export const serviceStateSchema = z.enum(SERVICE_STATES).openapi('ServiceState');
export const healthLevelSchema = z.enum(HEALTH_LEVELS).openapi('HealthLevel');

const probeResultSchema = z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.string().optional() }).openapi('ProbeResult');

export const serviceStatusSchema = z
  .object({
    name: z.string(),
    state: serviceStateSchema,
    reason: z.string(),
    since: z.number().openapi({ description: 'Epoch ms of the last state change' }),
    pid: z.number().int().optional(),
    restarts: z.number().int(),
    attempt: z.number().int(),
    startedAt: z.number().optional(),
    completed: z.boolean(),
    lastExit: z.object({ code: z.number().int().nullable(), signal: z.string().nullable(), error: z.string().optional() }).optional(),
    lastProbe: z.object({ readiness: probeResultSchema.optional(), liveness: probeResultSchema.optional() }),
    lastCheck: z.object({ ok: z.boolean(), durationMs: z.number(), output: z.string() }).optional(),
    rssMb: z.number().optional(),
    tier: z.string(),
    inProfile: z.boolean(),
    health: healthLevelSchema,
  })
  .openapi('ServiceStatus');

export const serviceHealthSchema = z.object({ service: z.string(), level: healthLevelSchema, reason: z.string() }).openapi('ServiceHealth');

export const stackHealthSchema = z
  .object({ level: healthLevelSchema, summary: z.string().openapi({ example: '2/3 OK (api CRITICAL)' }), services: z.array(serviceHealthSchema) })
  .openapi('StackHealth');

export const engineStatusSchema = z
  .object({
    stack: z.string(),
    dir: z.string(),
    profile: z.string().optional(),
    services: z.array(serviceStatusSchema),
    health: stackHealthSchema,
    ipc: z
      .object({ score: z.number(), level: z.enum(['ok', 'warn', 'critical']), summary: z.string() })
      .openapi({ description: 'The IPC pressure score (0-100, higher is worse) at the last metrics sample; see docs/ipc-score.md' }),
    engine: z.object({ pid: z.number().int(), startedAt: z.number() }),
  })
  .openapi('EngineStatus');

// ------------------------------------------------------------------ commands

export const planStepSchema = z
  .object({
    action: z.enum(['stop', 'restart', 'start']),
    service: z.string(),
    wave: z.number().int().openapi({ description: 'Steps of the same action and wave run concurrently; waves run in order' }),
    reason: z.string(),
  })
  .openapi('PlanStep');

export const planResultSchema = z
  .object({
    dryRun: z.boolean().openapi({ description: 'True when nothing was changed: `plan` is what would be done' }),
    plan: z.array(planStepSchema),
  })
  .openapi('PlanResult');

export const stackCommandSchema = z
  .object({
    services: apiList(apiName()).optional().openapi({ description: 'Default: up, the services of the active profile; down, every running service' }),
    dry_run: z.boolean().optional().openapi({ description: 'Only plan: change nothing' }),
  })
  .strict()
  .openapi('StackCommand');

export const serviceParamsSchema = z.object({
  name: apiName().openapi({ param: { name: 'name', in: 'path' }, example: 'storage' }),
});

export const dryRunQuerySchema = z.object({ dry_run: queryBool('Only plan: change nothing') });

export const profilesSchema = z
  .object({
    active: z.string().optional(),
    profiles: z.array(z.object({ name: z.string(), services: z.array(z.string()), description: z.string().optional() })),
  })
  .openapi('Profiles');

export const useProfileSchema = z
  .object({ name: apiName(), dry_run: z.boolean().optional().openapi({ description: 'Only plan: change nothing' }) })
  .strict()
  .openapi('UseProfile');

// ------------------------------------------------------------------ logs

export const logLineSchema = z
  .object({ at: z.number().openapi({ description: 'Epoch ms' }), stream: z.enum(['stdout', 'stderr', 'opsdeck']), line: z.string() })
  .openapi('LogLine');

export const logsQuerySchema = z.object({
  lines: z.coerce
    .number()
    .int()
    .min(0)
    .max(100_000)
    .optional()
    .openapi({ type: 'integer', minimum: 0, maximum: 100_000, description: 'How many of the last lines (default 100); 0 with follow=true: only new lines', example: 50 }),
  since: queryTime('Only lines at or after this time'),
  follow: queryBool('Answer with a server-sent event stream: the tail as `log` events, then every new line'),
});

export const logsSchema = z.object({ service: z.string(), lines: z.array(logLineSchema) }).openapi('Logs');

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
    cause: z.enum(['crash', 'exit', 'hang', 'memory limit', 'spawn failed']),
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

// ------------------------------------------------------------------ memory, metrics

/** A name filter: repeat the parameter (`?service=a&service=b`) or separate with commas; each name once, at most `max`. */
export const queryNames = (description: string, example: string, max: number = API_LIMITS.listItems) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((v) => [...new Set((Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean))])
    .pipe(z.array(apiName()).max(max, { error: `must name at most ${max}` }))
    .optional()
    .openapi({ type: 'string', description: `${description}; repeat the parameter or separate names with commas`, example });

export const MEMORY_MAX_LIMIT = 500;

export const memoryQuerySchema = z.object({
  text: z.string().max(API_LIMITS.memoryText, { error: `must be at most ${API_LIMITS.memoryText} characters` }).optional().openapi({ description: 'What to look for: words, `prefix*`, `"a phrase"`, `a OR b`, `service:name` (see docs/memory.md). Absent: the newest entries passing the filters', example: 'crash*' }),
  service: queryNames('Only these services', 'storage', API_LIMITS.queryNames),
  kind: queryNames('Only these kinds: `log` or an event type (`state`, `restart`, `exit`, `probe`, …)', 'restart', API_LIMITS.queryNames),
  since: queryTime('Only entries at or after this time'),
  until: queryTime('Only entries at or before this time'),
  limit: z.coerce.number().int().min(1).max(MEMORY_MAX_LIMIT).optional().openapi({ type: 'integer', minimum: 1, maximum: MEMORY_MAX_LIMIT, description: `Hits returned (default 20, at most ${MEMORY_MAX_LIMIT})`, example: 20 }),
});
/** A memory search as the engine receives it: names as lists, times as epoch ms. */
export type MemoryQuery = z.output<typeof memoryQuerySchema>;

export const memoryHitSchema = z
  .object({
    id: z.number().int(),
    at: z.number().openapi({ description: 'Epoch ms' }),
    service: z.string(),
    kind: z.string(),
    text: z.string().openapi({ description: 'The entry as one line of text (secrets redacted)' }),
    snippet: z.string().openapi({ description: '`text` around the match, each matched word between « and », cut text as …' }),
    rank: z.number().openapi({ description: 'Relevance of a text query, higher is better; 0 without text' }),
    data: z.record(z.string(), z.unknown()).openapi({ description: 'The entry as recorded: `{ type, service, at, … }` (secrets redacted)' }),
  })
  .openapi('MemoryHit');
export const memoryHitsSchema = z.object({ hits: z.array(memoryHitSchema) }).openapi('MemoryHits');
export type MemoryHit = z.infer<typeof memoryHitSchema>;
export type MemoryHits = z.infer<typeof memoryHitsSchema>;

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

// ------------------------------------------------------------------ the engine's types fit these schemas

type Profiles = { active: string | undefined; profiles: { name: string; services: string[]; description?: string }[] };
type Fits<T, S extends z.ZodType> = T extends z.input<S> ? true : false;
type EventMismatch = { [T in EventType]: Fits<EventOf<T>, (typeof eventSchemas)[T]> extends true ? never : T }[EventType];
const typesFit: [
  Fits<ServiceStatus, typeof serviceStatusSchema>,
  Fits<EngineStatus, typeof engineStatusSchema>,
  Fits<StackHealth, typeof stackHealthSchema>,
  Fits<PlanResult, typeof planResultSchema>,
  Fits<LogLine, typeof logLineSchema>,
  Fits<Profiles, typeof profilesSchema>,
  Fits<MetricsHistory, typeof metricsHistorySchema>,
  [EventMismatch] extends [never] ? true : EventMismatch,
] = [true, true, true, true, true, true, true, true];
void typesFit;

// ------------------------------------------------------------------ backups (src/core/backup, docs/backup.md)

const snapshotId = z.string().max(128, { error: 'must be at most 128 characters (a snapshot id is 64)' }).openapi({ description: 'A snapshot id, or any unique prefix of one (8 characters are shown), or `latest`', example: 'latest' });
const looseObject = (name: string, description: string) => z.record(z.string(), z.unknown()).openapi(name, { description });

export const snapshotParamsSchema = z.object({ id: snapshotId.openapi({ param: { name: 'id', in: 'path' } }) });
export const diffParamsSchema = z.object({
  id: snapshotId.openapi({ param: { name: 'id', in: 'path' } }),
  other: snapshotId.openapi({ param: { name: 'other', in: 'path' } }),
});

export const backupRequestSchema = z
  .object({
    services: apiList(apiName()).optional().openapi({ description: 'Only these services (default: every service of the active profile that declares a backup)' }),
    tags: apiList(apiText()).optional(),
    dry_run: z.boolean().optional().openapi({ description: 'Take the copies and read everything, write nothing' }),
    progress: z.boolean().optional().openapi({ description: 'Answer with a server-sent event stream: `progress` events (BackupProgress), then one `result` (BackupResult) or `error` (Error)' }),
  })
  .strict()
  .openapi('BackupRequest');

export const backupProgressSchema = z
  .object({
    phase: z.enum(['scan', 'backup', 'index', 'snapshot', 'done']),
    filesTotal: z.number(),
    filesDone: z.number(),
    bytesTotal: z.number(),
    bytesDone: z.number(),
    bytesRead: z.number(),
    bytesAdded: z.number(),
    elapsedMs: z.number(),
    currentPath: z.string().optional(),
  })
  .openapi('BackupProgress');

export const backupResultSchema = z
  .object({
    dryRun: z.boolean(),
    snapshot: z.string(),
    time: z.string(),
    repository: z.string(),
    repositoryCreated: z.boolean(),
    services: z.array(z.string()),
    tags: z.array(z.string()),
    files: z.number().int(),
    filesNew: z.number().int(),
    filesChanged: z.number().int(),
    filesUnchanged: z.number().int(),
    bytesTotal: z.number(),
    bytesRead: z.number(),
    bytesAdded: z.number().openapi({ description: 'Bytes added to the repository after dedup and compression' }),
    durationMs: z.number(),
    notes: z.array(z.object({ service: z.string(), path: z.string(), note: z.string() })),
    skipped: z.array(z.object({ service: z.string(), path: z.string(), reason: z.string() })),
    check: z.object({ ok: z.boolean(), errors: z.number().int(), warnings: z.number().int(), problems: z.array(z.string()) }).optional(),
  })
  .openapi('BackupResult');

const snapshotInfoShape = {
  id: z.string(),
  time: z.string(),
  stack: z.string(),
  profile: z.string(),
  services: z.array(z.string()),
  tags: z.array(z.string()),
  hostname: z.string(),
  parent: z.string().optional(),
  configHash: z.string(),
  gitCommit: z.string().optional(),
  opsdeckVersion: z.string(),
  files: z.number().int().optional(),
  bytes: z.number().optional(),
  summary: z.record(z.string(), z.unknown()),
  extra: z.record(z.string(), z.unknown()).optional(),
};
export const snapshotInfoSchema = z.looseObject(snapshotInfoShape).openapi('SnapshotInfo');
export const snapshotListSchema = z.object({ snapshots: z.array(snapshotInfoSchema) }).openapi('SnapshotList');
export const snapshotSchema = z
  .looseObject({
    ...snapshotInfoShape,
    entries: z.array(
      z.looseObject({ path: z.string(), service: z.string(), type: z.enum(['file', 'dir', 'symlink']), mode: z.number(), mtime: z.number(), size: z.number(), sha256: z.string().optional(), linkTarget: z.string().optional() }),
    ),
  })
  .openapi('Snapshot');
export const snapshotDiffSchema = looseObject('SnapshotDiff', '`{a, b, added[], removed[], changed[{service, path, what[]}], unchanged, bytesAdded, bytesRemoved}`');

export const forgetRequestSchema = z
  .object({
    keep_last: z.number().int().min(-1).optional(),
    keep_hourly: z.number().int().min(-1).optional(),
    keep_daily: z.number().int().min(-1).optional(),
    keep_weekly: z.number().int().min(-1).optional(),
    keep_monthly: z.number().int().min(-1).optional(),
    keep_yearly: z.number().int().min(-1).optional(),
    keep_within: z.string().max(100).optional().openapi({ description: 'restic\'s form: 1y5m7d2h' }),
    keep_tags: apiList(z.string().max(API_LIMITS.textLength)).optional(),
    prune: z.boolean().optional().openapi({ description: 'Remove unreferenced data afterwards' }),
    dry_run: z.boolean().optional(),
  })
  .strict()
  .openapi('ForgetRequest', { description: 'Without any keep_* rule, the rules of backup.retention in opsdeck.yaml' });
export const forgetResultSchema = looseObject('ForgetResult', '`{dryRun, time, policy, keep[{snapshot, reasons[]}], remove[SnapshotInfo], groups[], prune?}`');
export const dryRunBodySchema = z.object({ dry_run: z.boolean().optional() }).strict().openapi('DryRun');
export const pruneResultSchema = looseObject('PruneReport', '`{dryRun, packsBefore, packsAfter, packsDeleted, packsRepacked, bytesBefore, bytesAfter, bytesFreed, durationMs, …}`');
export const verifyRequestSchema = z
  .object({ read_data: z.union([z.boolean(), z.string().regex(/^(\d+\/\d+|\d+(\.\d+)?%)$/)]).optional().openapi({ description: '`true`: re-read all data; `N/T` or `P%`: a subset' }) })
  .strict()
  .openapi('VerifyRequest');
export const verifyReportSchema = looseObject('VerifyReport', '`{ok, snapshots, packs, blobs, readData, subset?, packsRead, bytesRead, problems[], damaged[], affected[{snapshot, time, files[]}], durationMs}`');

/** How long a restore or drill waits for health: up to a day (longer would overflow a timer past ~24.8 days anyway). */
const healthTimeout = () =>
  z
    .number()
    .int()
    .positive()
    .max(API_LIMITS.healthTimeoutMs, { error: `must be at most ${API_LIMITS.healthTimeoutMs} (a day)` })
    .optional();

export const restoreRequestSchema = z
  .object({
    services: apiList(apiName()).optional(),
    include: apiList(apiText()).optional().openapi({ description: 'Globs on `path` or `service/path`' }),
    target: apiText().optional().openapi({ description: 'Restore into this new or empty folder, as `<target>/<service>/<path>`; an absolute path (relative paths are relative to the engine\'s working folder)' }),
    in_place: z.boolean().optional().openapi({ description: 'Restore into the stack: stop, safety snapshot, stage and verify, swap, start, health gate; rollback on failure' }),
    dry_run: z.boolean().optional(),
    health_timeout_ms: healthTimeout(),
    keep_special_bits: z.boolean().optional().openapi({ description: 'Keep setuid/setgid bits from the snapshot (default: stripped, like tar without -p; the sticky bit is always kept)' }),
  })
  .strict()
  .openapi('RestoreRequest');
export const restoreResultSchema = looseObject('RestoreResult', '`{dryRun, snapshot, mode, target, services, files[], bytes, verified, sqlite[], stopped[], safetySnapshot?, warnings[]?, recoveryMs, phases, objectives[{service, rtoMs?, recoveryMs, withinRto?}], plan[]}`');
export const drillRequestSchema = z
  .object({
    snapshot: z.string().min(1).max(128).optional().openapi({ description: 'Default: the newest snapshot' }),
    services: apiList(apiName()).optional(),
    keep: z.boolean().optional().openapi({ description: 'Keep the sandbox folder' }),
    health_timeout_ms: healthTimeout(),
  })
  .strict()
  .openapi('DrillRequest');
export const drillResultSchema = looseObject('DrillResult', '`{ok, snapshot, services, started, sandbox, ports, recoveryMs, phases, objectives[], checks[]}`');
export const backupStatusSchema = looseObject('BackupStatus', '`{repository, exists, snapshots, newest?, schedule?, verifySchedule?, retention?, services[{service, rpoMs?, rtoMs?, newest?, rpo, lastRecovery?}], lastVerify?, jobs, recoveries[]}`');
