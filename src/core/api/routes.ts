/**
 * The control API v1: every route, declared once with its zod schemas (which validate the
 * request, generate /openapi.json and type the client), served by an engine. Errors answer
 * `{ error: { code, message, hint?, issues? } }` with a status from the code; bad input is a
 * 400, never a 500.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { HTTPException } from 'hono/http-exception';
import { isOpsError, OpsError } from '../errors';
import { assertKnownServices, healthOf } from '../health/summary';
import { redactDeep } from '../redact';
import type { ServedEngine } from './served-engine';
import { errorBody, NOT_FOUND, notAvailable, statusOf, validationBody, type ErrorStatus } from './http-errors';
import { backupRequestSchema, backupResultSchema, backupStatusSchema, diffParamsSchema, drillRequestSchema, drillResultSchema, dryRunBodySchema, forgetRequestSchema, forgetResultSchema, pruneResultSchema, restoreRequestSchema, restoreResultSchema, snapshotDiffSchema, snapshotListSchema, snapshotParamsSchema, snapshotSchema, verifyReportSchema, verifyRequestSchema } from '../contract/schemas/backups';
import { errorBodySchema, queryNames } from '../contract/schemas/common';
import { engineEventSchema, eventsQuerySchema } from '../contract/schemas/events';
import { logLineSchema, logsQuerySchema, logsSchema } from '../contract/schemas/logs';
import { memoryHitsSchema, memoryQuerySchema } from '../contract/schemas/memory';
import { metricsHistoryQuerySchema, metricsHistorySchema, metricsSchema } from '../contract/schemas/metrics';
import { dryRunQuerySchema, engineStatusSchema, planResultSchema, profilesSchema, serviceParamsSchema, stackCommandSchema, stackHealthSchema, useProfileSchema } from '../contract/schemas/status';
import { sseResponse, type SseOptions } from './sse';
import type { BackupService } from '../contract/backups';

export interface ApiOptions {
  /** SSE heartbeat period (default 15 s). */
  heartbeatMs?: number;
  /** Aborting it ends every open event stream cleanly (the server shutting down). */
  signal?: AbortSignal;
  /**
   * The engine log (`.opsdeck/logs/engine.log`): every 500 is appended to it with its stack.
   * Without it, they go to stderr (which is the engine log of a daemon).
   */
  errorLog?: string;
}

/** The largest request body the API reads: requests are small JSON objects. */
export const MAX_BODY_BYTES = 1024 * 1024;

export const API_TITLE = 'Opsdeck control API';
export const API_VERSION = '1';
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

// ------------------------------------------------------------------ route declarations

const json = <S extends z.ZodType>(schema: S, description: string) => ({ description, content: { 'application/json': { schema } } });
const failure = (description: string) => json(errorBodySchema, description);
const sse = (description: string) => ({ description, content: { 'text/event-stream': { schema: z.string().openapi({ description }) } } });

const E400 = { 400: failure('Invalid request: the `issues` say what and where') };
const E404 = { 404: failure('No such service, profile or route') };
const E500 = { 500: failure('The engine failed') };
const E501 = { 501: failure('The engine has no such feature (NOT_AVAILABLE)') };

const serviceCommand = (action: 'start' | 'stop' | 'restart', summary: string) =>
  createRoute({
    method: 'post',
    path: `/v1/services/{name}/${action}`,
    operationId: `${action}Service`,
    tags: ['services'],
    summary,
    request: { params: serviceParamsSchema, query: dryRunQuerySchema },
    responses: { 200: json(planResultSchema, 'What was done (or, with dry_run, would be)'), ...E400, ...E404, ...E500 },
  });

