/**
 * One probe attempt: http (expected status), tcp (connect), exec (exit 0) or log (a line
 * matching the pattern was seen). Each resolves to ok / not ok with its latency and never throws.
 */
import { execa } from 'execa';
import { connect } from 'node:net';
import type { ProbeConfig } from '../config/schema';

export interface ProbeResult {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

export interface ProbeContext {
  timeoutMs: number;
  cwd: string;
  env: Record<string, string>;
  /** For log probes: whether a matching line has been seen since the process started. */
  logMatched?: () => boolean;
}

export async function runProbe(probe: Pick<ProbeConfig, 'http' | 'tcp' | 'exec' | 'log'>, ctx: ProbeContext): Promise<ProbeResult> {
  const t0 = performance.now();
  const done = (ok: boolean, error?: string): ProbeResult => ({
    ok,
    latencyMs: Math.round((performance.now() - t0) * 100) / 100,
    ...(error ? { error } : {}),
  });
  try {
    if (probe.http) return await httpProbe(probe.http, ctx.timeoutMs, done);
    if (probe.tcp) return await tcpProbe(probe.tcp, ctx.timeoutMs, done);
    if (probe.exec) return await execProbe(probe.exec, ctx, done);
    if (probe.log !== undefined) return ctx.logMatched?.() ? done(true) : done(false, `no log line matched /${probe.log}/ yet`);
    return done(false, 'probe has no kind');
  } catch (e) {
    return done(false, (e as Error).message);
  }
}

type Done = (ok: boolean, error?: string) => ProbeResult;

async function httpProbe(p: NonNullable<ProbeConfig['http']>, timeoutMs: number, done: Done): Promise<ProbeResult> {
  try {
    const res = await fetch(p.url, { method: p.method, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    await res.arrayBuffer().catch(() => undefined);
    const expected = p.status === undefined ? undefined : Array.isArray(p.status) ? p.status : [p.status];
    const ok = expected ? expected.includes(res.status) : res.status >= 200 && res.status < 400;
    return ok ? done(true) : done(false, `HTTP ${res.status}${expected ? ` (expected ${expected.join(' or ')})` : ''}`);
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return done(false, `timed out after ${timeoutMs}ms`);
    return done(false, err.cause?.code ?? err.message);
  }
}

function tcpProbe(p: NonNullable<ProbeConfig['tcp']>, timeoutMs: number, done: Done): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const sock = connect({ host: p.host, port: p.port });
    const finish = (r: ProbeResult) => {
      sock.destroy();
      resolve(r);
    };
    sock.setTimeout(timeoutMs, () => finish(done(false, `timed out after ${timeoutMs}ms`)));
    sock.once('connect', () => finish(done(true)));
    sock.once('error', (e: NodeJS.ErrnoException) => finish(done(false, e.code ?? e.message)));
  });
}

async function execProbe(argv: string[], ctx: ProbeContext, done: Done): Promise<ProbeResult> {
  const r = await execa(argv[0]!, argv.slice(1), {
    cwd: ctx.cwd,
    env: ctx.env,
    extendEnv: false,
    timeout: ctx.timeoutMs,
    killSignal: 'SIGKILL',
    reject: false,
    stdin: 'ignore',
    all: true,
  });
  if (r.timedOut) return done(false, `timed out after ${ctx.timeoutMs}ms`);
  if (r.exitCode === 0) return done(true);
  const last = String(r.all ?? '').trim().split('\n').pop();
  const why = r.exitCode !== undefined ? `exit code ${r.exitCode}` : r.signal ? `killed by ${r.signal}` : firstLine(r.shortMessage ?? 'failed');
  return done(false, last ? `${why}: ${last}` : why);
}

const firstLine = (s: string) => s.split('\n')[0]!;
