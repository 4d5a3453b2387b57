/**
 * The control API v1 app: the domains' routes (status, stack, logs and events, metrics, memory,
 * backups, maintenance, each in its own file, declared once with its zod schemas which validate the request,
 * generate /openapi.json and type the client) mounted on one app served by an engine, behind a
 * request body limit. Errors answer `{ error: { code, message, hint?, issues? } }` with a status
 * from the code; bad input is a 400, never a 500.
 */
import { OpsError } from '../../errors';
import type { ServedEngine } from '../served-engine';
import { errorBody, issuesOf, NOT_FOUND } from '../http-errors';
import { accessApi } from './access';
import { alertsApi } from './alerts';
import { backupsApi } from './backups';
import { domainApp } from './declare';
import { doctorApi } from './doctor';
import { exportApi } from './export';
import { asApiError, logInternalError } from './errors';
import { limitedBody } from './guards';
import { logsApi } from './logs';
import { maintenanceApi } from './maintenance';
import { memoryApi } from './memory';
import { metricsApi, prometheusApi } from './metrics';
import { reportsApi } from './reports';
import { releasesApi } from './releases';
import { stackApi } from './stack';
import { statusApi } from './status';
import { unitsApi } from './units';

export { PROMETHEUS_CONTENT_TYPE } from '../../metrics/prometheus';

export interface ApiOptions {
  /** SSE heartbeat period (default 15 s). */
  heartbeatMs?: number;
  /** Aborting it ends every open event stream cleanly (the server shutting down). */
  signal?: AbortSignal;
  /**
   * The engine log (`.opsdeck/logs/engine.log`): every 500 is appended to it with its stack.
   * Without it, they go to stderr (which is the engine log of a daemon).
   */
  errorLog?: string;
  /** The stack folder, for the boot units routes (/v1/units/…) and the tokens (/v1/api/…); without it they answer 501. */
  stackDir?: string;
  /** The unix socket and the TCP listener (`api.listen`) it is served on, for GET /v1/api. */
  socketPath?: string;
  listen?: string;
}

/** The largest request body the API reads: requests are small JSON objects. */
export const MAX_BODY_BYTES = 1024 * 1024;

export const API_TITLE = 'Opsdeck control API';
export const API_VERSION = '1';

/** The API app for an engine. `fetch` it, serve it (server.ts) or type a client with it. */
export function createApi(engine: ServedEngine, opts: ApiOptions = {}) {
  const stream = { heartbeatMs: opts.heartbeatMs ?? 15_000, ...(opts.signal ? { signal: opts.signal } : {}) };
  const app = domainApp();
  declareBearer(app);

  // The domains' apps have no error handler of their own: what their handlers throw ends here.
  app.notFound((c) =>
    c.json(errorBody(new OpsError(NOT_FOUND, `no route ${c.req.method} ${c.req.path}`, 'the routes are listed in GET /openapi.json')), 404),
  );
  app.onError((err, c) => {
    const [status, e] = asApiError(err);
    if (status === 500) logInternalError(opts.errorLog, `${c.req.method} ${c.req.path}`, err);
    return c.json(errorBody(e, issuesOf(e)), status);
  });
  // Checked before anything reads the body: its content-length, or its bytes as they arrive.
  app.use('*', async (c, next) => {
    const body = await limitedBody(c.req.raw, MAX_BODY_BYTES);
    if (body === 'too large') {
      return c.json(
        errorBody(new OpsError('BAD_REQUEST', `the request body is larger than 1 MiB (${MAX_BODY_BYTES} bytes), the most this API reads`, 'send a smaller request: names are at most 63 characters, lists at most 10000 items')),
        413,
      );
    }
    if (body) c.req.raw = new Request(c.req.raw.url, { method: c.req.raw.method, headers: [...c.req.raw.headers], body });
    return next();
  });

  // Mounted in the order of /openapi.json's paths; `route` also merges each domain's OpenAPI registry.
  return app
    .route('/', statusApi(engine))
    .route('/', stackApi(engine))
    .route('/', logsApi(engine, stream))
    .route('/', metricsApi(engine))
    .route('/', reportsApi(engine))
    .route('/', memoryApi(engine))
    .route('/', backupsApi(engine, stream, opts.errorLog))
    .route('/', maintenanceApi(engine, stream, opts.errorLog))
    .route('/', doctorApi(engine))
    .route('/', alertsApi(engine))
    .route('/', prometheusApi(engine))
    .route('/', unitsApi(opts.stackDir))
    .route('/', exportApi(opts.stackDir))
    .route('/', accessApi(opts))
    .route('/', releasesApi(engine, opts.stackDir))
    .doc31('/openapi.json', OPENAPI_OBJECT);
}

/** The bearer scheme of the TCP listener, in the OpenAPI document's components. */
function declareBearer(app: ReturnType<typeof domainApp>): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'Over the TCP listener only: the full token, or the read-only token for GET and HEAD (`opsdeck api token show`)',
  });
}

export type ApiApp = ReturnType<typeof createApi>;

export const OPENAPI_OBJECT = {
  openapi: '3.1.0',
  info: {
    title: API_TITLE,
    version: API_VERSION,
    description:
      'HTTP over the unix socket `.opsdeck/run/engine.sock` (mode 0600) of the engine that owns a stack, and, when opsdeck.yaml sets `api.listen`, over TCP with a bearer token (`Authorization: Bearer <token>`; the read-only token may only GET). Errors answer `{ "error": { "code", "message", "hint"?, "issues"? } }`. See docs/api.md.',
  },
  servers: [
    { url: 'http://opsdeck', description: 'Any host name: the connection is made to the stack\'s unix socket' },
    { url: 'http://127.0.0.1:{port}', description: 'The TCP listener of `api.listen` (bearer token)', variables: { port: { default: '9180' } } },
  ],
  // No token over the unix socket; a bearer token over the TCP listener.
  security: [{}, { bearer: [] }] as Array<Record<string, string[]>>,
  tags: ['status', 'stack', 'services', 'profiles', 'logs', 'events', 'memory', 'metrics', 'reports', 'backups', 'maintenance', 'doctor', 'units', 'export', 'alerts', 'releases', 'api'].map((name) => ({ name })),
};

/** The OpenAPI 3.1 document of the API, as served at /openapi.json. */
export function openApiDocument(app: ApiApp) {
  return app.getOpenAPI31Document(OPENAPI_OBJECT);
}