const routes = {
  status: createRoute({
    method: 'get',
    path: '/v1/status',
    operationId: 'getStatus',
    tags: ['status'],
    summary: 'The stack, its services and their health',
    responses: { 200: json(engineStatusSchema, 'The status'), ...E500 },
  }),
  health: createRoute({
    method: 'get',
    path: '/v1/health',
    operationId: 'getHealth',
    tags: ['status'],
    summary: 'OK / WARNING / CRITICAL / UNKNOWN for the stack and each service',
    request: {
      query: z.object({
        check: z.stringbool().optional().openapi({ type: 'boolean', description: 'Run every running service\'s full-functionality check first (with `service`, only theirs)' }),
        service: queryNames('Only these services: their health alone makes the level and summary; an unknown name is a 404 SERVICE_UNKNOWN', 'storage'),
      }),
    },
    responses: { 200: json(stackHealthSchema, 'The health'), ...E400, ...E500 },
  }),
  up: createRoute({
    method: 'post',
    path: '/v1/stack/up',
    operationId: 'stackUp',
    tags: ['stack'],
    summary: 'Start services in dependency order (returns at once; follow /v1/events to see them come up)',
    request: { body: { required: false, content: { 'application/json': { schema: stackCommandSchema } } } },
    responses: { 200: json(planResultSchema, 'What was done (or, with dry_run, would be)'), ...E400, ...E404, ...E500 },
  }),
  down: createRoute({
    method: 'post',
    path: '/v1/stack/down',
    operationId: 'stackDown',
    tags: ['stack'],
    summary: 'Stop services, dependents first (returns when they are stopped)',
    request: { body: { required: false, content: { 'application/json': { schema: stackCommandSchema } } } },
    responses: { 200: json(planResultSchema, 'What was done (or, with dry_run, would be)'), ...E400, ...E404, ...E500 },
  }),
  start: serviceCommand('start', 'Start one service and what it waits for (its dependencies, in order)'),
  stop: serviceCommand('stop', 'Stop one service'),
  restart: serviceCommand('restart', 'Restart one service'),
  profiles: createRoute({
    method: 'get',
    path: '/v1/profiles',
    operationId: 'getProfiles',
    tags: ['profiles'],
    summary: 'The profiles of the stack and the active one',
    responses: { 200: json(profilesSchema, 'The profiles'), ...E500 },
  }),
  useProfile: createRoute({
    method: 'put',
    path: '/v1/profile',
    operationId: 'useProfile',
    tags: ['profiles'],
    summary: 'Switch profile: stop what it leaves out, restart what changes, start what it adds',
    request: { body: { required: true, content: { 'application/json': { schema: useProfileSchema } } } },
    responses: { 200: json(planResultSchema, 'What was done (or, with dry_run, would be)'), ...E400, ...E404, ...E500 },
  }),
  logs: createRoute({
    method: 'get',
    path: '/v1/services/{name}/logs',
    operationId: 'getLogs',
    tags: ['logs'],
    summary: 'The last lines of a service\'s log; with follow=true, a stream of `log` events (LogLine) that goes on with new lines',
    request: { params: serviceParamsSchema, query: logsQuerySchema },
    responses: {
      200: {
        description: 'The lines (JSON), or with follow=true a server-sent event stream: `event: log` with a LogLine as `data:`',
        content: {
          'application/json': { schema: logsSchema },
          'text/event-stream': { schema: z.string().openapi({ description: '`event: log` / `data: <LogLine JSON>` messages; heartbeats as `: heartbeat` comments' }) },
        },
      },
      ...E400,
      ...E404,
      ...E500,
    },
  }),
  events: createRoute({
    method: 'get',
    path: '/v1/events',
    operationId: 'streamEvents',
    tags: ['events'],
    summary: 'Server-sent events: every engine event as `event: <type>` with an EngineEvent as `data:`',
    request: { query: eventsQuerySchema },
    responses: { 200: sse('`event: <type>` / `data: <EngineEvent JSON>` messages; heartbeats as `: heartbeat` comments every 15 s'), ...E400, ...E500 },
  }),
  metrics: createRoute({
    method: 'get',
    path: '/v1/metrics',
    operationId: 'getMetrics',
    tags: ['metrics'],
    summary: 'The engine\'s metrics as JSON',
    responses: { 200: json(metricsSchema, 'The metrics'), ...E500, ...E501 },
  }),
  metricsHistory: createRoute({
    method: 'get',
    path: '/v1/metrics/history',
    operationId: 'getMetricsHistory',
    tags: ['metrics'],
    summary: 'The sampled history of the metrics per service (up to an hour), of the IPC score, and the restarts in it',
    request: { query: metricsHistoryQuerySchema },
    responses: { 200: json(metricsHistorySchema, 'The history'), ...E400, ...E404, ...E500, ...E501 },
  }),
  searchMemory: createRoute({
    method: 'get',
    path: '/v1/memory/search',
    operationId: 'searchMemory',
    tags: ['memory'],
    summary: 'Search the stack\'s memory: its events and captured log lines',
    request: { query: memoryQuerySchema },
    responses: { 200: json(memoryHitsSchema, 'The hits, best first'), ...E400, ...E500, ...E501 },
  }),
  // Backups (src/core/backup, docs/backup.md). Long operations answer when done; backup and
  // restore can stream their progress instead (`progress: true`).
  backupStatus: createRoute({
    method: 'get',
    path: '/v1/backups/status',
    operationId: 'getBackupStatus',
    tags: ['backups'],
    summary: 'The repository, schedule, RPO of every service, last verification and measured recoveries',
    responses: { 200: json(backupStatusSchema, 'The backup status'), ...E500, ...E501 },
  }),
  listSnapshots: createRoute({
    method: 'get',
    path: '/v1/backups',
    operationId: 'listSnapshots',
    tags: ['backups'],
    summary: 'The snapshots of the repository, oldest first',
    responses: { 200: json(snapshotListSchema, 'The snapshots'), ...E500, ...E501 },
  }),
  backup: createRoute({
    method: 'post',
    path: '/v1/backups',
    operationId: 'backup',
    tags: ['backups'],
    summary: 'Back up the stack (or some services) now: one snapshot, then a structure check',
    request: { body: { required: false, content: { 'application/json': { schema: backupRequestSchema } } } },
    responses: {
      200: {
        description: 'The result (JSON), or with progress=true a server-sent event stream: `progress` events, then `result` or `error`',
        content: {
          'application/json': { schema: backupResultSchema },
          'text/event-stream': { schema: z.string().openapi({ description: '`event: progress` (BackupProgress), then `event: result` (BackupResult) or `event: error` (Error)' }) },
        },
      },
      ...E400,
      ...E404,
      ...E500,
      ...E501,
    },
  }),
  showSnapshot: createRoute({
    method: 'get',
    path: '/v1/backups/{id}',
    operationId: 'showSnapshot',
    tags: ['backups'],
    summary: 'One snapshot with its files',
    request: { params: snapshotParamsSchema },
    responses: { 200: json(snapshotSchema, 'The snapshot'), ...E400, ...E404, ...E500, ...E501 },
  }),
  diffSnapshots: createRoute({
    method: 'get',
    path: '/v1/backups/{id}/diff/{other}',
    operationId: 'diffSnapshots',
    tags: ['backups'],
    summary: 'What changed from snapshot id to snapshot other',
    request: { params: diffParamsSchema },
    responses: { 200: json(snapshotDiffSchema, 'The difference'), ...E400, ...E404, ...E500, ...E501 },
  }),
  forget: createRoute({
    method: 'post',
    path: '/v1/backups/forget',
    operationId: 'forgetSnapshots',
    tags: ['backups'],
    summary: 'Apply retention rules (restic\'s --keep-*): remove the snapshots no rule keeps',
    request: { body: { required: false, content: { 'application/json': { schema: forgetRequestSchema } } } },
    responses: { 200: json(forgetResultSchema, 'What was kept (and by which rule) and removed'), ...E400, ...E404, ...E500, ...E501 },
  }),
  prune: createRoute({
    method: 'post',
    path: '/v1/backups/prune',
    operationId: 'pruneRepository',
    tags: ['backups'],
    summary: 'Remove data no snapshot references',
    request: { body: { required: false, content: { 'application/json': { schema: dryRunBodySchema } } } },
    responses: { 200: json(pruneResultSchema, 'What was (or would be) removed'), ...E400, ...E404, ...E500, ...E501 },
  }),
  verify: createRoute({
    method: 'post',
    path: '/v1/backups/verify',
    operationId: 'verifyRepository',
    tags: ['backups'],
    summary: 'Check the repository\'s structure, and with read_data its data; names the snapshots and files a damaged chunk affects',
    request: { body: { required: false, content: { 'application/json': { schema: verifyRequestSchema } } } },
    responses: { 200: json(verifyReportSchema, 'The report (ok: false when damaged)'), ...E400, ...E404, ...E500, ...E501 },
  }),
  drill: createRoute({
    method: 'post',
    path: '/v1/backups/drill',
    operationId: 'drill',
    tags: ['backups'],
    summary: 'Recovery drill: restore into a sandbox, start there, run the checks, stop; records the recovery time against the RTO',
    request: { body: { required: false, content: { 'application/json': { schema: drillRequestSchema } } } },
    responses: { 200: json(drillResultSchema, 'The drill'), ...E400, ...E404, ...E500, ...E501 },
  }),
  restore: createRoute({
    method: 'post',
    path: '/v1/backups/{id}/restore',
    operationId: 'restoreSnapshot',
    tags: ['backups'],
    summary: 'Restore a snapshot into a folder or in place (with safety snapshot, health gate and rollback)',
    request: { params: snapshotParamsSchema, body: { required: true, content: { 'application/json': { schema: restoreRequestSchema } } } },
    responses: { 200: json(restoreResultSchema, 'The restore (or its plan, with dry_run)'), ...E400, ...E404, ...E500, ...E501 },
  }),
  prometheus: createRoute({
    method: 'get',
    path: '/metrics',
    operationId: 'getPrometheusMetrics',
    tags: ['metrics'],
    summary: 'The engine\'s metrics in the Prometheus text format',
    responses: {
      200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain; version=0.0.4': { schema: z.string() } } },
      ...E500,
      ...E501,
    },
  }),
};

