/**
 * The http probe's client for probes asked again soon (a service's start-up retries, every
 * 25 ms, or an interval under 2 s: ProbeSchedule.keepConnection): node:http / node:https on
 * keep-alive agents, so the next probe goes out on the connection of the previous one while the
 * service keeps it open. Probes whose next one is seconds away use http-once.ts instead.
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { urlToHttpOptions } from 'node:url';
import { timerDelay } from '../clock';
import type { ProbeConfig } from '../config/schema';
import type { HttpAttempt } from './http-attempt';

/**
 * Idle connections are kept for as long as the service announces (`Keep-Alive: timeout=N`, less
 * a second, as Node's agent does) and at most IDLE_SOCKET_MS; a service that says nothing and
 * closes sooner is handled by asking once more on a new connection (see keptAttempt).
 */
const IDLE_SOCKET_MS = 30_000;
const httpAgent = new HttpAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS });
/** Made on the first https probe (the daemon loads node:https only then: src/daemon/shims/lazy-https.ts). */
let httpsAgent: HttpsAgent | undefined;
const keepAliveAgent = (https: boolean) => (https ? (httpsAgent ??= new HttpsAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS })) : httpAgent);

const RETRYABLE = new Set(['ECONNRESET', 'EPIPE']);

/**
 * One probe request on a kept connection. When the service closed an idle kept-alive connection
 * just as it was reused, it asks again on a new one (what Node's documentation advises for
 * request.reusedSocket), within the same timeout.
 */
export async function keptAttempt(p: NonNullable<ProbeConfig['http']>, timeoutMs: number): Promise<HttpAttempt> {
  const deadline = performance.now() + timeoutMs;
  const r = await httpAttempt(p, timeoutMs);
  if (!('error' in r) || !r.reusedSocket || !RETRYABLE.has(r.error.code ?? '')) return r;
  const left = deadline - performance.now();
  return left > 0 ? httpAttempt(p, left) : { timedOut: true };
}

/**
 * One request: resolves once the response has been read to its end (so the connection can serve
 * the next probe), fails, or the time is up. The timer is cleared whichever comes first; a
 * request that times out is destroyed, and its connection with it. Time running out (or the
 * connection breaking) while the body is read still gives the status, which decides.
 */
function httpAttempt(p: NonNullable<ProbeConfig['http']>, timeoutMs: number): Promise<HttpAttempt> {
  return new Promise((resolve) => {
    const target = requestTarget(p.url);
    const https = target.protocol === 'https:';
    let req: ClientRequest | undefined;
    let res: IncomingMessage | undefined;
    let settled = false;
    const finish = (a: HttpAttempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(a);
    };
    const timer = setTimeout(() => {
      finish(res ? { status: res.statusCode ?? 0 } : { timedOut: true });
      req?.destroy();
    }, timerDelay(timeoutMs));
    try {
      req = (https ? httpsRequest : httpRequest)({
        ...target,
        method: p.method,
        agent: keepAliveAgent(https),
        // As fetch did: a POST without a body says so, rather than sending an empty chunked one.
        ...(p.method === 'POST' ? { headers: { 'content-length': '0' } } : {}),
      });
    } catch (e) {
      finish({ error: e as NodeJS.ErrnoException, reusedSocket: false });
      return;
    }
    req.once('response', (r) => {
      res = r;
      r.on('error', () => undefined); // reported through 'close' below; a late error must not throw
      r.once('end', () => finish({ status: r.statusCode ?? 0 }));
      r.once('close', () => finish({ status: r.statusCode ?? 0 }));
      r.resume();
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (res) finish({ status: res.statusCode ?? 0 });
      else finish({ error: e, reusedSocket: req?.reusedSocket ?? false });
    });
    req.end();
  });
}

/** A probe URL as request options, parsed once per URL (a stack has a handful). */
const targets = new Map<string, ReturnType<typeof urlToHttpOptions>>();
function requestTarget(url: string): ReturnType<typeof urlToHttpOptions> {
  let t = targets.get(url);
  if (!t) targets.set(url, (t = urlToHttpOptions(new URL(url))));
  return t;
}
