import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttp } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { createServer as createTcp, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { statusOf } from '../../src/core/health/http-once';
import { runProbe } from '../../src/core/health/probes';
import { freePort } from '../helpers/stack';

/** The probes of a running service: a new connection per probe, closed with the answer. */
const ctx = { timeoutMs: 300, cwd: process.cwd(), env: {}, keepConnection: false };
const probe = (url: string, extra: { method?: 'GET' | 'HEAD' | 'POST'; status?: number | number[] } = {}) =>
  runProbe({ http: { url, method: extra.method ?? 'GET', ...(extra.status !== undefined ? { status: extra.status } : {}) } }, ctx);

/** A raw TCP server on a free loopback port that hands each connection to `onSocket`. */
async function rawServer(onSocket: (sock: Socket) => void): Promise<{ port: number; server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createTcp((sock) => {
    sockets.add(sock);
    sock.on('error', () => undefined);
    sock.on('close', () => sockets.delete(sock));
    onSocket(sock);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { port, server, sockets };
}
const closeRaw = (s: { server: Server; sockets: Set<Socket> }) => {
  for (const sock of s.sockets) sock.destroy();
  s.server.close();
};
/** Calls `fn` with the request's head once it has come in whole. */
const onRequest = (sock: Socket, fn: (head: string) => void) => {
  let head = '';
  sock.on('data', (d) => {
    head += d.toString('latin1');
    if (head.includes('\r\n\r\n')) fn(head);
  });
};

describe('http probe client on a new connection (http-once, real sockets)', () => {
  it('reads the status of a real node:http server: 2xx/3xx pass, others are named, expected lists honoured', async () => {
    const server = createHttp((req, res) => {
      res.statusCode = req.url === '/health' ? 200 : req.url === '/moved' ? 301 : req.url === '/teapot' ? 418 : 503;
      res.end('body that is not read');
    });
    const port = await freePort();
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${port}`;
      assert.deepEqual(await probe(`${base}/health`).then((r) => [r.ok, r.error]), [true, undefined]);
      assert.deepEqual(await probe(`${base}/moved`).then((r) => [r.ok, r.error]), [true, undefined]);
      assert.deepEqual(await probe(`${base}/down`).then((r) => [r.ok, r.error]), [false, 'HTTP 503']);
      assert.deepEqual(await probe(`${base}/teapot`, { status: [418, 200] }).then((r) => r.ok), true);
      assert.deepEqual(await probe(`${base}/health`, { status: 204 }).then((r) => r.error), 'HTTP 200 (expected 204)');
      assert.deepEqual(await probe(`${base}/moved`, { method: 'HEAD', status: 200 }).then((r) => r.error), 'HTTP 301 (expected 200)');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('sends one HTTP/1.1 request with Connection: close, the path and query, Host, Basic auth from the URL, Content-Length 0 on POST', async () => {
    const heads: string[] = [];
    const raw = await rawServer((sock) => onRequest(sock, (head) => {
      heads.push(head);
      sock.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    }));
    try {
      assert.equal((await probe(`http://127.0.0.1:${raw.port}/health?deep=1#frag`)).ok, true);
      assert.equal((await probe(`http://user%20a:p%40ss@127.0.0.1:${raw.port}/`, { method: 'POST' })).ok, true);
      assert.equal((await probe(`http://127.0.0.1:${raw.port}`, { method: 'HEAD' })).ok, true);
      assert.equal(heads[0], `GET /health?deep=1 HTTP/1.1\r\nHost: 127.0.0.1:${raw.port}\r\nConnection: close\r\n\r\n`);
      const basic = Buffer.from('user a:p@ss').toString('base64');
      assert.equal(heads[1], `POST / HTTP/1.1\r\nHost: 127.0.0.1:${raw.port}\r\nAuthorization: Basic ${basic}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      assert.match(heads[2]!, /^HEAD \/ HTTP\/1\.1\r\n/);
    } finally {
      closeRaw(raw);
    }
  });

  it('reads a status line that comes in pieces, and skips interim 1xx answers', async () => {
    const raw = await rawServer((sock) => onRequest(sock, async (head) => {
      if (head.startsWith('GET /pieces')) {
        for (const piece of ['HTT', 'P/1.1 2', '04 No Content\r', '\n\r\n']) {
          sock.write(piece);
          await new Promise((r) => setTimeout(r, 20));
        }
      } else sock.write('HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 503 Service Unavailable\r\n\r\n');
      sock.end();
    }));
    try {
      assert.deepEqual(await probe(`http://127.0.0.1:${raw.port}/pieces`, { status: 204 }).then((r) => [r.ok, r.error]), [true, undefined]);
      assert.deepEqual(await probe(`http://127.0.0.1:${raw.port}/hints`).then((r) => [r.ok, r.error]), [false, 'HTTP 503']);
    } finally {
      closeRaw(raw);
    }
  });

  it('names refused connections, hang-ups and answers that are not HTTP', async () => {
    const closed = await freePort();
    assert.deepEqual(await probe(`http://127.0.0.1:${closed}/`).then((r) => [r.ok, r.error]), [false, 'ECONNREFUSED']);
    const hangUp = await rawServer((sock) => onRequest(sock, () => sock.end()));
    const ssh = await rawServer((sock) => sock.write('SSH-2.0-OpenSSH_9.2p1 Debian\r\n'));
    try {
      assert.deepEqual(await probe(`http://127.0.0.1:${hangUp.port}/`).then((r) => [r.ok, r.error]), [false, 'ECONNRESET']);
      assert.deepEqual(await probe(`http://127.0.0.1:${ssh.port}/`).then((r) => [r.ok, r.error]), [false, 'not an HTTP answer: "SSH-2.0-OpenSSH_9.2p1 Debian.."']);
    } finally {
      closeRaw(hangUp);
      closeRaw(ssh);
    }
  });

  it('times out on a server that never answers and on one that stops in the middle of its status line, and closes the connection', async () => {
    const silent = await rawServer((sock) => sock.resume()); // reads, never answers
    const halfway = await rawServer((sock) => onRequest(sock, () => sock.write('HTTP/1.1 2')));
    try {
      for (const s of [silent, halfway]) {
        const r = await probe(`http://127.0.0.1:${s.port}/`);
        assert.deepEqual([r.ok, r.error], [false, 'timed out after 300ms']);
        // The probe's side closed the connection: the server sees it end.
        const start = Date.now();
        while (s.sockets.size > 0 && Date.now() - start < 2000) await new Promise((r) => setTimeout(r, 10));
        assert.equal(s.sockets.size, 0, 'no connection left open');
      }
    } finally {
      closeRaw(silent);
      closeRaw(halfway);
    }
  });

  describe('https (node:tls)', () => {
    let dir: string;
    let key: string;
    let cert: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'opsdeck-http-once-'));
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=DNS:localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      ], { stdio: 'ignore' });
      key = readFileSync(join(dir, 'key.pem'), 'utf8');
      cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('verifies the certificate as node:https does: a self-signed one fails with the same error either way', async () => {
      const server = createHttps({ key, cert }, (_req, res) => res.end('ok'));
      const port = await freePort();
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
      try {
        const url = `https://localhost:${port}/`;
        const once = await probe(url);
        const kept = await runProbe({ http: { url, method: 'GET' } }, { ...ctx, keepConnection: true });
        assert.equal(once.ok, false);
        assert.equal(once.error, 'DEPTH_ZERO_SELF_SIGNED_CERT');
        assert.equal(once.error, kept.error);
      } finally {
        server.closeAllConnections();
        server.close();
      }
    });

    it('passes against a trusted certificate, with SNI for a host name; a name the certificate does not hold fails', async () => {
      const names: (string | false | null)[] = [];
      const server = createHttps({ key, cert }, (req, res) => {
        names.push((req.socket as import('node:tls').TLSSocket).servername);
        res.statusCode = req.url === '/health' ? 200 : 503;
        res.end();
      });
      const port = await freePort();
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
      try {
        // The certificate is trusted through NODE_EXTRA_CA_CERTS, which Node reads at start: a child process probes.
        const probes = resolve(import.meta.dirname, '../../src/core/health/probes.ts');
        const script = `import { runProbe } from ${JSON.stringify(probes)};
          const out = [];
          for (const url of process.argv.slice(1)) out.push(await runProbe({ http: { url, method: 'GET' } }, { timeoutMs: 5000, cwd: '.', env: {}, keepConnection: false }));
          console.log(JSON.stringify(out.map((r) => [r.ok, r.error ?? null])));`;
        // Asynchronously: the server answers from this process.
        const { stdout: out } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script,
          `https://localhost:${port}/health`, `https://localhost:${port}/down`, `https://127.0.0.1:${port}/health`,
        ], { env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') } });
        assert.deepEqual(JSON.parse(out), [[true, null], [false, 'HTTP 503'], [false, 'ERR_TLS_CERT_ALTNAME_INVALID']]);
        assert.deepEqual(names, ['localhost', 'localhost'], 'SNI sent for the name (the IP probe never got to a request)');
      } finally {
        server.closeAllConnections();
        server.close();
      }
    });
  });

  it('statusOf: a status once the line is whole, more bytes needed, interim answers skipped, not HTTP', () => {
    assert.equal(statusOf('HTTP/1.1 200 OK\r\n'), 200);
    assert.equal(statusOf('HTTP/1.0 404\r\n'), 404);
    assert.equal(statusOf('HTTP/1.1 101 Switching Protocols\r\n'), 101);
    assert.equal(statusOf('HTTP/1.1 200 OK'), undefined);
    assert.equal(statusOf('HTTP/1.'), undefined);
    assert.equal(statusOf(''), undefined);
    assert.equal(statusOf('HTTP/1.1 100 Continue\r\n'), undefined);
    assert.deepEqual(statusOf('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n'), { skip: 25 });
    assert.equal(statusOf('HTTP/1.1 2000 OK\r\n'), 'not http');
    assert.equal(statusOf('HTTPS/1.1 200'), 'not http');
    assert.equal(statusOf('<html>'), 'not http');
  });
});
