import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { serveApi, type ApiServer } from '../../src/core/api/server';
import { ApiClient } from '../../src/core/client/api-client';
import { ReadClient } from '../../src/core/client/read-client';
import { OpsError } from '../../src/core/errors';
import { stubServedEngine } from '../helpers/served-engine-stub';
import type { StackHealth } from '../../src/core/contract/health';
import type { EngineStatus } from '../../src/core/contract/status';

const health: StackHealth = {
  level: 'WARNING',
  summary: '1/2 OK',
  services: [
    { service: 'api', level: 'OK', reason: 'ready' },
    { service: 'db', level: 'WARNING', reason: 'slow' },
  ],
};
const checks: unknown[] = [];
const services = ['api', 'db'].map((name) => ({ name, state: 'ready', reason: 'ready', since: 0, restarts: 0, attempt: 0, completed: false, lastProbe: {}, tier: 'server', inProfile: true, health: 'OK' })) as EngineStatus['services'];
const engine = stubServedEngine({
  status: (names) => ({
    stack: 's', dir: '/s', profile: 'dev', services: services.filter((s) => !names || names.includes(s.name)), health,
    ipc: { score: 0, level: 'ok', summary: 'IPC 0: no probe results' }, engine: { pid: 1, startedAt: 0 },
  }),
  health: () => health,
  checkAll: async (names) => (checks.push(names), { ...health, summary: 'checked' }),
  profiles: () => ({ active: 'dev', profiles: [{ name: 'dev', services: ['api'] }] }),
});

describe('api: ReadClient (status, health, profiles over plain node:http)', () => {
  let dir: string;
  let server: ApiServer;
  let read: ReadClient;
  let api: ApiClient;
  before(async () => {
    dir = mkdtempSync(join(os.tmpdir(), 'opsdeck-read-client-'));
    server = await serveApi(engine, join(dir, 'engine.sock'));
    read = new ReadClient(server.socketPath);
    api = new ApiClient(server.socketPath);
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => (checks.length = 0));

  it('answers as ApiClient does', async () => {
    assert.deepEqual(await read.status(), await api.status());
    const db = await read.status(['db']);
    assert.deepEqual(db.services.map((s) => s.name), ['db'], 'the names reach the engine');
    assert.deepEqual(db, await api.status(['db']));
    assert.deepEqual(await read.profiles(), await api.profiles());
    assert.deepEqual(await read.health(), await api.health());
    assert.deepEqual(await read.health(false, ['db']), await api.health(false, ['db']));
    assert.deepEqual(await read.health(true, ['api', 'db']), await api.health(true, ['api', 'db']));
    assert.deepEqual(checks, [['api', 'db'], ['api', 'db']], 'the same check, asked the same way');
  });

  it('throws the OpsError of an error answer as ApiClient does', async () => {
    const [mine, theirs] = await Promise.all([read.health(false, ['nope']).catch((e: unknown) => e), api.health(false, ['nope']).catch((e: unknown) => e)]);
    assert.ok(mine instanceof OpsError && theirs instanceof OpsError);
    assert.equal(mine.code, 'SERVICE_UNKNOWN');
    assert.deepEqual([mine.code, mine.message, mine.hint, mine.details], [theirs.code, theirs.message, theirs.hint, theirs.details]);
  });

  it('is ENGINE_UNREACHABLE on a socket nobody listens on', async () => {
    await assert.rejects(new ReadClient(join(dir, 'nobody.sock')).status(), (e: unknown) => e instanceof OpsError && e.code === 'ENGINE_UNREACHABLE');
  });
});
