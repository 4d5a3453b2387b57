/**
 * The stack routes of the control API: bring the stack up or down, start, stop or restart one
 * service, list the profiles and switch to one, reload opsdeck.yaml. Each answers the plan it carried out (or, with
 * dry_run, would carry out).
 */
import { createRoute } from '@hono/zod-openapi';
import type { ServedEngine } from '../served-engine';
import { dryRunQuerySchema, planResultSchema, profilesSchema, reloadSchema, serviceParamsSchema, stackCommandSchema, useProfileSchema } from '../../contract/schemas/status';
import { notAvailable } from '../http-errors';
import { domainApp, E400, E404, E500, E501, json } from './declare';
import { unique } from './guards';

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
  reload: createRoute({
    method: 'post',
    path: '/v1/stack/reload',
    operationId: 'stackReload',
    tags: ['stack'],
    summary: 'Read opsdeck.yaml again and reconcile: stop what it removed, restart what changed (the reason names what), start what it added while the stack runs',
    description: 'A file with errors answers 400 CONFIG_INVALID (the message lists every problem at its line:column) and changes nothing.',
    request: { body: { required: false, content: { 'application/json': { schema: reloadSchema } } } },
    responses: { 200: json(planResultSchema, 'What was done (or, with dry_run, would be)'), ...E400, ...E500, ...E501 },
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
};

/** The stack, service and profile routes, answered by `engine`. */
export function stackApi(engine: ServedEngine) {
  return domainApp()
    .openapi(routes.up, async (c) => {
      const body = c.req.valid('json');
      return c.json(await engine.up(unique(body.services), { dryRun: body.dry_run ?? false }), 200);
    })
    .openapi(routes.down, async (c) => {
      const body = c.req.valid('json');
      return c.json(await engine.down(unique(body.services), { dryRun: body.dry_run ?? false }), 200);
    })
    .openapi(routes.reload, async (c) => {
      if (!engine.reload) throw notAvailable('reloading opsdeck.yaml');
      return c.json(await engine.reload({ dryRun: c.req.valid('json').dry_run ?? false }), 200);
    })
    .openapi(routes.start, async (c) => c.json(await engine.up([c.req.valid('param').name], { dryRun: c.req.valid('query').dry_run ?? false }), 200))
    .openapi(routes.stop, async (c) => c.json(await engine.down([c.req.valid('param').name], { dryRun: c.req.valid('query').dry_run ?? false }), 200))
    .openapi(routes.restart, async (c) => c.json(await engine.restart(c.req.valid('param').name, { dryRun: c.req.valid('query').dry_run ?? false }), 200))
    .openapi(routes.profiles, async (c) => c.json(await engine.profiles(), 200))
    .openapi(routes.useProfile, async (c) => {
      const body = c.req.valid('json');
      return c.json(await engine.useProfile(body.name, { dryRun: body.dry_run ?? false }), 200);
    });
}