// ------------------------------------------------------------------ the app

/** The API app for an engine. `fetch` it, serve it (server.ts) or type a client with it. */
export function createApi(engine: ServedEngine, opts: ApiOptions = {}) {
  const stream = { heartbeatMs: opts.heartbeatMs ?? 15_000, ...(opts.signal ? { signal: opts.signal } : {}) };
  const app = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (!result.success) return c.json(validationBody(result.target, result.error), 400);
    },
  });
  app.openAPIRegistry.register('EngineEvent', engineEventSchema);
  app.openAPIRegistry.register('LogLine', logLineSchema);

  app.notFound((c) =>
    c.json(errorBody(new OpsError(NOT_FOUND, `no route ${c.req.method} ${c.req.path}`, 'the routes are listed in GET /openapi.json')), 404),
  );
  app.onError((err, c) => {
    const [status, e] = asApiError(err);
    if (status === 500) logInternalError(opts.errorLog, `${c.req.method} ${c.req.path}`, err);
    return c.json(errorBody(e), status);
  });
  // Checked before anything reads the body: its content-length, or its bytes as they arrive.
  app.use('*', async (c, next) => {
    const body = await limitedBody(c.req.raw);
    if (body === 'too large') {
      return c.json(
        errorBody(new OpsError('BAD_REQUEST', `the request body is larger than 1 MiB (${MAX_BODY_BYTES} bytes), the most this API reads`, 'send a smaller request: names are at most 63 characters, lists at most 10000 items')),
        413,
      );
    }
    if (body) c.req.raw = new Request(c.req.raw.url, { method: c.req.raw.method, headers: [...c.req.raw.headers], body });
    return next();
  });

  return app
    .openapi(routes.status, async (c) => c.json(redactDeep(await engine.status()), 200))
    .openapi(routes.health, async (c) => {
      const { check, service } = c.req.valid('query');
      const names = service?.length ? service : undefined;
      if (names) assertKnownServices(names, (await engine.health()).services.map((s) => s.service));
      const health = redactDeep(check ? await engine.checkAll(names) : await engine.health());
      return c.json(names ? healthOf(health, names) : health, 200);
    })
    .openapi(routes.up, async (c) => {
      const body = c.req.valid('json');
      return c.json(await engine.up(unique(body.services), { dryRun: body.dry_run ?? false }), 200);
    })
    .openapi(routes.down, async (c) => {
      const body = c.req.valid('json');
      return c.json(await engine.down(unique(body.services), { dryRun: body.dry_run ?? false }), 200);
    })
    .openapi(routes.start, async (c) => c.json(await engine.up([c.req.valid('param').name], { dryRun: c.req.valid('query').dry_run ?? false }), 200))
    .openapi(routes.stop, async (c) => c.json(await engine.down([c.req.valid('param').name], { dryRun: c.req.valid('query').dry_run ?? false }), 200))
    .openapi(routes.restart, async (c) => c.json(await engine.restart(c.req.valid('param').name, { dryRun: c.req.valid('query').dry_run ?? false }), 200))
    .openapi(routes.profiles, async (c) => c.json(await engine.profiles(), 200))
    .openapi(routes.useProfile, async (c) => {
      const body = c.req.valid('json');
      return c.json(await engine.useProfile(body.name, { dryRun: body.dry_run ?? false }), 200);
    })
    .openapi(routes.logs, async (c) => {
      const { name } = c.req.valid('param');
      const { lines, since, follow } = c.req.valid('query');
      // Read the tail and subscribe with only microtasks in between (no I/O callback, so no log
      // line, can run there): no line is lost or sent twice. (lines=0 still asks the engine,
      // which knows whether the service exists.)
      const read = await engine.logs(name, { ...(lines !== undefined ? { lines: Math.max(lines, 1) } : {}), ...(since !== undefined ? { since } : {}) });
      const tail = lines === 0 ? [] : read;
      if (!follow) return c.json({ service: name, lines: tail }, 200);
      return sseResponse((out) => {
        for (const l of tail) out.send('log', l);
        const sub = engine.bus.on('log', (e) => {
          if (e.service === name) out.send('log', { at: e.at, stream: e.stream, line: e.line });
        });
        return () => sub.dispose();
      }, stream);
    })
    .openapi(routes.events, (c) => {
      const { types } = c.req.valid('query');
      return sseResponse((out) => {
        const sub = engine.bus.onAny((e) => {
          if (!types || types.includes(e.type)) out.send(e.type, e);
        });
        return () => sub.dispose();
      }, stream);
    })
    .openapi(routes.metrics, async (c) => {
      if (!engine.metrics) throw notAvailable('metrics');
      return c.json(await engine.metrics(), 200);
    })
    .openapi(routes.metricsHistory, async (c) => {
      if (!engine.metricsHistory) throw notAvailable('metrics history');
      const { since, service, metric } = c.req.valid('query');
      return c.json(
        await engine.metricsHistory({ ...(since !== undefined ? { since } : {}), ...(service ? { services: service } : {}), ...(metric ? { metrics: metric } : {}) }),
        200,
      );
    })
    .openapi(routes.searchMemory, async (c) => {
      if (!engine.searchMemory) throw notAvailable('memory search');
      return c.json(await engine.searchMemory(c.req.valid('query')), 200);
    })
    .openapi(routes.backupStatus, async (c) => c.json((await backups(engine).status()) as unknown as Record<string, unknown>, 200))
    .openapi(routes.listSnapshots, async (c) => c.json({ snapshots: await backups(engine).list() }, 200))
    .openapi(routes.backup, async (c) => {
      const body = c.req.valid('json');
      const svc = backups(engine);
      const req = { ...(body.services ? { services: body.services } : {}), ...(body.tags ? { tags: body.tags } : {}), dryRun: body.dry_run ?? false };
      if (body.progress) return streamed(stream, (onProgress) => svc.backup(req, { onProgress }), (err) => logInternalError(opts.errorLog, 'POST /v1/backups (progress)', err));
      return c.json(await svc.backup(req), 200);
    })
    .openapi(routes.showSnapshot, async (c) => c.json(await backups(engine).show(c.req.valid('param').id), 200))
    .openapi(routes.diffSnapshots, async (c) => {
      const { id, other } = c.req.valid('param');
      return c.json((await backups(engine).diff(id, other)) as unknown as Record<string, unknown>, 200);
    })
    .openapi(routes.forget, async (c) => {
      const b = c.req.valid('json');
      const result = await backups(engine).forget({
        ...(b.keep_last !== undefined ? { keepLast: b.keep_last } : {}),
        ...(b.keep_hourly !== undefined ? { keepHourly: b.keep_hourly } : {}),
        ...(b.keep_daily !== undefined ? { keepDaily: b.keep_daily } : {}),
        ...(b.keep_weekly !== undefined ? { keepWeekly: b.keep_weekly } : {}),
        ...(b.keep_monthly !== undefined ? { keepMonthly: b.keep_monthly } : {}),
        ...(b.keep_yearly !== undefined ? { keepYearly: b.keep_yearly } : {}),
        ...(b.keep_within !== undefined ? { keepWithin: b.keep_within } : {}),
        ...(b.keep_tags ? { keepTags: b.keep_tags } : {}),
        ...(b.prune !== undefined ? { prune: b.prune } : {}),
        dryRun: b.dry_run ?? false,
      });
      return c.json(result as unknown as Record<string, unknown>, 200);
    })
    .openapi(routes.prune, async (c) => c.json((await backups(engine).prune({ dryRun: c.req.valid('json').dry_run ?? false })) as unknown as Record<string, unknown>, 200))
    .openapi(routes.verify, async (c) => {
      const { read_data } = c.req.valid('json');
      return c.json((await backups(engine).verify(read_data === undefined ? {} : { readData: read_data })) as unknown as Record<string, unknown>, 200);
    })
    .openapi(routes.drill, async (c) => {
      const b = c.req.valid('json');
      const result = await backups(engine).drill({
        ...(b.snapshot ? { snapshot: b.snapshot } : {}),
        ...(b.services ? { services: b.services } : {}),
        ...(b.keep !== undefined ? { keep: b.keep } : {}),
        ...(b.health_timeout_ms !== undefined ? { healthTimeoutMs: b.health_timeout_ms } : {}),
      });
      return c.json(result as unknown as Record<string, unknown>, 200);
    })
    .openapi(routes.restore, async (c) => {
      const b = c.req.valid('json');
      const result = await backups(engine).restore(c.req.valid('param').id, {
        ...(b.services ? { services: b.services } : {}),
        ...(b.include ? { include: b.include } : {}),
        ...(b.target ? { target: b.target } : {}),
        ...(b.in_place !== undefined ? { inPlace: b.in_place } : {}),
        ...(b.health_timeout_ms !== undefined ? { healthTimeoutMs: b.health_timeout_ms } : {}),
        ...(b.keep_special_bits ? { keepSpecialBits: true } : {}),
        dryRun: b.dry_run ?? false,
      });
      return c.json(result as unknown as Record<string, unknown>, 200);
    })
    .openapi(routes.prometheus, async (c) => {
      if (!engine.prometheus) throw notAvailable('Prometheus metrics');
      return c.text(await engine.prometheus(), 200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
    })
    .doc31('/openapi.json', OPENAPI_OBJECT);
}

