/**
 * The memory search shapes of the control API (GET /v1/memory/search). Part of the contract.
 */
import { z } from '@hono/zod-openapi';
import { API_LIMITS, queryNames, queryTime } from './common';

export const MEMORY_MAX_LIMIT = 500;

export const memoryQuerySchema = z.object({
  text: z.string().max(API_LIMITS.memoryText, { error: `must be at most ${API_LIMITS.memoryText} characters` }).optional().openapi({ description: 'What to look for: words, `prefix*`, `"a phrase"`, `a OR b`, `service:name` (see docs/memory.md). Absent: the newest entries passing the filters', example: 'crash*' }),
  service: queryNames('Only these services', 'storage', API_LIMITS.queryNames),
  kind: queryNames('Only these kinds: `log` or an event type (`state`, `restart`, `exit`, `probe`, …)', 'restart', API_LIMITS.queryNames),
  since: queryTime('Only entries at or after this time'),
  until: queryTime('Only entries at or before this time'),
  limit: z.coerce.number().int().min(1).max(MEMORY_MAX_LIMIT).optional().openapi({ type: 'integer', minimum: 1, maximum: MEMORY_MAX_LIMIT, description: `Hits returned (default 20, at most ${MEMORY_MAX_LIMIT})`, example: 20 }),
});
/** A memory search as the engine receives it: names as lists, times as epoch ms. */
export type MemoryQuery = z.output<typeof memoryQuerySchema>;

export const memoryHitSchema = z
  .object({
    id: z.number().int(),
    at: z.number().openapi({ description: 'Epoch ms' }),
    service: z.string(),
    kind: z.string(),
    text: z.string().openapi({ description: 'The entry as one line of text (secrets redacted)' }),
    snippet: z.string().openapi({ description: '`text` around the match, each matched word between « and », cut text as …' }),
    rank: z.number().openapi({ description: 'Relevance of a text query, higher is better; 0 without text' }),
    data: z.record(z.string(), z.unknown()).openapi({ description: 'The entry as recorded: `{ type, service, at, … }` (secrets redacted)' }),
  })
  .openapi('MemoryHit');
export const memoryHitsSchema = z.object({ hits: z.array(memoryHitSchema) }).openapi('MemoryHits');
export type MemoryHit = z.infer<typeof memoryHitSchema>;
export type MemoryHits = z.infer<typeof memoryHitsSchema>;
