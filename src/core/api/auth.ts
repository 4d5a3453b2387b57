/**
 * The bearer-token check of the control API's TCP listener (docs/api.md, "TCP listener and
 * tokens"). Every request over TCP needs `Authorization: Bearer <token>`: none or a wrong one
 * answers 401 with `WWW-Authenticate`; the read-only token may GET and HEAD, anything else
 * answers 403 before the route runs. The scope a request came with rides in the app's env
 * (`c.env.opsdeckScope`); requests over the unix socket have none (the socket is owner-only).
 */
import type { Context } from 'hono';
import { OpsError } from '../errors';
import type { TokenScope } from '../contract/api-access';
import { errorBody } from './http-errors';
import type { TokenChecker } from './tokens';

/** What a request over TCP carries in the app's env. */
export interface TokenEnv {
  opsdeckScope?: TokenScope;
}

/** The scope of the token a request came with; undefined over the unix socket. */
export const scopeOf = (c: Context): TokenScope | undefined => (c.env as TokenEnv | undefined)?.opsdeckScope;

/** `http://HOST:PORT` for `api.listen` (an IPv6 address in brackets, as written). */
export const listenUrl = (listen: string) => `http://${listen.trim()}`;

const REALM = 'Bearer realm="opsdeck"';

type Fetch = (req: Request, env?: object) => Response | Promise<Response>;

/** The fetch of the TCP listener: the token checked, then `app` with the token's scope in its env. */
export function withTokens(fetch: Fetch, checker: TokenChecker): Fetch {
  return (req, env) => {
    const header = req.headers.get('authorization');
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) {
      return refuse(401, REALM, new OpsError('UNAUTHORIZED', 'this listener needs a bearer token', 'send `Authorization: Bearer <token>`; `opsdeck api token show` prints the tokens'));
    }
    let scope: TokenScope | undefined;
    try {
      scope = checker.scopeOf(m[1]!);
    } catch (e) {
      // The token file damaged or unreadable: no request gets in until it is made again.
      const err = e instanceof OpsError ? e : new OpsError('INTERNAL', `cannot read the API tokens: ${(e as Error).message}`, 'make new tokens with `opsdeck api token rotate`');
      return new Response(JSON.stringify(errorBody(err)), { status: 500, headers: { 'content-type': 'application/json' } });
    }
    if (!scope) {
      return refuse(401, `${REALM}, error="invalid_token"`, new OpsError('UNAUTHORIZED', 'the bearer token is not one of this stack\'s tokens', 'it may have been rotated: `opsdeck api token show` prints the current ones'));
    }
    if (scope === 'read' && req.method !== 'GET' && req.method !== 'HEAD') {
      return refuse(
        403,
        `${REALM}, error="insufficient_scope", scope="full"`,
        new OpsError('FORBIDDEN', `the read-only token cannot ${req.method} ${new URL(req.url).pathname}`, 'use the full token (`opsdeck api token show --scope full`) for requests that change something'),
      );
    }
    return fetch(req, { ...env, opsdeckScope: scope } satisfies TokenEnv);
  };
}

function refuse(status: 401 | 403, challenge: string, e: OpsError): Response {
  return new Response(JSON.stringify(errorBody(e)), { status, headers: { 'content-type': 'application/json', 'www-authenticate': challenge } });
}
