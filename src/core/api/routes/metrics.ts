/**
 * The metrics routes of the control API: GET /v1/metrics (JSON), GET /v1/metrics/history (the
 * sampled hour) and, apart so that it can be mounted last, GET /metrics (Prometheus text).
 * Each answers 501 NOT_AVAILABLE from an engine without metrics.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { ServedEngine } from '../served-engine';
import { notAvailable } from '../http-errors';
import { metricsHistoryQuerySchema, metricsHistorySchema, metricsSchema } from '../../contract/schemas/metrics';
import { PROMETHEUS_CONTENT_TYPE } from '../../metrics/prometheus';
import { domainApp, E400, E404, E500, E501, json } from './declare';

const routes = {
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

/** GET /v1/metrics and /v1/metrics/history, answered by `engine`. */
export function metricsApi(engine: ServedEngine) {
  return domainApp()
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
    });
}

/** GET /metrics, the scrape endpoint, answered by `engine`. */
export function prometheusApi(engine: ServedEngine) {
  return domainApp().openapi(routes.prometheus, async (c) => {
    if (!engine.prometheus) throw notAvailable('Prometheus metrics');
    return c.text(await engine.prometheus(), 200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
  });
}
