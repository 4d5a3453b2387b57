import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serveApi, type ApiServer } from '../../src/core/api/server';
import { errorBodySchema } from '../../src/core/contract/schemas/common';
import { unixFetch } from '../../src/core/client/unix-fetch';
import { Engine } from '../../src/core/engine';
import { EngineHost } from '../../src/core/host/engine-host';
import { MemoryStore } from '../../src/core/memory/memory-store';
import { socketPath } from '../../src/core/stack-lock';
import { NODE, tempStack, type TempStack } from '../helpers/stack';

/**
 * Names that every JavaScript object answers to (`__proto__`, `constructor`, `toString`, …) are
 * names like any other for the API: not a service, not a profile, so 404 in the usual shape.
 */

const TRICKY = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__'];

interface Answer {
  status: number;
  body: unknown;
}

describe('control API: names that are properties of every object (real engine, real socket)', function () {
  this.timeout(60_000);
  let t: TempStack;
  let engine: Engine;
  let memory: MemoryStore;
  let server: ApiServer;
  let sock: string;

  async function send(method: string, path: string, body?: unknown): Promise<Answer> {
    const res = await unixFetch(sock)(`http://opsdeck${path}`, {
      method,
      ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
  }

  function assertNotFound(a: Answer, code: string, what: string) {
    assert.equal(a.status, 404, `${what}: ${JSON.stringify(a.body)}`);
    const e = errorBodySchema.parse(a.body).error;
    assert.equal(e.code, code, what);
    assert.ok(e.hint, what);
  }

  before(async () => {
    t = tempStack({
      version: 1,
      name: 'names',
      profiles: { dev: { services: ['storage'] } },
      services: { storage: { tier: 'storage', command: [NODE, '-e', 'setInterval(() => {}, 1000)'] } },
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

  it('every service route answers 404 SERVICE_UNKNOWN, dry run or not', async () => {
    for (const name of TRICKY) {
      const n = encodeURIComponent(name);
      assertNotFound(await send('GET', `/v1/services/${n}/logs`), 'SERVICE_UNKNOWN', `logs of ${name}`);
      assertNotFound(await send('GET', `/v1/services/${n}/logs?follow=true`), 'SERVICE_UNKNOWN', `followed logs of ${name}`);
      for (const action of ['start', 'stop', 'restart']) {
        assertNotFound(await send('POST', `/v1/services/${n}/${action}?dry_run=true`), 'SERVICE_UNKNOWN', `${action} of ${name} (dry run)`);
      }
      assertNotFound(await send('POST', '/v1/stack/up', { services: [name], dry_run: true }), 'SERVICE_UNKNOWN', `up ${name}`);
      assertNotFound(await send('POST', '/v1/stack/down', { services: [name], dry_run: true }), 'SERVICE_UNKNOWN', `down ${name}`);
      assertNotFound(await send('GET', `/v1/metrics/history?service=${n}`), 'SERVICE_UNKNOWN', `metrics history of ${name}`);
      assertNotFound(await send('POST', '/v1/backups', { services: [name], dry_run: true }), 'SERVICE_UNKNOWN', `backup of ${name}`);
    }
    // Without a dry run too: nothing may start, stop or restart.
    for (const name of ['constructor', '__proto__']) {
      for (const action of ['start', 'stop', 'restart']) {
        assertNotFound(await send('POST', `/v1/services/${name}/${action}`), 'SERVICE_UNKNOWN', `${action} of ${name}`);
      }
    }
    assert.deepEqual(engine.status().services.map((s) => [s.name, s.state]), [['storage', 'stopped']]);
  });

  it('the profile route answers 404 PROFILE_UNKNOWN and keeps the profile', async () => {
    for (const name of TRICKY) {
      assertNotFound(await send('PUT', '/v1/profile', { name, dry_run: true }), 'PROFILE_UNKNOWN', `profile ${name} (dry run)`);
      assertNotFound(await send('PUT', '/v1/profile', { name }), 'PROFILE_UNKNOWN', `profile ${name}`);
    }
    assert.equal(engine.status().profile, 'dev');
  });

  it('a known name still works on the same routes', async () => {
    const a = await send('POST', '/v1/services/storage/restart?dry_run=true');
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal((await send('GET', '/v1/services/storage/logs')).status, 200);
    assert.equal((await send('PUT', '/v1/profile', { name: 'dev', dry_run: true })).status, 200);
  });
});

describe('control API: every 500 is in the engine log with its stack (real engine host)', function () {
  this.timeout(60_000);
  let t: TempStack;
  let host: EngineHost | undefined;

  before(() => {
    t = tempStack({ version: 1, name: 'fails', services: { app: { command: [NODE, '-e', 'setInterval(() => {}, 1000)'] } } });
  });

  after(async () => {
    await host?.stop();
    t?.cleanup();
  });

  it('a forced failure answers 500, and .opsdeck/logs/engine.log has the error and its stack', async () => {
    host = await EngineHost.start(t.dir, { owner: 'test', version: 'test' });
    const forced = new Error('forced failure for the test');
    host.engine.status = () => {
      throw forced;
    };
    const res = await unixFetch(host.socketPath)('http://opsdeck/v1/status');
    assert.equal(res.status, 500);
    const e = errorBodySchema.parse(await res.json()).error;
    assert.equal(e.code, 'INTERNAL');
    assert.match(e.hint ?? '', /\.opsdeck\/logs\/engine\.log/);
    const log = readFileSync(join(t.dir, '.opsdeck', 'logs', 'engine.log'), 'utf8');
    assert.match(log, /GET \/v1\/status answered 500: Error: forced failure for the test/);
    assert.ok(log.includes(forced.stack!.split('\n')[1]!.trim()), `the stack is logged:\n${log}`);
  });
});