export type ApiApp = ReturnType<typeof createApi>;

export const OPENAPI_OBJECT = {
  openapi: '3.1.0',
  info: {
    title: API_TITLE,
    version: API_VERSION,
    description:
      'HTTP over the unix socket `.opsdeck/run/engine.sock` (mode 0600) of the engine that owns a stack. Errors answer `{ "error": { "code", "message", "hint"?, "issues"? } }`. See docs/api.md.',
  },
  servers: [{ url: 'http://opsdeck', description: 'Any host name: the connection is made to the stack\'s unix socket' }],
  tags: ['status', 'stack', 'services', 'profiles', 'logs', 'events', 'memory', 'metrics', 'backups'].map((name) => ({ name })),
};

/** The OpenAPI 3.1 document of the API, as served at /openapi.json. */
export function openApiDocument(app: ApiApp) {
  return app.getOpenAPI31Document(OPENAPI_OBJECT);
}

/**
 * A request body over MAX_BODY_BYTES: 'too large', known from its content-length or counted as
 * it arrives (then read no further). A body without a length that fits is returned as bytes to
 * stand for the one read; undefined when there is nothing to check or replace.
 */
async function limitedBody(req: Request): Promise<'too large' | Uint8Array | undefined> {
  if (!req.body) return undefined;
  const length = req.headers.get('content-length');
  if (length !== null && !req.headers.has('transfer-encoding')) return Number(length) > MAX_BODY_BYTES ? 'too large' : undefined;
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      return 'too large';
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

/** Each name once (a request may repeat one thousands of times), or undefined. */
const unique = (names: string[] | undefined) => (names ? [...new Set(names)] : undefined);

/** The engine's backups, or 501 NOT_AVAILABLE. */
function backups(engine: ServedEngine): BackupService {
  if (!engine.backups) throw notAvailable('backups');
  return engine.backups;
}

/** Run `op` with its progress sent as `progress` events, then `result` (or `error`, an internal one logged) and the end. */
function streamed<P, R>(opts: SseOptions, op: (onProgress: (p: P) => void) => Promise<R>, log: (err: unknown) => void): Response {
  return sseResponse((out) => {
    op((p) => out.send('progress', p)).then(
      (r) => {
        out.send('result', r);
        out.close();
      },
      (err: unknown) => {
        const [status, e] = asApiError(err);
        if (status === 500) log(err);
        out.send('error', errorBody(e));
        out.close();
      },
    );
  }, opts);
}

/** Any error thrown while answering, as a status and an OpsError. Malformed input is a 4xx. */
function asApiError(err: unknown): [ErrorStatus, OpsError] {
  if (isOpsError(err)) return [statusOf(err.code), err];
  if (err instanceof HTTPException) {
    if (err.status === 415) {
      return [415, new OpsError('BAD_REQUEST', 'the request body must be JSON', 'send `content-type: application/json`')];
    }
    if (err.status < 500) {
      const message = /malformed json/i.test(err.message) ? 'the request body is not valid JSON' : err.message || `bad request (HTTP ${err.status})`;
      return [400, new OpsError('BAD_REQUEST', message, 'send a JSON object as the body, e.g. {"dry_run": true}')];
    }
  }
  return [500, new OpsError('INTERNAL', `the engine failed: ${err instanceof Error ? err.message : String(err)}`, 'this is a bug in Opsdeck; the engine log (.opsdeck/logs/engine.log) has the details')];
}

/** Write an internal error, with its stack, where the 500's hint says: the engine log (or stderr). */
function logInternalError(file: string | undefined, request: string, err: unknown): void {
  const detail = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
  const entry = `${new Date().toISOString()} opsdeck: ${request} answered 500: ${detail}\n`;
  try {
    if (!file) throw new Error('no engine log file');
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    appendFileSync(file, entry, { mode: 0o600 });
  } catch {
    process.stderr.write(entry);
  }
}
