/**
 * The release routes of the control API (docs/releases.md): GET /v1/releases (releases and the
 * ledger), POST /v1/releases/deploy, /update and /rollback (each with dry_run). The engine runs
 * the operation on itself: it is the running engine the release stops, migrates and starts.
 */
import { createRoute } from '@hono/zod-openapi';
import type { EngineLike } from '../../contract/engine';
import { deployRequestSchema, releaseListSchema, releaseRunSchema, rollbackRequestSchema, updateRequestSchema } from '../../contract/schemas/releases';
import { ReleaseManager } from '../../releases/manager';
import { notAvailable } from '../http-errors';
import type { ServedEngine } from '../served-engine';
import { domainApp, E400, E404, E500, E501, failure, json } from './declare';

const E409 = { 409: failure('A version check failed (RELEASE_CHECK_FAILED): nothing was changed') };

const body = <S extends typeof deployRequestSchema | typeof updateRequestSchema | typeof rollbackRequestSchema>(schema: S) => ({ body: { content: { 'application/json': { schema } }, required: false } });

const routes = {
  list: createRoute({
    method: 'get',
    path: '/v1/releases',
    operationId: 'listReleases',
    tags: ['releases'],
    summary: 'The releases (installed, offered by the source), the current one, the schema versions and the ledger',
    responses: { 200: json(releaseListSchema, 'The releases and the ledger'), ...E500, ...E501 },
  }),
  deploy: createRoute({
    method: 'post',
    path: '/v1/releases/deploy',
    operationId: 'deployRelease',
    tags: ['releases'],
    summary: 'Deploy a release (on a stack that runs one: an update to it)',
    request: body(deployRequestSchema),
    responses: { 200: json(releaseRunSchema, 'What was done (or, with dry_run, the plan); ok false when it failed and was rolled back'), ...E400, ...E404, ...E409, ...E500, ...E501 },
  }),
  update: createRoute({
    method: 'post',
    path: '/v1/releases/update',
    operationId: 'updateRelease',
    tags: ['releases'],
    summary: 'Update to a release: version checks, snapshot, install, migrate, switch, health gate; automatic rollback on failure',
    request: body(updateRequestSchema),
    responses: { 200: json(releaseRunSchema, 'What was done (or, with dry_run, the plan); ok false when it failed and was rolled back'), ...E400, ...E404, ...E409, ...E500, ...E501 },
  }),
  rollback: createRoute({
    method: 'post',
    path: '/v1/releases/rollback',
    operationId: 'rollbackRelease',
    tags: ['releases'],
    summary: 'Roll back to the previous (or a named) installed release, the data following `data`',
    request: body(rollbackRequestSchema),
    responses: { 200: json(releaseRunSchema, 'What was done (or, with dry_run, the plan)'), ...E400, ...E404, ...E409, ...E500, ...E501 },
  }),
};

/** The engine as the release manager needs it: with backups and reload. */
function managerOf(engine: ServedEngine, stackDir: string | undefined): ReleaseManager {
  if (!stackDir || !engine.backups || !engine.reload) throw notAvailable('releases');
  const full = engine as EngineLike;
  return new ReleaseManager({
    stackDir,
    running: async () => full,
    start: async (services) => {
      await full.up(services);
      return full;
    },
  });
}

export function releasesApi(engine: ServedEngine, stackDir: string | undefined) {
  return domainApp()
    .openapi(routes.list, async (c) => c.json(await managerOf(engine, stackDir).list(), 200))
    .openapi(routes.deploy, async (c) => {
      const b = c.req.valid('json') ?? {};
      return c.json(await managerOf(engine, stackDir).deploy({ ...(b.version ? { version: b.version } : {}), ...(b.from ? { from: b.from } : {}), dryRun: !!b.dry_run }), 200);
    })
    .openapi(routes.update, async (c) => {
      const b = c.req.valid('json') ?? {};
      return c.json(await managerOf(engine, stackDir).update({ ...(b.to ? { to: b.to } : {}), allowDowngrade: !!b.allow_downgrade, dryRun: !!b.dry_run }), 200);
    })
    .openapi(routes.rollback, async (c) => {
      const b = c.req.valid('json') ?? {};
      return c.json(await managerOf(engine, stackDir).rollback({ ...(b.to ? { to: b.to } : {}), ...(b.data ? { data: b.data } : {}), dryRun: !!b.dry_run }), 200);
    });
}
