/**
 * The backup routes of the control API (src/core/backup, docs/backup.md): status, snapshots
 * (list, show, diff), backup, forget, prune, verify, drill and restore. Long operations answer
 * when done; backup, verify and restore can stream their progress instead (`progress: true`).
 * Each answers 501 NOT_AVAILABLE from an engine without backups.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { ServedEngine } from '../served-engine';
import { notAvailable } from '../http-errors';
import type { SseOptions } from '../sse';
import type { BackupService } from '../../contract/backups';
import { backupRequestSchema, backupResultSchema, backupStatusSchema, diffParamsSchema, drillRequestSchema, drillResultSchema, dryRunBodySchema, forgetRequestSchema, forgetResultSchema, pruneResultSchema, restoreRequestSchema, restoreResultSchema, snapshotDiffSchema, snapshotListSchema, snapshotParamsSchema, snapshotSchema, verifyReportSchema, verifyRequestSchema } from '../../contract/schemas/backups';
import { domainApp, E400, E404, E500, E501, json } from './declare';
import { logInternalError, streamed } from './errors';

/** A 200 answered as JSON, or with progress=true as a server-sent event stream: `progress` events, then `result` or `error`. */
function orStream<S extends z.ZodTypeAny>(schema: S, description: string, progress: string, result: string) {
  return {
    description: `${description} (JSON), or with progress=true a server-sent event stream: \`progress\` events, then \`result\` or \`error\``,
    content: {
      'application/json': { schema },
      'text/event-stream': { schema: z.string().openapi({ description: `\`event: progress\` (${progress}), then \`event: result\` (${result}) or \`event: error\` (Error)` }) },
    },
  };
}

const routes = {
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
      200: orStream(backupResultSchema, 'The result', 'BackupProgress', 'BackupResult'),
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
    responses: { 200: orStream(verifyReportSchema, 'The report (ok: false when damaged)', 'VerifyProgress', 'VerifyReport'), ...E400, ...E404, ...E500, ...E501 },
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
    responses: { 200: orStream(restoreResultSchema, 'The restore (or its plan, with dry_run)', 'RestoreProgress', 'RestoreResult'), ...E400, ...E404, ...E500, ...E501 },
  }),
};

/** The backup routes, answered by `engine`; a streamed backup beats and ends as `stream` says, its internal errors go to `errorLog`. */
export function backupsApi(engine: ServedEngine, stream: SseOptions, errorLog: string | undefined) {
  return domainApp()
    .openapi(routes.backupStatus, async (c) => c.json((await backups(engine).status()) as unknown as Record<string, unknown>, 200))
    .openapi(routes.listSnapshots, async (c) => c.json(await backups(engine).list(), 200))
    .openapi(routes.backup, async (c) => {
      const body = c.req.valid('json');
      const svc = backups(engine);
      const req = { ...(body.services ? { services: body.services } : {}), ...(body.tags ? { tags: body.tags } : {}), dryRun: body.dry_run ?? false };
      if (body.progress) return streamed(stream, (onProgress) => svc.backup(req, { onProgress }), (err) => logInternalError(errorLog, 'POST /v1/backups (progress)', err));
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
      const { read_data, progress } = c.req.valid('json');
      const req = read_data === undefined ? {} : { readData: read_data };
      const svc = backups(engine);
      if (progress) return streamed(stream, (onProgress) => svc.verify(req, { onProgress }), (err) => logInternalError(errorLog, 'POST /v1/backups/verify (progress)', err));
      return c.json((await svc.verify(req)) as unknown as Record<string, unknown>, 200);
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
      const id = c.req.valid('param').id;
      const req = {
        ...(b.services ? { services: b.services } : {}),
        ...(b.include ? { include: b.include } : {}),
        ...(b.target ? { target: b.target } : {}),
        ...(b.in_place !== undefined ? { inPlace: b.in_place } : {}),
        ...(b.health_timeout_ms !== undefined ? { healthTimeoutMs: b.health_timeout_ms } : {}),
        ...(b.keep_special_bits ? { keepSpecialBits: true } : {}),
        dryRun: b.dry_run ?? false,
      };
      const svc = backups(engine);
      if (b.progress) return streamed(stream, (onProgress) => svc.restore(id, req, { onProgress }), (err) => logInternalError(errorLog, 'POST /v1/backups/{id}/restore (progress)', err));
      return c.json((await svc.restore(id, req)) as unknown as Record<string, unknown>, 200);
    });
}

/** The engine's backups, or 501 NOT_AVAILABLE. */
function backups(engine: ServedEngine): BackupService {
  if (!engine.backups) throw notAvailable('backups');
  return engine.backups;
}
