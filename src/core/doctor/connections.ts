/**
 * The doctor's connection tests, per service, from its probes and declared endpoints: the host
 * name resolves (DNS), a TCP connection is made (and how long it took), the http probe answers as
 * expected (status and latency, through the engine's own probe), an https certificate is valid
 * and not about to expire, and where the kind of server is known, its protocol answers
 * (PostgreSQL's `pg_isready`, Redis `PING`).
 */
import { lookup } from 'node:dns/promises';
import { isIP, connect, type Socket } from 'node:net';
import type { PeerCertificate } from 'node:tls';
import type { ServiceConfig } from '../config/schema';
import { effectiveEnv } from '../config/load';
import { runProbe } from '../health/probes';
import { runCommand } from '../health/run-command';
import { check, fix, type DoctorCheck } from './check';
import type { DoctorContext } from './context';
import { serverKind, serviceEndpoints, type Endpoint } from './service-endpoints';

const TIMEOUT_MS = 3000;
/** A certificate expiring within this is a warning. */
const CERT_WARN_MS = 14 * 86_400_000;

export async function connectionChecks(ctx: DoctorContext): Promise<DoctorCheck[]> {
  const perService = await Promise.all(ctx.services.map((name) => serviceConnections(ctx, name)));
  return perService.flat();
}

async function serviceConnections(ctx: DoctorContext, name: string): Promise<DoctorCheck[]> {
  const s = ctx.stack.config.services[name]!;
  const running = ctx.pids.has(name);
  const endpoints = serviceEndpoints(name, s);
  if (!endpoints.length) return [check('connection', 'conn.none', 'Connection tests', 'ok', 'no http or tcp endpoint declared: nothing to connect to', { service: name })];
  const out: DoctorCheck[] = [];
  const reached = new Set<string>();
  for (const e of once(endpoints, (x) => x.host)) {
    const dns = await resolveHost(e.host);
    if (!isIP(e.host) && e.host !== 'localhost') out.push(dnsCheck(name, e, dns));
    if ('error' in dns) continue;
    for (const t of once(endpoints.filter((x) => x.host === e.host), where)) {
      const tcp = await tcpConnect(t.host, t.port);
      out.push(tcpCheck(name, t, tcp, running));
      if ('error' in tcp) continue;
      reached.add(where(t));
      if (t.url?.startsWith('https:')) out.push(await tlsCheck(name, t, ctx.now));
    }
  }
  for (const e of once(endpoints.filter((x) => x.url && reached.has(where(x))), (x) => x.url!)) out.push(await httpCheck(name, e, s));
  const kind = serverKind(name, s);
  const target = endpoints.find((e) => e.source.startsWith('env.') || e.source === 'backup.postgres') ?? endpoints.find((e) => e.kind === 'tcp') ?? endpoints[0]!;
  if (!reached.has(where(target))) return out; // the TCP test has said why
  if (kind === 'postgres') out.push(await postgresCheck(ctx, name, s, target, running));
  if (kind === 'redis') out.push(await redisCheck(name, target, running));
  return out;
}

/** The first endpoint of each key: one DNS test per host, one TCP test per host:port, one HTTP test per URL. */
function once(endpoints: Endpoint[], key: (e: Endpoint) => string): Endpoint[] {
  const seen = new Map<string, Endpoint>();
  for (const e of endpoints) if (!seen.has(key(e))) seen.set(key(e), e);
  return [...seen.values()];
}

type Resolved = { address: string; ms: number } | { error: string };

async function resolveHost(host: string): Promise<Resolved> {
  const t0 = performance.now();
  try {
    const r = await lookup(host);
    return { address: r.address, ms: round(performance.now() - t0) };
  } catch (e) {
    return { error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;
const where = (e: Endpoint) => `${e.host}:${e.port}`;

function dnsCheck(service: string, e: Endpoint, r: Resolved): DoctorCheck {
  if ('error' in r) {
    return check('connection', 'conn.dns', `DNS ${e.host}`, 'fail', `${e.host} does not resolve (${r.error})`, {
      service,
      fix: fix(`check the host name in ${service}'s ${e.source} (a typo?), or the resolver (/etc/hosts, /etc/resolv.conf)`, `getent hosts ${e.host}`),
      data: { host: e.host, error: r.error, source: e.source },
    });
  }
  return check('connection', 'conn.dns', `DNS ${e.host}`, 'ok', `${e.host} → ${r.address} in ${r.ms}ms`, { service, data: { host: e.host, ...r } });
}

type Connected = { ms: number } | { error: string };

function tcpConnect(host: string, port: number): Promise<Connected> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const sock = connect({ host, port });
    const done = (r: Connected) => {
      sock.destroy();
      resolve(r);
    };
    sock.setTimeout(TIMEOUT_MS, () => done({ error: `timed out after ${TIMEOUT_MS}ms` }));
    sock.once('connect', () => done({ ms: round(performance.now() - t0) }));
    sock.once('error', (err: NodeJS.ErrnoException) => done({ error: err.code ?? err.message }));
  });
}

