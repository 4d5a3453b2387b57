/**
 * `fetch` to the control API's TCP listener (`api.listen` in opsdeck.yaml, docs/api.md) with a
 * bearer token, for the typed client: the client's requests (made to `http://opsdeck/…`) go to
 * `baseUrl` with `Authorization: Bearer <token>`. A listener nobody answers on is
 * ENGINE_UNREACHABLE.
 */
import { OpsError } from '../errors';
import type { FetchLike } from './unix-fetch';

export function tcpFetch(baseUrl: string, token: string): FetchLike {
  const base = new URL(baseUrl);
  return async (input, init) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    const target = new URL(url.pathname + url.search, base);
    const headers = new Headers(req.headers);
    headers.set('authorization', `Bearer ${token}`);
    const body = req.body ? await req.arrayBuffer() : undefined;
    try {
      return await fetch(target, { method: req.method, headers, ...(body ? { body } : {}), ...(init?.signal ? { signal: init.signal } : {}) });
    } catch (e) {
      if ((e as Error).name === 'AbortError' || (e as Error).name === 'TimeoutError') throw e;
      const code = ((e as Error).cause as NodeJS.ErrnoException | undefined)?.code;
      throw new OpsError('ENGINE_UNREACHABLE', `no answer from ${base.origin} (${code ?? (e as Error).message})`, 'check that the engine runs with api.listen set to that address: `opsdeck api info`', { url: base.origin, cause: code ?? (e as Error).message });
    }
  };
}
