/**
 * The shapes of the API's own access routes (GET /v1/api, GET /v1/api/tokens, POST
 * /v1/api/tokens/rotate). Responses mirror src/core/contract/api-access.ts (checked at compile
 * time at the end). Part of the contract.
 */
import { z } from '@hono/zod-openapi';
import type { ApiAccess, ApiTokens, TokenRotation } from '../api-access';
import type { Fits } from './common';

const scope = z.enum(['full', 'read']).openapi('TokenScope');

export const apiAccessSchema = z
  .object({
    socket: z.string().openapi({ description: 'The unix socket (mode 0600; no token)' }),
    listen: z.string().nullable().openapi({ description: '`api.listen` as the engine started with it; null: no TCP listener' }),
    url: z.string().nullable().openapi({ description: 'The TCP listener\'s base URL, or null' }),
    tokenFile: z.string().openapi({ description: 'The token file (mode 0600)' }),
    rotatedAt: z.number().nullable().openapi({ description: 'When the tokens were made or last rotated (epoch ms); null: none yet' }),
  })
  .openapi('ApiAccess');

export const apiTokensSchema = z
  .object({
    full: z.string().openapi({ description: 'Bearer token for every route' }),
    read: z.string().openapi({ description: 'Bearer token for GET and HEAD only (e.g. a Prometheus scrape of /metrics)' }),
    rotatedAt: z.number(),
  })
  .openapi('ApiTokens');

export const tokenRotateSchema = z.object({
  scope: z.enum(['full', 'read', 'all']).optional().openapi({ description: 'Which token to replace (default: all)' }),
  dry_run: z.boolean().optional().openapi({ description: 'Say what would be replaced; change nothing' }),
});

export const tokenRotationSchema = z
  .object({
    dryRun: z.boolean(),
    rotated: z.array(scope),
    tokens: apiTokensSchema.optional().openapi({ description: 'The new tokens (absent on a dry run)' }),
  })
  .openapi('TokenRotation');

const typesFit: [Fits<ApiAccess, typeof apiAccessSchema>, Fits<ApiTokens, typeof apiTokensSchema>, Fits<TokenRotation, typeof tokenRotationSchema>] = [true, true, true];
void typesFit;