function tcpCheck(service: string, e: Endpoint, r: Connected, running: boolean): DoctorCheck {
  const title = `TCP ${where(e)}`;
  if ('error' in r) {
    return check('connection', 'conn.tcp', title, running ? 'fail' : 'warn', `cannot connect to ${where(e)} (${r.error})${running ? '' : ': the service is not running'}`, {
      service,
      fix: running ? fix(`${service} runs but does not listen there: see its log`, `opsdeck logs ${service}`) : fix(`start ${service}`, `opsdeck up ${service}`),
      data: { host: e.host, port: e.port, error: r.error, running, source: e.source },
    });
  }
  return check('connection', 'conn.tcp', title, 'ok', `connected in ${r.ms}ms`, { service, data: { host: e.host, port: e.port, connectMs: r.ms } });
}

async function httpCheck(service: string, e: Endpoint, s: ServiceConfig): Promise<DoctorCheck> {
  const probe = e.source === 'health.liveness' ? s.health.liveness! : s.health.readiness!;
  const r = await runProbe({ http: probe.http! }, { timeoutMs: TIMEOUT_MS, cwd: process.cwd(), env: {}, keepConnection: false });
  const title = `HTTP ${e.url}`;
  if (r.ok) return check('connection', 'conn.http', title, 'ok', `answered as expected in ${r.latencyMs}ms`, { service, data: { url: e.url, latencyMs: r.latencyMs } });
  return check('connection', 'conn.http', title, 'fail', `${r.error ?? 'failed'} after ${r.latencyMs}ms`, {
    service,
    fix: fix(`see why ${service} answers so`, `opsdeck logs ${service} -n 50`),
    data: { url: e.url, latencyMs: r.latencyMs, error: r.error ?? null },
  });
}

/** The certificate the server presents: its validity dates, and whether it is trusted. */
async function peerCertificate(host: string, port: number): Promise<{ cert: PeerCertificate; authorizationError?: string } | { error: string }> {
  // Loaded here: the daemon keeps node:tls (and crypto) out of an idle engine (src/daemon/shims).
  const { connect: tlsConnect } = await import('node:tls');
  return new Promise((resolve) => {
    const sock = tlsConnect({ host, port, servername: isIP(host) ? undefined : host, rejectUnauthorized: false });
    const done = (r: Awaited<ReturnType<typeof peerCertificate>>) => {
      sock.destroy();
      resolve(r);
    };
    sock.setTimeout(TIMEOUT_MS, () => done({ error: `timed out after ${TIMEOUT_MS}ms` }));
    sock.once('secureConnect', () => {
      const cert = sock.getPeerCertificate();
      const err = sock.authorizationError;
      done({ cert, ...(err ? { authorizationError: String(err) } : {}) });
    });
    sock.once('error', (err: NodeJS.ErrnoException) => done({ error: err.code ?? err.message }));
  });
}

async function tlsCheck(service: string, e: Endpoint, now: number): Promise<DoctorCheck> {
  const title = `TLS certificate of ${where(e)}`;
  const r = await peerCertificate(e.host, e.port);
  if ('error' in r) return check('connection', 'conn.tls', title, 'fail', `no TLS handshake (${r.error})`, { service, data: { error: r.error } });
  const notAfter = Date.parse(r.cert.valid_to);
  const left = notAfter - now;
  const data = { subject: r.cert.subject?.CN ?? null, issuer: r.cert.issuer?.CN ?? null, validFrom: r.cert.valid_from, validTo: r.cert.valid_to, authorizationError: r.authorizationError ?? null };
  const renew = fix(`renew ${service}'s certificate (e.g. \`openssl req -x509 …\` for a local one, or your ACME client)`);
  if (left <= 0) return check('connection', 'conn.tls', title, 'fail', `the certificate expired on ${new Date(notAfter).toISOString()}`, { service, fix: renew, data });
  const days = Math.floor(left / 86_400_000);
  if (left < CERT_WARN_MS) return check('connection', 'conn.tls', title, 'warn', `the certificate expires in ${days} days (${new Date(notAfter).toISOString()})`, { service, fix: renew, data });
  const trust = r.authorizationError ? ` (not trusted here: ${r.authorizationError})` : '';
  return check('connection', 'conn.tls', title, 'ok', `valid until ${new Date(notAfter).toISOString()}, ${days} days left${trust}`, { service, data });
}

