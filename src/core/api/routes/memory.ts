/**
 * The memory route of the control API: GET /v1/memory/search, the stack's events and captured
 * log lines that match a query, best first (501 NOT_AVAILABLE from an engine without memory).
 */
import { createRoute } from '@hono/zod-openapi';
import type { ServedEngine } from '../served-engine';
import { notAvailable } from '../http-errors';
import { memoryHitsSchema, memoryQuerySchema } from '../../contract/schemas/memory';
import { domainApp, E400, E500, E501, json } from './declare';

const searchMemory = createRoute({
  method: 'get',
  path: '/v1/memory/search',
  operationId: 'searchMemory',
  tags: ['memory'],
  summary: 'Search the stack\'s memory: its events and captured log lines',
  request: { query: memoryQuerySchema },
  responses: { 200: json(memoryHitsSchema, 'The hits, best first'), ...E400, ...E500, ...E501 },
});

/** The memory search route, answered by `engine`. */
export function memoryApi(engine: ServedEngine) {
  return domainApp().openapi(searchMemory, async (c) => {
    if (!engine.searchMemory) throw notAvailable('memory search');
    return c.json(await engine.searchMemory(c.req.valid('query')), 200);
  });
}
