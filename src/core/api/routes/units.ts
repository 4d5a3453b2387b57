/**
 * The start-at-boot routes of the control API (docs/boot.md): GET /v1/units/status, GET
 * /v1/units/generate and POST /v1/units/install, for the stack the engine owns, from its
 * opsdeck.yaml as it is now. The units run the Node and Opsdeck of the engine's process. An
 * engine served without its stack folder answers 501.
 */
import { createRoute } from '@hono/zod-openapi';
import { OPSDECK_VERSION } from '../../version';
import { notAvailable } from '../http-errors';
import { unitSetSchema, unitsChangeSchema, unitsInstallSchema, unitsQuerySchema, unitsStatusSchema } from '../../contract/schemas/units';
import { domainApp, E400, E500, E501, json, failure } from './declare';

const routes = {
  status: createRoute({
    method: 'get',
    path: '/v1/units/status',
    operationId: 'getUnitsStatus',
    tags: ['units'],
    summary: 'Are the stack\'s boot units installed, enabled, loaded, running, drifted from opsdeck.yaml?',
    request: { query: unitsQuerySchema },
    responses: { 200: json(unitsStatusSchema, 'The status of each file'), ...E400, ...E500, ...E501 },
  }),
  generate: createRoute({
    method: 'get',
    path: '/v1/units/generate',
    operationId: 'generateUnits',
    tags: ['units'],
    summary: 'The unit files opsdeck.yaml makes for an init system (nothing is written)',
    request: { query: unitsQuerySchema },
    responses: { 200: json(unitSetSchema, 'The files and what installing them enables'), ...E400, ...E500, ...E501 },
  }),
  install: createRoute({
    method: 'post',
    path: '/v1/units/install',
    operationId: 'installUnits',
    tags: ['units'],
    summary: 'Write the units, reload the init system and enable them (never over a file Opsdeck did not write)',
    request: { body: { content: { 'application/json': { schema: unitsInstallSchema } }, required: false } },
    responses: { 200: json(unitsChangeSchema, 'What was (or, with dry_run, would be) written, removed and run'), ...E400, 409: failure('A unit file of that name was not written by Opsdeck (UNITS_FOREIGN_FILE), or `opsdeck up` runs the stack in the foreground'), ...E500, ...E501 },
  }),
};

/** What a request asks of `boot` (src/core/boot, loaded on the first request). */
async function request(stackDir: string | undefined, q: { target?: 'systemd' | 'launchd' | 'cron'; mode?: 'engine' | 'native'; scope?: 'user' | 'system' }) {
  if (!stackDir) throw notAvailable('boot units');
  const [boot, { loadConfig }, { withRememberedProfile }] = await Promise.all([import('../../boot'), import('../../config/load'), import('../../profiles')]);
  const stack = withRememberedProfile(await loadConfig(stackDir));
  const req = { launcher: boot.launcherOf(), version: OPSDECK_VERSION, ...q };
  return { boot, stack, req };
}

/** The units routes, for the stack in `stackDir`. */
export function unitsApi(stackDir: string | undefined) {
  return domainApp()
    .openapi(routes.status, async (c) => {
      const { boot, stack, req } = await request(stackDir, c.req.valid('query'));
      return c.json(await boot.unitsStatus(stack, req), 200);
    })
    .openapi(routes.generate, async (c) => {
      const { boot, stack, req } = await request(stackDir, c.req.valid('query'));
      return c.json(await boot.generateUnits(stack, req), 200);
    })
    .openapi(routes.install, async (c) => {
      const { dry_run: dryRun, ...q } = c.req.valid('json') ?? {};
      const { boot, stack, req } = await request(stackDir, q);
      return c.json(await boot.installUnits(stack, req, { dryRun: !!dryRun }), 200);
    });
}
