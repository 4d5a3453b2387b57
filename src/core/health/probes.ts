/**
 * One probe attempt: http (expected status), tcp (connect), exec (exit 0) or log (a line
 * matching the pattern was seen). Each resolves to ok / not ok with its latency and never throws.
 *
 * http probes go through node:http / node:https (fetch costs several times the CPU per request).
 * A probe asked again soon (a service's start-up retries, every 25 ms) goes out on keep-alive
 * agents, on the connection of the previous probe while the service keeps it open; a probe whose
 * next one is seconds away closes its connection with the answer (`keepConnection: false`):
 * services close idle connections after ~5 s (Node's default), so a kept one would only sit in
 * the engine until then, garbage that outlives the young generation. Redirects are not followed.
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { urlToHttpOptions } from 'node:url';
import { timerDelay } from '../clock';
import type { ProbeConfig } from '../config/schema';
import { runCommand } from './run-command';

import type { ProbeResult } from '../contract/status';

export interface ProbeContext {
  timeoutMs: number;
  cwd: string;
  env: Record<string, string>;
  /** For log probes: whether a matching line has been seen since the process started. */
  logMatched?: () => boolean;
  /** Aborted when the service stops: an exec probe's command is killed. */
  signal?: AbortSignal;
  /** http: keep the connection for the next probe (default), or close it with the answer. */
  keepConnection?: boolean;
}

export async function runProbe(probe: Pick<ProbeConfig, 'http' | 'tcp' | 'exec' | 'log'>, ctx: ProbeContext): Promise<ProbeResult> {
  const t0 = performance.now();
  const done = (ok: boolean, error?: string): ProbeResult => ({
    ok,
    latencyMs: Math.round((performance.now() - t0) * 100) / 100,
    ...(error ? { error } : {}),
  });
  try {
    if (probe.http) return await httpProbe(probe.http, ctx.timeoutMs, ctx.keepConnection ?? true, done);
    if (probe.tcp) return await tcpProbe(probe.tcp, ctx.timeoutMs, done);
    if (probe.exec) return await execProbe(probe.exec, ctx, done);
    if (probe.log !== undefined) return ctx.logMatched?.() ? done(true) : done(false, `no log line matched /${probe.log}/ yet`);
    return done(false, 'probe has no kind');
  } catch (e) {
    return done(false, (e as Error).message);
  }
}

type Done = (ok: boolean, error?: string) => ProbeResult;

/**
 * Idle connections are kept for as long as the service announces (`Keep-Alive: timeout=N`, less
 * a second, as Node's agent does) and at most IDLE_SOCKET_MS; a service that says nothing and
 * closes sooner is handled by asking once more on a new connection (see httpProbe).
 */
const IDLE_SOCKET_MS = 30_000;
const httpAgent = new HttpAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS });
/** Made on the first https probe (the daemon loads node:https only then: src/daemon/shims/lazy-https.ts). */
let httpsAgent: HttpsAgent | undefined;
const keepAliveAgent = (https: boolean) => (https ? (httpsAgent ??= new HttpsAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS })) : httpAgent);

/** What one request on one connection came to: a status, an error, or no status in time. */
type Attempt = { status: number } | { error: NodeJS.ErrnoException; reusedSocket: boolean } | { timedOut: true };

async function httpProbe(p: NonNullable<ProbeConfig['http']>, timeoutMs: number, keep: boolean, done: Done): Promise<ProbeResult> {
  const deadline = performance.now() + timeoutMs;
  let r = await httpAttempt(p, timeoutMs, keep);
  // The service closed an idle kept-alive connection just as it was reused: ask again on a new
  // one (what Node's documentation advises for request.reusedSocket), within the same timeout.
  if ('error' in r && r.reusedSocket && RETRYABLE.has(r.error.code ?? '')) {
    const left = deadline - performance.now();
    r = left > 0 ? await httpAttempt(p, left, keep) : { timedOut: true };
  }
  if ('error' in r) return done(false, r.error.code ?? r.error.message);
  if ('timedOut' in r) return done(false, `timed out after ${timeoutMs}ms`);
  const { status } = r;
  const expected = p.status === undefined ? undefined : Array.isArray(p.status) ? p.status : [p.status];
  const ok = expected ? expected.includes(status) : status >= 200 && status < 400;
  return ok ? done(true) : done(false, `HTTP ${status}${expected ? ` (expected ${expected.join(' or ')})` : ''}`);
}

const RETRYABLE = new Set(['ECONNRESET', 'EPIPE']);

/**
 * One request: resolves once the response has been read to its end (so the connection can serve
 * the next probe), fails, or the time is up. The timer is cleared whichever comes first; a
 * request that times out is destroyed, and its connection with it. Time running out (or the
 * connection breaking) while the body is read still gives the status, which decides.
 */
function httpAttempt(p: NonNullable<ProbeConfig['http']>, timeoutMs: number, keep: boolean): Promise<Attempt> {
  return new Promise((resolve) => {
    const target = requestTarget(p.url);
    const https = target.protocol === 'https:';
    let req: ClientRequest | undefined;
    let res: IncomingMessage | undefined;
    let settled = false;
    const finish = (a: Attempt) => {
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
        // Without an agent, Node sends `Connection: close` and the connection ends with the answer.
        agent: keep ? keepAliveAgent(https) : false,
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

function tcpProbe(p: NonNullable<ProbeConfig['tcp']>, timeoutMs: number, done: Done): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const sock = connect({ host: p.host, port: p.port });
    const finish = (r: ProbeResult) => {
      sock.destroy();
      resolve(r);
    };
    sock.setTimeout(timerDelay(timeoutMs), () => finish(done(false, `timed out after ${timeoutMs}ms`)));
    sock.once('connect', () => finish(done(true)));
    sock.once('error', (e: NodeJS.ErrnoException) => finish(done(false, e.code ?? e.message)));
  });
}

async function execProbe(argv: string[], ctx: ProbeContext, done: Done): Promise<ProbeResult> {
  const r = await runCommand(argv, { cwd: ctx.cwd, env: ctx.env, timeoutMs: ctx.timeoutMs, ...(ctx.signal ? { signal: ctx.signal } : {}) });
  if (r.timedOut) return done(false, `timed out after ${ctx.timeoutMs}ms`);
  if (r.exitCode === 0) return done(true);
  const last = r.output.trim().split('\n').pop();
  const why = r.exitCode !== undefined ? `exit code ${r.exitCode}` : r.signal ? `killed by ${r.signal}` : firstLine(r.startError ?? 'failed');
  return done(false, last ? `${why}: ${last}` : why);
}

const firstLine = (s: string) => s.split('\n')[0]!;
