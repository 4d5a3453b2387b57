/**
 * The log and event routes of the control API: GET /v1/services/{name}/logs (the tail of a
 * service's log, or with follow=true a stream of its new lines) and GET /v1/events (every engine
 * event as a server-sent event). Documents the EngineEvent and LogLine they send.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { ServedEngine } from '../served-engine';
import { engineEventSchema, eventsQuerySchema } from '../../contract/schemas/events';
import { logLineSchema, logsQuerySchema, logsSchema } from '../../contract/schemas/logs';
import { serviceParamsSchema } from '../../contract/schemas/status';
import { sseResponse, type SseOptions } from '../sse';
import { domainApp, E400, E404, E500, sse } from './declare';

const routes = {
  logs: createRoute({
    method: 'get',
    path: '/v1/services/{name}/logs',
    operationId: 'getLogs',
    tags: ['logs'],
    summary: 'The last lines of a service\'s log; with follow=true, a stream of `log` events (LogLine) that goes on with new lines',
    request: { params: serviceParamsSchema, query: logsQuerySchema },
    responses: {
      200: {
        description: 'The lines (JSON), or with follow=true a server-sent event stream: `event: log` with a LogLine as `data:`',
        content: {
          'application/json': { schema: logsSchema },
          'text/event-stream': { schema: z.string().openapi({ description: '`event: log` / `data: <LogLine JSON>` messages; heartbeats as `: heartbeat` comments' }) },
        },
      },
      ...E400,
      ...E404,
      ...E500,
    },
  }),
  events: createRoute({
    method: 'get',
    path: '/v1/events',
    operationId: 'streamEvents',
    tags: ['events'],
    summary: 'Server-sent events: every engine event as `event: <type>` with an EngineEvent as `data:`',
    request: { query: eventsQuerySchema },
    responses: { 200: sse('`event: <type>` / `data: <EngineEvent JSON>` messages; heartbeats as `: heartbeat` comments every 15 s'), ...E400, ...E500 },
  }),
};

/** The log and event routes, answered by `engine`; their streams beat and end as `stream` says. */
export function logsApi(engine: ServedEngine, stream: SseOptions) {
  const app = domainApp();
  app.openAPIRegistry.register('EngineEvent', engineEventSchema);
  app.openAPIRegistry.register('LogLine', logLineSchema);
  return app
    .openapi(routes.logs, async (c) => {
      const { name } = c.req.valid('param');
      const { lines, since, follow } = c.req.valid('query');
      // Read the tail and subscribe with only microtasks in between (no I/O callback, so no log
      // line, can run there): no line is lost or sent twice. (lines=0 still asks the engine,
      // which knows whether the service exists.)
      const read = await engine.logs(name, { ...(lines !== undefined ? { lines: Math.max(lines, 1) } : {}), ...(since !== undefined ? { since } : {}) });
      const tail = lines === 0 ? [] : read;
      if (!follow) return c.json({ service: name, lines: tail }, 200);
      return sseResponse((out) => {
        for (const l of tail) out.send('log', l);
        const sub = engine.bus.on('log', (e) => {
          if (e.service === name) out.send('log', { at: e.at, stream: e.stream, line: e.line });
        });
        return () => sub.dispose();
      }, stream);
    })
    .openapi(routes.events, (c) => {
      const { types } = c.req.valid('query');
      return sseResponse((out) => {
        const sub = engine.bus.onAny((e) => {
          if (!types || types.includes(e.type)) out.send(e.type, e);
        });
        return () => sub.dispose();
      }, stream);
    });
}
