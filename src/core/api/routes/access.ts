/**
 * The API's own access routes (docs/api.md, "TCP listener and tokens"): GET /v1/api (where it
 * listens, no secrets), GET /v1/api/tokens and POST /v1/api/tokens/rotate. The tokens are
 * handed out over the owner-only unix socket only: over the TCP listener those two answer 403,
 * whatever the token. An API served without its stack folder answers 501.
 */
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { OpsError } from '../../errors';
import { notAvailable } from '../http-errors';
import { apiAccessSchema, apiTokensSchema, tokenRotateSchema, tokenRotationSchema } from '../../contract/schemas/api-access';
import type { ApiAccess, TokenScope } from '../../contract/api-access';
import { ensureTokens, readTokens, rotateTokens, tokenFile } from '../tokens';
import { listenUrl, scopeOf } from '../auth';
import { domainApp, E400, E500, E501, failure, json } from './declare';

const E403 = { 403: failure('Over the TCP listener (FORBIDDEN): the tokens are handed out over the unix socket only') };

const routes = {
  info: createRoute({
    method: 'get',
    path: '/v1/api',
    operationId: 'getApiAccess',
    tags: ['api'],
    summary: 'Where the API listens (socket, TCP listener) and where its tokens are; no secrets',
    responses: { 200: json(apiAccessSchema, 'The listeners and the token file'), ...E500, ...E501 },
  }),
  tokens: createRoute({
    method: 'get',
    path: '/v1/api/tokens',
    operationId: 'getApiTokens',
    tags: ['api'],
    summary: 'The TCP listener\'s bearer tokens, made first if there are none (unix socket only)',
    responses: { 200: json(apiTokensSchema, 'The tokens'), ...E403, ...E500, ...E501 },
  }),
  rotate: createRoute({
    method: 'post',
    path: '/v1/api/tokens/rotate',
    operationId: 'rotateApiTokens',
    tags: ['api'],
    summary: 'Replace a token (or both) with a new one: the old one stops working at once (unix socket only)',
    request: { body: { content: { 'application/json': { schema: tokenRotateSchema } }, required: false } },
    responses: { 200: json(tokenRotationSchema, 'What was (or, with dry_run, would be) replaced, and the new tokens'), ...E400, ...E403, ...E500, ...E501 },
  }),
};

export interface AccessOptions {
  stackDir?: string | undefined;
  socketPath?: string | undefined;
  listen?: string | undefined;
}

/** Refuse a request that came over the TCP listener (it has a token scope). */
function socketOnly(c: Context, what: string): void {
  if (scopeOf(c)) throw new OpsError('FORBIDDEN', `${what} is answered over the unix socket only`, 'run `opsdeck api token show` on the engine\'s machine, as its user');
}

/** The access routes of the API serving the stack in `opts.stackDir`. */
export function accessApi(opts: AccessOptions) {
  const dirOf = () => {
    if (!opts.stackDir) throw notAvailable('API tokens');
    return opts.stackDir;
  };
  return domainApp()
    .openapi(routes.info, (c) => {
      const dir = dirOf();
      const access: ApiAccess = {
        socket: opts.socketPath ?? '',
        listen: opts.listen ?? null,
        url: opts.listen ? listenUrl(opts.listen) : null,
        tokenFile: tokenFile(dir),
        rotatedAt: readTokens(dir)?.rotatedAt ?? null,
      };
      return c.json(access, 200);
    })
    .openapi(routes.tokens, (c) => {
      socketOnly(c, 'GET /v1/api/tokens');
      return c.json(ensureTokens(dirOf()), 200);
    })
    .openapi(routes.rotate, (c) => {
      socketOnly(c, 'POST /v1/api/tokens/rotate');
      const body = c.req.valid('json') ?? {};
      const rotated: TokenScope[] = !body.scope || body.scope === 'all' ? ['full', 'read'] : [body.scope];
      if (body.dry_run) return c.json({ dryRun: true, rotated }, 200);
      return c.json({ dryRun: false, rotated, tokens: rotateTokens(dirOf(), rotated) }, 200);
    });
}