async function postgresCheck(ctx: DoctorContext, name: string, s: ServiceConfig, e: Endpoint, running: boolean): Promise<DoctorCheck> {
  const env = effectiveEnv(ctx.stack, name);
  const host = s.backup?.postgres?.host ?? env.PGHOST ?? e.host;
  const port = s.backup?.postgres?.port ?? e.port;
  const bin = s.backup?.postgres?.bin;
  const argv = [bin ? `${bin}/pg_isready` : 'pg_isready', '-h', host, '-p', String(port), '-t', String(TIMEOUT_MS / 1000)];
  const user = s.backup?.postgres?.user ?? env.PGUSER;
  if (user) argv.push('-U', user);
  const r = await runCommand(argv, { cwd: ctx.stack.dir, env: { ...(process.env as Record<string, string>), ...env }, timeoutMs: TIMEOUT_MS + 2000 });
  const title = 'PostgreSQL accepts connections (pg_isready)';
  const out = r.output.trim().split('\n').pop() ?? '';
  if (r.startError) return check('connection', 'conn.postgres', title, 'warn', `pg_isready could not run: ${r.startError.split('\n')[0]}`, { service: name, fix: fix('install the PostgreSQL client tools', 'sudo apt-get install postgresql-client') });
  const MEANING: Record<number, string> = { 0: 'accepting connections', 1: 'rejecting connections (starting up or shutting down)', 2: 'no response', 3: 'no attempt (bad parameters)' };
  const status = r.exitCode === 0 ? 'ok' : running ? 'fail' : 'warn';
  return check('connection', 'conn.postgres', title, status, `${host}:${port}: ${MEANING[r.exitCode ?? -1] ?? out}`, {
    service: name,
    fix: running ? fix(`see ${name}'s log`, `opsdeck logs ${name} -n 50`) : fix(`start ${name}`, `opsdeck up ${name}`),
    data: { argv, exitCode: r.exitCode ?? null, output: out },
  });
}

/** Redis: `PING` must answer `+PONG` (an error reply, such as NOAUTH, is reported as it is). */
function redisPing(host: string, port: number): Promise<{ reply: string; ms: number } | { error: string }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const sock: Socket = connect({ host, port });
    let buf = '';
    const done = (r: Awaited<ReturnType<typeof redisPing>>) => {
      sock.destroy();
      resolve(r);
    };
    sock.setTimeout(TIMEOUT_MS, () => done({ error: `timed out after ${TIMEOUT_MS}ms` }));
    sock.once('connect', () => sock.write('*1\r\n$4\r\nPING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      const end = buf.indexOf('\r\n');
      if (end >= 0) done({ reply: buf.slice(0, end), ms: round(performance.now() - t0) });
    });
    sock.once('error', (err: NodeJS.ErrnoException) => done({ error: err.code ?? err.message }));
  });
}

async function redisCheck(name: string, e: Endpoint, running: boolean): Promise<DoctorCheck> {
  const title = 'Redis answers PING';
  const r = await redisPing(e.host, e.port);
  if ('error' in r) return check('connection', 'conn.redis', title, running ? 'fail' : 'warn', `${where(e)}: ${r.error}`, { service: name, fix: running ? fix(`see ${name}'s log`, `opsdeck logs ${name} -n 50`) : fix(`start ${name}`, `opsdeck up ${name}`), data: { error: r.error } });
  if (r.reply === '+PONG') return check('connection', 'conn.redis', title, 'ok', `${where(e)}: PONG in ${r.ms}ms`, { service: name, data: { reply: r.reply, ms: r.ms } });
  return check('connection', 'conn.redis', title, r.reply.startsWith('-NOAUTH') ? 'warn' : 'fail', `${where(e)} answered ${r.reply}`, { service: name, fix: fix('check the server\'s auth and state'), data: { reply: r.reply } });
}
