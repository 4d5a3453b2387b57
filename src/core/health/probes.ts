/**
 * One probe attempt: http (expected status), tcp (connect), exec (exit 0) or log (a line
 * matching the pattern was seen). Each resolves to ok / not ok with its latency and never throws.
 *
 * http probes: a probe asked again soon (a service's start-up retries, every 25 ms) goes out on
 * node:http keep-alive agents, on the connection of the previous probe while the service keeps it
 * open (http-keep-alive.ts); a probe whose next one is seconds away (`keepConnection: false`, the
 * probes of a running service) sends one request with `Connection: close` on a new connection and
 * reads only the status line (http-once.ts): services close idle connections after ~5 s (Node's
 * default), so a kept one would only sit in the engine until then. Redirects are not followed.
 */
import { connect } from 'node:net';
import { timerDelay } from '../clock';
import type { ProbeConfig } from '../config/schema';
import { keptAttempt } from './http-keep-alive';
import { requestStatus } from './http-once';
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

async function httpProbe(p: NonNullable<ProbeConfig['http']>, timeoutMs: number, keep: boolean, done: Done): Promise<ProbeResult> {
  const r = keep ? await keptAttempt(p, timeoutMs) : await requestStatus(p, timeoutMs);
  if ('error' in r) return done(false, r.error.code ?? r.error.message);
  if ('timedOut' in r) return done(false, `timed out after ${timeoutMs}ms`);
  const { status } = r;
  const expected = p.status === undefined ? undefined : Array.isArray(p.status) ? p.status : [p.status];
  const ok = expected ? expected.includes(status) : status >= 200 && status < 400;
  return ok ? done(true) : done(false, `HTTP ${status}${expected ? ` (expected ${expected.join(' or ')})` : ''}`);
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
