/**
 * The http probe's client for probes that close their connection with the answer: every probe of
 * a running service at its interval (readiness every 5 s and liveness every 10 s by default). One
 * HTTP/1.1 request with `Connection: close` on a new connection (node:net, or node:tls for
 * https), and only the answer's status line is read: the status decides, the headers and the
 * body are not looked at, and the connection is closed as soon as the status is known.
 *
 * Why not node:http: this is what the engine does most at idle. On node:http each of these
 * probes built a ClientRequest, an agent entry, an HTTP parser, an IncomingMessage and their
 * streams and listeners; profiled on a daemon idling with 50 services (15 probes a second),
 * that machinery and the garbage it left took about half of the daemon's CPU. What it costs to
 * keep this instead: the request is written here (method, path, Host, Basic auth from the URL's
 * user info as node:http sends it, `Content-Length: 0` for a POST) and the status line is parsed
 * here; interim answers (1xx other than 101) are skipped as node:http skips them. The semantics
 * stay those of the probe: redirects are not followed (a 3xx is the status), a connection closed
 * before any status is ECONNRESET, errors are named by their code (ECONNREFUSED, TLS
 * certificate errors…), and https verifies the certificate against the host (SNI for a name,
 * not for an IP address) as node:https does.
 */
import { connect, isIP, type Socket } from 'node:net';
import { timerDelay } from '../clock';
import type { ProbeConfig } from '../config/schema';
import type { HttpAttempt } from './http-attempt';

type HttpProbe = NonNullable<ProbeConfig['http']>;

/** Where a probe goes and the bytes it sends, made once per probe configuration. */
interface Target {
  https: boolean;
  host: string;
  port: number;
  request: Buffer;
}

/** Keyed by the probe's configuration object, which lives as long as the service's configuration. */
const targets = new WeakMap<HttpProbe, Target>();

function targetOf(p: HttpProbe): Target {
  let t = targets.get(p);
  if (!t) targets.set(p, (t = makeTarget(p)));
  return t;
}

function makeTarget(p: HttpProbe): Target {
  const url = new URL(p.url);
  const https = url.protocol === 'https:';
  const lines = [`${p.method} ${url.pathname || '/'}${url.search} HTTP/1.1`, `Host: ${url.host}`];
  if (url.username || url.password) {
    const auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    lines.push(`Authorization: Basic ${Buffer.from(auth).toString('base64')}`);
  }
  // A POST without a body says so, as the probe always did (fetch, then node:http).
  if (p.method === 'POST') lines.push('Content-Length: 0');
  lines.push('Connection: close', '', '');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { https, host, port: url.port ? Number(url.port) : https ? 443 : 80, request: Buffer.from(lines.join('\r\n'), 'latin1') };
}

/** node:tls, loaded with the first https probe (most stacks probe plain http on loopback). */
let tls: Promise<typeof import('node:tls')> | undefined;

/** A status line or an interim answer's head longer than this is not an HTTP answer. */
const MAX_HEAD = 16 * 1024;

/** One request on a new connection: the answer's status, an error, or no status within `timeoutMs`. */
export async function requestStatus(p: HttpProbe, timeoutMs: number): Promise<HttpAttempt> {
  const t = targetOf(p);
  const deadline = performance.now() + timeoutMs;
  let socket: Socket;
  try {
    if (t.https) {
      const { connect: tlsConnect } = await (tls ??= import('node:tls'));
      socket = tlsConnect({ host: t.host, port: t.port, ...(isIP(t.host) ? {} : { servername: t.host }) });
    } else socket = connect(t.port, t.host);
  } catch (e) {
    return { error: e as NodeJS.ErrnoException, reusedSocket: false };
  }
  return answer(socket, t.request, Math.max(0, deadline - performance.now()));
}

/** Writes the request (buffered until connected) and waits for the status line. */
function answer(socket: Socket, request: Buffer, leftMs: number): Promise<HttpAttempt> {
  return new Promise((resolve) => {
    let head = '';
    let settled = false;
    const finish = (a: HttpAttempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(a);
    };
    const timer = setTimeout(() => finish({ timedOut: true }), timerDelay(leftMs));
    socket.on('error', (e: NodeJS.ErrnoException) => finish({ error: e, reusedSocket: false }));
    // Closed (or ended by the service) before a whole status line: what node:http calls a hang-up.
    socket.on('close', () => finish({ error: hangUp(), reusedSocket: false }));
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      for (;;) {
        const r = statusOf(head);
        if (r === undefined) {
          if (head.length > MAX_HEAD) finish({ error: notHttp(head), reusedSocket: false });
          return;
        }
        if (typeof r === 'number') return finish({ status: r });
        if (r === 'not http') return finish({ error: notHttp(head), reusedSocket: false });
        head = head.slice(r.skip); // an interim answer: the final one follows
      }
    });
    socket.write(request);
  });
}

/**
 * The final status from the start of an answer: a number; `{ skip }` when an interim answer
 * (1xx, not 101) ends at `skip` and the final one follows; undefined when more bytes are needed;
 * 'not http' when the bytes are no HTTP status line.
 */
export function statusOf(head: string): number | { skip: number } | 'not http' | undefined {
  const eol = head.indexOf('\n');
  if (eol === -1) return STATUS_LINE.test(head) || startsStatusLine(head) ? undefined : 'not http';
  const m = STATUS_LINE.exec(head.slice(0, eol));
  if (!m) return 'not http';
  const status = Number(m[1]);
  if (status < 100 || status >= 200 || status === 101) return status;
  const end = head.indexOf('\r\n\r\n');
  return end === -1 ? undefined : { skip: end + 4 };
}

/** "HTTP/1.1 200 OK": the version, one space, three digits, then a space or the line's end. */
const STATUS_LINE = /^HTTP\/\d\.\d (\d{3})(?:[ \r]|$)/;
const STATUS_TEMPLATE = 'HTTP/9.9 999';

/** Whether `s`, shorter than a status line's fixed part, can still become one. */
function startsStatusLine(s: string): boolean {
  if (s.length >= STATUS_TEMPLATE.length) return false;
  for (let i = 0; i < s.length; i++) {
    const want = STATUS_TEMPLATE[i]!;
    const c = s.charCodeAt(i);
    if (want === '9' ? c < 48 || c > 57 : s[i] !== want) return false;
  }
  return true;
}

function hangUp(): NodeJS.ErrnoException {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

function notHttp(head: string): NodeJS.ErrnoException {
  const start = head.slice(0, 40).replace(/[^\x20-\x7e]/g, '.');
  return new Error(`not an HTTP answer: "${start}"`);
}
