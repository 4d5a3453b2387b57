/**
 * The long-term store and report routes of the control API: GET /v1/metrics/rollups (minute or
 * hour rollups, marks), POST /v1/reports (generate, render, save) and GET /v1/reports (those
 * written, the schedule's next run). Each answers 501 NOT_AVAILABLE from an engine without them.
 */
import { createRoute } from '@hono/zod-openapi';
import type { ServedEngine } from '../served-engine';
import { notAvailable } from '../http-errors';
import { rollupAnswerSchema, rollupQuerySchema } from '../../contract/schemas/metrics-store';
import { reportListSchema, reportRequestSchema, reportResultSchema } from '../../contract/schemas/reports';
import { domainApp, E400, E404, E500, E501, json } from './declare';

const routes = {
  rollups: createRoute({
    method: 'get',
    path: '/v1/metrics/rollups',
    operationId: 'getMetricsRollups',
    tags: ['metrics'],
    summary: 'Long-term metrics: 1-minute (48 h) or 1-hour (90 days) rollups per service and of the stack, and the marks',
    request: { query: rollupQuerySchema },
    responses: { 200: json(rollupAnswerSchema, 'The rollups, oldest first'), ...E400, ...E404, ...E500, ...E501 },
  }),
  generate: createRoute({
    method: 'post',
    path: '/v1/reports',
    operationId: 'generateReport',
    tags: ['reports'],
    summary: 'Generate the operations report of a period (and save it into .opsdeck/reports/)',
    request: { body: { content: { 'application/json': { schema: reportRequestSchema } }, required: false } },
    responses: { 200: json(reportResultSchema, 'The report'), ...E400, ...E500, ...E501 },
  }),
  list: createRoute({
    method: 'get',
    path: '/v1/reports',
    operationId: 'listReports',
    tags: ['reports'],
    summary: 'The reports written in .opsdeck/reports/, newest first, and when the schedule writes the next',
    responses: { 200: json(reportListSchema, 'The reports'), ...E500, ...E501 },
  }),
};

export function reportsApi(engine: ServedEngine) {
  return domainApp()
    .openapi(routes.rollups, async (c) => {
      if (!engine.metricsRollups) throw notAvailable('long-term metrics');
      const { service, ...q } = c.req.valid('query');
      return c.json(await engine.metricsRollups({ ...q, ...(service ? { services: service } : {}) }), 200);
    })
    .openapi(routes.generate, async (c) => {
      if (!engine.report) throw notAvailable('reports');
      const answer = await engine.report(c.req.valid('json') ?? {});
      return c.json({ ...answer, report: answer.report as unknown as Record<string, unknown> }, 200);
    })
    .openapi(routes.list, async (c) => {
      if (!engine.listReports) throw notAvailable('reports');
      return c.json(await engine.listReports(), 200);
    });
}
