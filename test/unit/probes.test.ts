import assert from 'node:assert/strict';
import { createServer as createHttp, type Server } from 'node:http';
import { createServer as createTcp } from 'node:net';
import { runCheck } from '../../src/core/health/check';
import { runProbe } from '../../src/core/health/probes';
import { freePort } from '../helpers/stack';

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
