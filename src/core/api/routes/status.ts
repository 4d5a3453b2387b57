/**
 * The status routes of the control API: GET /v1/status (the stack, its services and their
 * health) and GET /v1/health (the levels, optionally after the full-functionality checks).
 */
import { createRoute, z } from '@hono/zod-openapi';
import { assertKnownServices, healthOf } from '../../health/summary';
import { redactDeep } from '../../redact';
import type { ServedEngine } from '../served-engine';
import { queryNames } from '../../contract/schemas/common';
import { engineStatusSchema, stackHealthSchema } from '../../contract/schemas/status';
import { domainApp, E400, E404, E500, json } from './declare';

const routes = {
  status: createRoute({
    method: 'get',
    path: '/v1/status',
    operationId: 'getStatus',
    tags: ['status'],
    summary: 'The stack, its services and their health',
    request: {
      query: z.object({
        service: queryNames('Only these services, in the stack\'s order: the health\'s level and summary from them alone; an unknown name is a 404 SERVICE_UNKNOWN', 'storage'),
      }),
    },
    responses: { 200: json(engineStatusSchema, 'The status'), ...E400, ...E404, ...E500 },
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
    responses: { 200: json(stackHealthSchema, 'The health'), ...E400, ...E404, ...E500 },
  }),
};

/** The status routes, answered by `engine`. */
export function statusApi(engine: ServedEngine) {
  return domainApp()
    .openapi(routes.status, async (c) => {
      const { service } = c.req.valid('query');
      return c.json(redactDeep(await engine.status(service?.length ? service : undefined)), 200);
    })
    .openapi(routes.health, async (c) => {
      const { check, service } = c.req.valid('query');
      const names = service?.length ? service : undefined;
      // every service of the stack is a name to ask about, those outside the active profile too:
      // the status of the named ones alone (an engine refuses a name not in the stack itself)
      let known: string[] | undefined;
      if (names) {
        known = (await engine.status(names)).services.map((s) => s.name);
        assertKnownServices(names, known);
      }
      const health = redactDeep(check ? await engine.checkAll(names) : await engine.health());
      return c.json(names ? healthOf(health, names, known) : health, 200);
    });
}
