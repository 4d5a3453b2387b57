/**
 * The alert routes of the control API (src/core/alerts, docs/alerts.md): the alerts, incidents
 * and silences now; acknowledge an incident; make and remove silences; the incident history.
 * Each answers 501 NOT_AVAILABLE from an engine without alerts.
 */
import { createRoute } from '@hono/zod-openapi';
import type { ServedEngine } from '../served-engine';
import { notAvailable } from '../http-errors';
import type { AlertService } from '../../contract/alerts';
import {
  ackParamsSchema,
  ackRequestSchema,
  ackResultSchema,
  alertsViewSchema,
  historyQuerySchema,
  historySchema,
  silenceParamsSchema,
  silenceRequestSchema,
  silenceResultSchema,
  unsilenceResultSchema,
} from '../../contract/schemas/alerts';
import { queryBool } from '../../contract/schemas/common';
import { z } from '@hono/zod-openapi';
import { domainApp, E400, E404, E500, E501, json } from './declare';

const body = <S extends z.ZodType>(schema: S) => ({ body: { required: false, content: { 'application/json': { schema } } } });

const routes = {
  list: createRoute({
    method: 'get',
    path: '/v1/alerts',
    operationId: 'listAlerts',
    tags: ['alerts'],
    summary: 'The alerts (pending and firing, with what inhibits or silences them), the open incidents and the silences in force',
    responses: { 200: json(alertsViewSchema, 'The alerts'), ...E500, ...E501 },
  }),
  ack: createRoute({
    method: 'post',
    path: '/v1/alerts/{id}/ack',
    operationId: 'ackAlert',
    tags: ['alerts'],
    summary: 'Acknowledge an incident (by its id or one of its alerts\' ids): it escalates and repeats no more',
    request: { params: ackParamsSchema, ...body(ackRequestSchema) },
    responses: { 200: json(ackResultSchema, 'The incident, acknowledged (or as it would be, with dry_run)'), ...E400, ...E404, ...E500, ...E501 },
  }),
  silence: createRoute({
    method: 'post',
    path: '/v1/silences',
    operationId: 'createSilence',
    tags: ['alerts'],
    summary: 'Silence the alerts that match every matcher, until an end time, with a comment',
    request: { body: { required: true, content: { 'application/json': { schema: silenceRequestSchema } } } },
    responses: { 200: json(silenceResultSchema, 'The silence and the alerts it matches now'), ...E400, ...E500, ...E501 },
  }),
  unsilence: createRoute({
    method: 'delete',
    path: '/v1/silences/{id}',
    operationId: 'deleteSilence',
    tags: ['alerts'],
    summary: 'End a silence now',
    request: { params: silenceParamsSchema, query: z.object({ dry_run: queryBool('Only say what would be removed') }) },
    responses: { 200: json(unsilenceResultSchema, 'The silence removed'), ...E400, ...E404, ...E500, ...E501 },
  }),
  history: createRoute({
    method: 'get',
    path: '/v1/alerts/history',
    operationId: 'alertHistory',
    tags: ['alerts'],
    summary: 'Incidents from the persisted history (start, end, duration, acknowledgement), newest first',
    request: { query: historyQuerySchema },
    responses: { 200: json(historySchema, 'The incidents'), ...E400, ...E500, ...E501 },
  }),
};

export function alertsApi(engine: ServedEngine) {
  const alerts = (): AlertService => {
    if (!engine.alerts) throw notAvailable('alerts');
    return engine.alerts;
  };
  return domainApp()
    .openapi(routes.list, async (c) => c.json(await alerts().list(), 200))
    .openapi(routes.history, async (c) => {
      const { since } = c.req.valid('query');
      return c.json(await alerts().history(since === undefined ? {} : { since }), 200);
    })
    .openapi(routes.ack, async (c) => {
      const { id } = c.req.valid('param');
      const b = c.req.valid('json') ?? {};
      return c.json(await alerts().ack(id, { ...(b.comment ? { comment: b.comment } : {}), ...(b.by ? { by: b.by } : {}), dryRun: !!b.dry_run }), 200);
    })
    .openapi(routes.silence, async (c) => {
      const b = c.req.valid('json');
      return c.json(
        await alerts().silence({
          matchers: b.matchers,
          ...(b.duration_ms !== undefined ? { durationMs: b.duration_ms } : {}),
          ...(b.ends_at !== undefined ? { endsAt: b.ends_at } : {}),
          comment: b.comment,
          ...(b.by ? { by: b.by } : {}),
          dryRun: !!b.dry_run,
        }),
        200,
      );
    })
    .openapi(routes.unsilence, async (c) => {
      const { id } = c.req.valid('param');
      return c.json(await alerts().unsilence(id, { dryRun: !!c.req.valid('query').dry_run }), 200);
    });
}
