/**
 * The maintenance routes of the control API (src/core/maintenance, docs/maintenance.md): the
 * stack's tasks, a run of some of them (answered when done, or streamed as progress with
 * `progress: true`; a client that goes away stops the run before its next task) and cleanup.
 * Each answers 501 NOT_AVAILABLE from an engine without maintenance.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { MaintenanceService } from '../../contract/maintenance';
import { cleanupRequestSchema, cleanupResultSchema, maintenanceRequestSchema, maintenanceResultSchema, maintenanceTasksQuerySchema, maintenanceTasksSchema } from '../../contract/schemas/maintenance';
import { notAvailable } from '../http-errors';
import type { ServedEngine } from '../served-engine';
import type { SseOptions } from '../sse';
import { domainApp, E400, E404, E500, E501, json } from './declare';
import { logInternalError, streamed } from './errors';

const routes = {
  tasks: createRoute({
    method: 'get',
    path: '/v1/maintenance/tasks',
    operationId: 'listMaintenanceTasks',
    tags: ['maintenance'],
    summary: 'The maintenance tasks of the stack (its SQLite and PostgreSQL databases, Redis, caches, services\' own tasks, Opsdeck\'s own data), or those a run would pick',
    request: { query: maintenanceTasksQuerySchema },
    responses: { 200: json(maintenanceTasksSchema, 'The tasks'), ...E400, ...E404, ...E500, ...E501 },
  }),
  run: createRoute({
    method: 'post',
    path: '/v1/maintenance/run',
    operationId: 'runMaintenance',
    tags: ['maintenance'],
    summary: 'Run maintenance tasks (or, with dry_run, say what each would do and reclaim)',
    request: { body: { required: false, content: { 'application/json': { schema: maintenanceRequestSchema } } } },
    responses: {
      200: {
        description: 'The result (JSON), or with progress=true a server-sent event stream: `progress` events, then `result` or `error`',
        content: {
          'application/json': { schema: maintenanceResultSchema },
          'text/event-stream': { schema: z.string().openapi({ description: '`event: progress` (MaintenanceProgress), then `event: result` (MaintenanceResult) or `event: error` (Error)' }) },
        },
      },
      ...E400,
      ...E404,
      ...E500,
      ...E501,
    },
  }),
  cleanup: createRoute({
    method: 'post',
    path: '/v1/cleanup',
    operationId: 'cleanup',
    tags: ['maintenance'],
    summary: 'Remove what the stack no longer needs from its own folders: old rotated logs, finished restores\' staging and safety snapshots, old reports, stale sockets and locks, temp files',
    request: { body: { required: false, content: { 'application/json': { schema: cleanupRequestSchema } } } },
    responses: { 200: json(cleanupResultSchema, 'What was (or, with dry_run, would be) removed, per kind'), ...E400, ...E500, ...E501 },
  }),
};

/** The maintenance routes, answered by `engine`; a streamed run beats and ends as `stream` says, its internal errors go to `errorLog`. */
export function maintenanceApi(engine: ServedEngine, stream: SseOptions, errorLog: string | undefined) {
  return domainApp()
    .openapi(routes.tasks, async (c) => {
      const q = c.req.valid('query');
      const tasks = q.tasks?.split(',').map((t) => t.trim()).filter(Boolean);
      return c.json({ tasks: await maintenance(engine).tasks({ ...(tasks?.length ? { tasks } : {}), ...(q.service ? { service: q.service } : {}), ...(q.preset ? { preset: q.preset } : {}) }) }, 200);
    })
    .openapi(routes.run, async (c) => {
      const b = c.req.valid('json');
      const svc = maintenance(engine);
      const req = { ...(b.tasks ? { tasks: b.tasks } : {}), ...(b.service ? { service: b.service } : {}), ...(b.preset ? { preset: b.preset } : {}), dryRun: b.dry_run ?? false };
      const signal = c.req.raw.signal;
      if (b.progress) return streamed(stream, (onProgress) => svc.run(req, { onProgress, signal }), (err) => logInternalError(errorLog, 'POST /v1/maintenance/run (progress)', err));
      return c.json(await svc.run(req, { signal }), 200);
    })
    .openapi(routes.cleanup, async (c) => {
      const b = c.req.valid('json');
      return c.json(await maintenance(engine).cleanup({ dryRun: b.dry_run ?? false, ...(b.older_than_ms !== undefined ? { olderThanMs: b.older_than_ms } : {}) }), 200);
    });
}

/** The engine's maintenance, or 501 NOT_AVAILABLE. */
function maintenance(engine: ServedEngine): MaintenanceService {
  if (!engine.maintenance) throw notAvailable('maintenance');
  return engine.maintenance;
}
