/**
 * The doctor routes of the control API (docs/doctor.md): GET /v1/doctor, every check of the stack
 * (environment, config lint, connections, logs), and POST /v1/doctor/profile, a service's
 * processes sampled and, for a Node service, a V8 CPU profile written on the engine's machine.
 * 501 NOT_AVAILABLE from an engine without the doctor.
 */
import { createRoute } from '@hono/zod-openapi';
import { doctorQuerySchema, doctorReportSchema, profileReportSchema, profileRequestSchema } from '../../contract/schemas/doctor';
import { notAvailable } from '../http-errors';
import type { ServedEngine } from '../served-engine';
import { domainApp, E400, E404, E500, E501, json } from './declare';

const routes = {
  doctor: createRoute({
    method: 'get',
    path: '/v1/doctor',
    operationId: 'runDoctor',
    tags: ['doctor'],
    summary: 'Every check of the stack: environment, config lint, connections, logs; each ok / warn / fail with its fix',
    request: { query: doctorQuerySchema },
    responses: { 200: json(doctorReportSchema, 'The report'), ...E400, ...E404, ...E500, ...E501 },
  }),
  profile: createRoute({
    method: 'post',
    path: '/v1/doctor/profile',
    operationId: 'profileService',
    tags: ['doctor'],
    summary: 'Sample a running service\'s processes for a while (and take a V8 CPU profile of a Node service); answers when done',
    request: { body: { content: { 'application/json': { schema: profileRequestSchema } }, required: true } },
    responses: { 200: json(profileReportSchema, 'What was measured'), ...E400, ...E404, ...E500, ...E501 },
  }),
};

/** The doctor routes, answered by `engine`. */
export function doctorApi(engine: ServedEngine) {
  return domainApp()
    .openapi(routes.doctor, async (c) => {
      if (!engine.doctor) throw notAvailable('the doctor');
      const { service } = c.req.valid('query');
      return c.json(await engine.doctor(service?.length ? { services: service } : {}), 200);
    })
    .openapi(routes.profile, async (c) => {
      if (!engine.profileService) throw notAvailable('profiling');
      const { service, duration, cpuProfile } = c.req.valid('json');
      return c.json(await engine.profileService(service, { ...(duration !== undefined ? { durationMs: duration } : {}), ...(cpuProfile !== undefined ? { cpuProfile } : {}) }), 200);
    });
}
