/**
 * `fetch` over a unix socket (node:http with `socketPath`), for the typed client. The response
 * body streams (server-sent events arrive as they are sent); aborting the request's signal
 * closes the connection. A socket nobody listens on is ENGINE_UNREACHABLE.
 */
import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { OpsError } from '../errors';

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export function unixFetch(socketPath: string): FetchLike {
  return async (input, init) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    const body = req.body ? Buffer.from(await req.arrayBuffer()) : undefined;
    const headers: Record<string, string> = {};
    req.headers.forEach((value, key) => (headers[key] = value));
    if (body) headers['content-length'] = String(body.length);
    const signal = init?.signal ?? undefined;
    signal?.throwIfAborted();
    return new Promise<Response>((resolve, reject) => {
      const outgoing = httpRequest(
        // agent: false: one connection per request, closed after it, so nothing keeps a CLI alive.
        { socketPath, path: url.pathname + url.search, method: req.method, headers, agent: false, ...(signal ? { signal } : {}) },
        (res) => {
          const status = res.statusCode ?? 500;
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (Array.isArray(v)) v.forEach((x) => h.append(k, x));
            else if (v !== undefined) h.set(k, v);
          }
          const empty = status === 204 || status === 304 || req.method === 'HEAD';
          if (empty) res.resume();
          resolve(
            new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
              status,
              ...(res.statusMessage ? { statusText: res.statusMessage } : {}),
              headers: h,
            }),
          );
        },
      );
      outgoing.on('error', (e) => reject(unreachable(e, socketPath)));
      outgoing.end(body);
    });
  };
}

/** A connection error as the OpsError a user can act on (an abort stays an AbortError). */
export function unreachable(e: Error, socketPath: string): Error {
  const code = (e as NodeJS.ErrnoException).code;
  if (e.name === 'AbortError') return e;
  if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ENOTSOCK') {
    return new OpsError('ENGINE_UNREACHABLE', 'no engine is running for this stack', 'start one with `opsdeck up`', { socketPath, cause: code });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new OpsError('ENGINE_UNREACHABLE', `permission denied on ${socketPath}`, 'the engine belongs to another user: run the command as that user', { socketPath, cause: code });
  }
  return new OpsError('ENGINE_UNREACHABLE', `lost the connection to the engine (${code ?? e.message})`, 'check that the engine is still running: `opsdeck status`', { socketPath, cause: code ?? e.message });
}
