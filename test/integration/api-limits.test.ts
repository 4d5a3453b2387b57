import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { serveApi, type ApiServer } from '../../src/core/api/server';
import { errorBodySchema } from '../../src/core/contract/schemas/common';
import { Engine } from '../../src/core/engine';
import { MemoryStore } from '../../src/core/memory/memory-store';
import { socketPath } from '../../src/core/stack-lock';
import { NODE, tempStack, type TempStack } from '../helpers/stack';

/**
 * One request must not make the engine work without bound: bodies and names are capped with a
 * clear 413 / 400 in the API's error format, and the engine keeps answering.
 */

interface Answer {
  status: number;
  body: unknown;
  ms: number;
}

describe('control API limits (real engine, real socket)', function () {
  this.timeout(60_000);
  let t: TempStack;
  let engine: Engine;
  let memory: MemoryStore;
  let server: ApiServer;
  let sock: string;

  /**
   * A request written as any client could: `body` sent with a content-length, or in chunks
   * without one (`chunked`). Resolves with the answer even when the server stops reading early.
   */
  function send(method: string, path: string, body?: string | Buffer, opts: { chunked?: boolean } = {}): Promise<Answer> {
    const start = Date.now();
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (body !== undefined && !opts.chunked) headers['content-length'] = String(Buffer.byteLength(body));
      const req = request({ socketPath: sock, path, method, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: kept as text, and the assertions say so
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, ms: Date.now() - start });
        });
      });
      req.on('error', (e) => reject(e));
      if (body === undefined) req.end();
      else if (!opts.chunked) req.end(body);
      else {
        const data = Buffer.from(body);
        const step = 64 * 1024;
        let at = 0;
        const pump = () => {
          while (at < data.length) {
            const piece = data.subarray(at, at + step);
            at += step;
            if (!req.write(piece)) return void req.once('drain', pump);
          }
          req.end();
        };
        pump();
      }
    });
  }

  function assertError(a: Answer, status: number, code: string, message: RegExp) {
    assert.equal(a.status, status, JSON.stringify(a.body).slice(0, 500));
    const e = errorBodySchema.parse(a.body).error;
    assert.equal(e.code, code);
    assert.match(e.message, message);
    assert.ok(e.message.length < 500, 'the message does not echo the huge input');
    return e;
  }

  async function stillAnswers() {
    const a = await send('GET', '/v1/status');
    assert.equal(a.status, 200);
    assert.ok(a.ms < 5000, `status took ${a.ms} ms`);
  }

  before(async () => {
    t = tempStack({
      version: 1,
      name: 'limits',
      profiles: { dev: { services: ['storage', 'api'] } },
      services: {
        storage: { tier: 'storage', command: [NODE, '-e', 'setInterval(() => {}, 1000)'] },
        api: { command: [NODE, '-e', 'setInterval(() => {}, 1000)'], depends_on: ['storage'] },
      },
    });
    engine = new Engine(t.stack);
    memory = MemoryStore.open(join(t.dir, '.opsdeck', 'memory.db'));
    engine.useMemory(memory);
    sock = socketPath(t.dir);
    server = await serveApi(engine, sock);
  });

  after(async () => {
    await server?.close();
    await engine?.dispose();
    memory?.close();
    t?.cleanup();
  });

  const huge = 'x'.repeat(10 * 1024 * 1024);

  it('a 10 MB service name in a body: 413 at once, and the engine still answers', async () => {
    const a = await send('POST', '/v1/stack/up', JSON.stringify({ services: [huge], dry_run: true }));
    const e = assertError(a, 413, 'BAD_REQUEST', /request body is larger than 1 MiB/);
    assert.match(e.hint ?? '', /smaller/);
    assert.ok(a.ms < 5000, `answered after ${a.ms} ms`);
    await stillAnswers();
  });

  it('a 10 MB profile name: 413 at once', async () => {
    const a = await send('PUT', '/v1/profile', JSON.stringify({ name: huge, dry_run: true }));
    assertError(a, 413, 'BAD_REQUEST', /larger than 1 MiB/);
    assert.ok(a.ms < 5000, `answered after ${a.ms} ms`);
    await stillAnswers();
  });

  it('an oversized body sent in chunks, without a content-length: 413', async () => {
    const a = await send('POST', '/v1/stack/up', JSON.stringify({ services: [huge] }), { chunked: true });
    assertError(a, 413, 'BAD_REQUEST', /larger than 1 MiB/);
    await stillAnswers();
  });

  it('a body in chunks under the limit is read as usual', async () => {
    const a = await send('POST', '/v1/stack/up', JSON.stringify({ services: ['storage'], dry_run: true }) + ' '.repeat(200_000), { chunked: true });
    assert.equal(a.status, 200, JSON.stringify(a.body).slice(0, 300));
    assert.deepEqual((a.body as { plan: { service: string }[] }).plan.map((s) => s.service), ['storage']);
  });

  it('a long name under the body limit: 400 naming the limit, for every place a name goes', async () => {
    const long = 'y'.repeat(200_000);
    const cases: [string, string, object][] = [
      ['POST', '/v1/stack/up', { services: [long], dry_run: true }],
      ['POST', '/v1/stack/down', { services: [long], dry_run: true }],
      ['PUT', '/v1/profile', { name: long, dry_run: true }],
      ['POST', '/v1/backups', { services: [long], dry_run: true }],
    ];
    for (const [method, path, body] of cases) {
      const a = await send(method, path, JSON.stringify(body));
      const e = assertError(a, 400, 'BAD_REQUEST', /at most 63 characters/);
      assert.ok(a.ms < 5000, `${path} answered after ${a.ms} ms`);
      assert.ok(e.issues?.length, path);
    }
    await stillAnswers();
  });

  it('a long name in the path: 400 naming the limit', async () => {
    const long = 'z'.repeat(8000);
    for (const path of [`/v1/services/${long}/restart?dry_run=true`, `/v1/services/${long}/logs`]) {
      const a = await send(path.endsWith('logs') ? 'GET' : 'POST', path);
      assertError(a, 400, 'BAD_REQUEST', /param\.name.*at most 63 characters/);
      assert.ok(a.ms < 5000, `answered after ${a.ms} ms`);
    }
  });

  it('a list of more names than any stack has: 400', async () => {
    const a = await send('POST', '/v1/stack/up', JSON.stringify({ services: Array.from({ length: 20_000 }, (_, i) => `s${i}`), dry_run: true }));
    assertError(a, 400, 'BAD_REQUEST', /at most 10000 items/);
  });

  it('memory search: a long query, too many terms, too many names or too deep a nesting is a 400', async () => {
    const q = (params: Record<string, string>) => `/v1/memory/search?${new URLSearchParams(params).toString()}`;
    assertError(await send('GET', q({ text: 'word '.repeat(1000) })), 400, 'BAD_REQUEST', /query\.text.*at most 1000 characters/);
    assertError(await send('GET', q({ text: Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ') })), 400, 'MEMORY_QUERY_INVALID', /has 100 terms, more than 32/);
    assertError(await send('GET', q({ text: `${'('.repeat(50)}crash${')'.repeat(50)}` })), 400, 'MEMORY_QUERY_INVALID', /nests parentheses deeper than 8/);
    assertError(await send('GET', q({ service: Array.from({ length: 200 }, (_, i) => `s${i}`).join(',') })), 400, 'BAD_REQUEST', /query\.service.*at most 100/);
    assertError(await send('GET', q({ text: 'crash', limit: '100000' })), 400, 'BAD_REQUEST', /query\.limit/);
    const ok = await send('GET', q({ text: 'crash OR (storage AND exit*)', service: 'storage,api' }));
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    await stillAnswers();
  });

  it('a health timeout a timer cannot hold (over 2^31 ms) is a 400', async () => {
    const a = await send('POST', '/v1/backups/drill', JSON.stringify({ health_timeout_ms: 2 ** 31 }));
    assertError(a, 400, 'BAD_REQUEST', /health_timeout_ms/);
  });
});
