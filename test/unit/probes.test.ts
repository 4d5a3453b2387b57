import assert from 'node:assert/strict';
import { createServer as createHttp, type Server } from 'node:http';
import { createServer as createTcp } from 'node:net';
import { runCheck } from '../../src/core/health/check';
import { runProbe } from '../../src/core/health/probes';
import { freePort, until } from '../helpers/stack';
import { isAlive } from '../../src/core/os/process-info';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ctx = { timeoutMs: 300, cwd: process.cwd(), env: { PATH: process.env.PATH ?? '' } };

describe('probes against real sockets and processes', () => {
  let server: Server;
  let port: number;
  before(async () => {
    port = await freePort();
    server = createHttp((req, res) => {
      if (req.url === '/slow') return void setTimeout(() => res.end('late'), 1000);
      res.statusCode = req.url === '/health' ? 200 : req.url === '/teapot' ? 418 : 503;
      res.end();
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('http: 2xx passes by default, other statuses fail with the status named', async () => {
    assert.equal((await runProbe({ http: { url: `http://127.0.0.1:${port}/health`, method: 'GET' } }, ctx)).ok, true);
    const r = await runProbe({ http: { url: `http://127.0.0.1:${port}/down`, method: 'GET' } }, ctx);
    assert.deepEqual([r.ok, r.error], [false, 'HTTP 503']);
  });

  it('http: an expected status list is honoured', async () => {
    const r = await runProbe({ http: { url: `http://127.0.0.1:${port}/teapot`, method: 'GET', status: [418] } }, ctx);
    assert.equal(r.ok, true);
    const w = await runProbe({ http: { url: `http://127.0.0.1:${port}/health`, method: 'GET', status: 204 } }, ctx);
    assert.equal(w.error, 'HTTP 200 (expected 204)');
  });

  it('http: times out and says so; refused connections are named', async () => {
    const r = await runProbe({ http: { url: `http://127.0.0.1:${port}/slow`, method: 'GET' } }, ctx);
    assert.deepEqual([r.ok, r.error], [false, 'timed out after 300ms']);
    const closed = await freePort();
    const c = await runProbe({ http: { url: `http://127.0.0.1:${closed}/`, method: 'GET' } }, ctx);
    assert.deepEqual([c.ok, c.error], [false, 'ECONNREFUSED']);
  });

  it('http: keeps the connection between probes, and asks again on a new one when a kept one was closed', async () => {
    let connections = 0;
    const counted = createHttp((_req, res) => res.end('ok'));
    counted.on('connection', () => connections++);
    const countedPort = await freePort();
    await new Promise<void>((r) => counted.listen(countedPort, '127.0.0.1', r));
    try {
      for (let i = 0; i < 3; i++) assert.equal((await runProbe({ http: { url: `http://127.0.0.1:${countedPort}/`, method: 'GET' } }, ctx)).ok, true);
      assert.equal(connections, 1, 'one connection for three probes');
    } finally {
      counted.closeAllConnections();
      counted.close();
    }

    // A server that says nothing of its keep-alive timeout and drops the connection when it is
    // reused: the probe must not fail for it.
    let opened = 0;
    const dropper = createTcp((sock) => {
      opened++;
      let requests = 0;
      sock.on('data', (d) => {
        if (!d.toString('latin1').includes('\r\n\r\n')) return;
        if (++requests === 1) sock.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
        else sock.destroy();
      });
    });
    const dropperPort = await freePort();
    await new Promise<void>((r) => dropper.listen(dropperPort, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${dropperPort}/health`;
      assert.equal((await runProbe({ http: { url, method: 'GET' } }, ctx)).ok, true);
      const again = await runProbe({ http: { url, method: 'GET' } }, ctx);
      assert.deepEqual([again.ok, again.error], [true, undefined]);
      assert.equal(opened, 2, 'the second probe went out again on a new connection');
    } finally {
      dropper.close();
    }
  });

  it('http: with keepConnection false, each probe closes its connection with the answer (nothing kept idle)', async () => {
    let opened = 0;
    let closed = 0;
    const server2 = createHttp((_req, res) => res.end('ok'));
    server2.on('connection', (sock) => {
      opened++;
      sock.on('close', () => closed++);
    });
    const p2 = await freePort();
    await new Promise<void>((r) => server2.listen(p2, '127.0.0.1', r));
    try {
      for (let i = 0; i < 3; i++) {
        const r = await runProbe({ http: { url: `http://127.0.0.1:${p2}/`, method: 'GET' } }, { ...ctx, keepConnection: false });
        assert.equal(r.ok, true);
      }
      assert.equal(opened, 3, 'one connection per probe');
      await until(() => closed === 3, 2000, 'every connection to be closed');
    } finally {
      server2.closeAllConnections();
      server2.close();
    }
  });

  it('http: does not follow redirects (a 3xx passes by default, and is named when another status is expected)', async () => {
    const redirecting = createHttp((_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${port}/down` });
      res.end();
    });
    const redirectPort = await freePort();
    await new Promise<void>((r) => redirecting.listen(redirectPort, '127.0.0.1', r));
    try {
      assert.equal((await runProbe({ http: { url: `http://127.0.0.1:${redirectPort}/`, method: 'GET' } }, ctx)).ok, true);
      const r = await runProbe({ http: { url: `http://127.0.0.1:${redirectPort}/`, method: 'HEAD', status: 200 } }, ctx);
      assert.deepEqual([r.ok, r.error], [false, 'HTTP 302 (expected 200)']);
    } finally {
      redirecting.closeAllConnections();
      redirecting.close();
    }
  });

  it('tcp: connects, or reports ECONNREFUSED', async () => {
    const tcpPort = await freePort();
    const srv = createTcp((s) => s.end()).listen(tcpPort, '127.0.0.1');
    await new Promise((r) => srv.once('listening', r));
    assert.equal((await runProbe({ tcp: { host: '127.0.0.1', port: tcpPort } }, ctx)).ok, true);
    srv.close();
    const r = await runProbe({ tcp: { host: '127.0.0.1', port: tcpPort } }, ctx);
    assert.deepEqual([r.ok, r.error], [false, 'ECONNREFUSED']);
  });

  it('exec: exit 0 passes; otherwise the exit code and last output line are reported', async () => {
    assert.equal((await runProbe({ exec: ['true'] }, ctx)).ok, true);
    const r = await runProbe({ exec: ['sh', '-c', 'echo disk full >&2; exit 4'] }, ctx);
    assert.deepEqual([r.ok, r.error], [false, 'exit code 4: disk full']);
    const slow = await runProbe({ exec: ['sleep', '5'] }, ctx);
    assert.deepEqual([slow.ok, slow.error], [false, 'timed out after 300ms']);
  });

  describe('exec commands leave no process behind (own process group)', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'opsdeck-probe-group-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    // A shell that starts a child in the background and writes its pid down, then does `rest`.
    const withChild = (rest: string) => ['sh', '-c', `sleep 30 & echo $! > ${join(dir, 'child.pid')}; ${rest}`];
    const child = () => Number(readFileSync(join(dir, 'child.pid'), 'utf8'));

    it('at the timeout, the shell and its children are killed', async () => {
      const r = await runProbe({ exec: withChild('sleep 30') }, ctx);
      assert.deepEqual([r.ok, r.error], [false, 'timed out after 300ms']);
      await until(() => !isAlive(child()), 5000, 'the background child to be killed');
    });

    it('a child left running by a command that ended is killed too', async () => {
      const r = await runProbe({ exec: withChild('exit 0') }, ctx);
      assert.equal(r.ok, true);
      await until(() => !isAlive(child()), 5000, 'the background child to be killed');
    });

    it('aborting (the service stops) kills a probe or a check in flight, children included', async () => {
      for (const run of [
        (signal: AbortSignal) => runProbe({ exec: withChild('sleep 30') }, { ...ctx, timeoutMs: 20_000, signal }),
        (signal: AbortSignal) => runCheck(withChild('sleep 30'), { ...ctx, timeoutMs: 20_000, signal }),
      ]) {
        rmSync(join(dir, 'child.pid'), { force: true });
        const abort = new AbortController();
        const t0 = Date.now();
        const pending = run(abort.signal);
        await until(() => existsSync(join(dir, 'child.pid')) && readFileSync(join(dir, 'child.pid'), 'utf8').trim() !== '', 5000, 'the command to start');
        abort.abort();
        const r = await pending;
        assert.equal(r.ok, false);
        assert.ok(Date.now() - t0 < 10_000, 'ended at the abort, not at the timeout');
        await until(() => !isAlive(child()), 5000, 'the background child to be killed');
      }
    });
  });

  it('log: passes once a matching line was seen', async () => {
    assert.equal((await runProbe({ log: 'ready' }, { ...ctx, logMatched: () => false })).ok, false);
    assert.equal((await runProbe({ log: 'ready' }, { ...ctx, logMatched: () => true })).ok, true);
  });

  it('a full-functionality check keeps its output and fails on non-zero exit or timeout', async () => {
    const ok = await runCheck(['sh', '-c', 'echo wrote key; echo read it back'], { ...ctx, timeoutMs: 2000 });
    assert.deepEqual([ok.ok, ok.output], [true, 'wrote key\nread it back']);
    const bad = await runCheck(['sh', '-c', 'echo read back wrong value; exit 1'], { ...ctx, timeoutMs: 2000 });
    assert.deepEqual([bad.ok, bad.output], [false, 'read back wrong value']);
    const slow = await runCheck(['sleep', '5'], { ...ctx, timeoutMs: 200 });
    assert.deepEqual([slow.ok, slow.output], [false, 'timed out after 200ms']);
  });
});
