/**
 * The log shapes of the control API (GET /v1/services/{name}/logs). Part of the contract.
 */
import { z } from '@hono/zod-openapi';
import type { LogLine } from '../logs';
import { queryBool, queryTime, type Fits } from './common';

// ------------------------------------------------------------------ logs

export const logLineSchema = z
  .object({ at: z.number().openapi({ description: 'Epoch ms' }), stream: z.enum(['stdout', 'stderr', 'opsdeck']), line: z.string() })
  .openapi('LogLine');

export const logsQuerySchema = z.object({
  lines: z.coerce
    .number()
    .int()
    .min(0)
    .max(100_000)
    .optional()
    .openapi({ type: 'integer', minimum: 0, maximum: 100_000, description: 'How many of the last lines (default 100); 0 with follow=true: only new lines', example: 50 }),
  since: queryTime('Only lines at or after this time'),
  follow: queryBool('Answer with a server-sent event stream: the tail as `log` events, then every new line'),
});

export const logsSchema = z.object({ service: z.string(), lines: z.array(logLineSchema) }).openapi('Logs');

const typesFit: Fits<LogLine, typeof logLineSchema> = true;
void typesFit;
