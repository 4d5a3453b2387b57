import assert from 'node:assert/strict';
import { ApiClient } from '../../src/core/client/api-client';
import type { ServedEngine } from '../../src/core/api/served-engine';
import { createApi } from '../../src/core/api/routes/app';
import { OpsError } from '../../src/core/errors';
import { EventBus } from '../../src/core/events';
import type { EngineEvent } from '../../src/core/contract/events';

const bus = new EventBus();
const calls: unknown[][] = [];
const engine: ServedEngine = {
  bus,
  status: () => ({ stack: 's', dir: '/s', profile: 'dev', services: [], health: { level: 'OK', summary: '0/0 OK', services: [] }, ipc: { score: 0, level: 'ok', summary: 'IPC 0: no probe results' }, engine: { pid: 1, startedAt: 0 } }),
  health: () => ({ level: 'OK', summary: 'now', services: [] }),
  checkAll: async () => ({ level: 'OK', summary: 'checked', services: [] }),
  up: (services, opts) => (calls.push(['up', services, opts]), { dryRun: !!opts?.dryRun, plan: [] }),
  down: async (services, opts) => (calls.push(['down', services, opts]), { dryRun: !!opts?.dryRun, plan: [] }),
  restart: async (name, opts) => {
    if (name === 'nope') throw new OpsError('SERVICE_UNKNOWN', 'no service named "nope"', 'did you mean `api`?');
    return { dryRun: !!opts?.dryRun, plan: [{ action: 'restart', service: name, wave: 0, reason: 'requested' }] };
  },
  profiles: () => ({ active: 'dev', profiles: [{ name: 'dev', services: ['api'] }] }),
  useProfile: async (name, opts) => (calls.push(['useProfile', name, opts]), { dryRun: !!opts?.dryRun, plan: [] }),
  logs: (service, opts) => (calls.push(['logs', service, opts]), [{ at: 1, stream: 'stdout', line: 'x' }]),
  searchMemory: (q) => (calls.push(['searchMemory', q]), { hits: [] }),
};

/** The client over the app in memory (no socket). */
function client(opts: { timeoutMs?: number } = {}) {
  const app = createApi(engine);
  return new ApiClient('/nowhere.sock', { ...opts, fetch: (input, init) => Promise.resolve(app.fetch(new Request(input, init))) });
}

describe('api: ApiClient', () => {
  beforeEach(() => (calls.length = 0));

  it('sends what the methods say, in the API\'s spelling', async () => {
    const api = client();
    assert.equal((await api.health()).summary, 'now');
    assert.equal((await api.health(true)).summary, 'checked');
    await api.up({ services: ['api'], dryRun: true });
    await api.down();
    await api.start('api');
    await api.stop('api', true);
    await api.useProfile('dev', true);
    assert.deepEqual(await api.logs('api', { lines: 5, since: new Date(1000) }), [{ at: 1, stream: 'stdout', line: 'x' }]);
    await api.searchMemory({ text: 'crash', service: ['a', 'b'], kind: 'restart', since: 5, limit: 3 });
    assert.deepEqual(calls, [
      ['up', ['api'], { dryRun: true }],
      ['down', undefined, { dryRun: false }],
      ['up', ['api'], { dryRun: false }],
      ['down', ['api'], { dryRun: true }],
      ['useProfile', 'dev', { dryRun: true }],
      ['logs', 'api', { lines: 5, since: 1000 }],
      ['searchMemory', { text: 'crash', service: ['a', 'b'], kind: ['restart'], since: 5, limit: 3 }],
    ]);
    assert.equal((await api.restart('api', true)).plan[0]!.action, 'restart');
    assert.equal((await api.profiles()).active, 'dev');
    assert.equal((await api.status()).profile, 'dev');
  });

  it('throws the OpsError of an error answer, code, message, hint and status', async () => {
    await assert.rejects(client().restart('nope'), (e: unknown) => {
      assert.ok(e instanceof OpsError);
      assert.equal(e.code, 'SERVICE_UNKNOWN');
      assert.equal(e.message, 'no service named "nope"');
      assert.equal(e.hint, 'did you mean `api`?');
      assert.deepEqual(e.details, { status: 404 });
      return true;
    });
    await assert.rejects(client().metrics(), (e: unknown) => e instanceof OpsError && e.code === ('NOT_AVAILABLE' as string));
  });

  it('gives up after timeoutMs with ENGINE_UNREACHABLE', async () => {
    const hanging = new ApiClient('/nowhere.sock', {
      timeoutMs: 50,
      fetch: (_input, init) => new Promise((_ok, fail) => init?.signal?.addEventListener('abort', () => fail(init.signal!.reason))),
    });
    await assert.rejects(hanging.status(), (e: unknown) => e instanceof OpsError && e.code === 'ENGINE_UNREACHABLE' && /50 ms/.test(e.message));
  });

  it('events: parsed EngineEvents until the signal aborts', async () => {
    const got: EngineEvent[] = [];
    const stop = new AbortController();
    const done = client().events((e) => {
      got.push(e);
      if (got.length === 2) stop.abort();
    }, { types: ['exit', 'gave-up'], onOpen: () => {
      bus.emit({ type: 'spawn', at: 1, service: 'a', pid: 2, command: [] });
      bus.emit({ type: 'exit', at: 2, service: 'a', pid: 2, code: 1, signal: null, expected: false });
      bus.emit({ type: 'gave-up', at: 3, service: 'a', restarts: 5, windowMs: 600_000 });
    } }, stop.signal);
    await done;
    assert.deepEqual(got.map((e) => e.type), ['exit', 'gave-up']);
    assert.deepEqual(got[0], { type: 'exit', at: 2, service: 'a', pid: 2, code: 1, signal: null, expected: false });
  });

  it('a callback that throws ends the stream with its own error', async () => {
    const boom = new Error('boom in the callback');
    const done = client().events(() => {
      throw boom;
    }, { onOpen: () => bus.emit({ type: 'spawn', at: 1, service: 'a', pid: 2, command: [] }) });
    await assert.rejects(done, (e: unknown) => e === boom);
  });

  it('a stream already aborted does nothing', async () => {
    const stop = new AbortController();
    stop.abort();
    await client().events(() => assert.fail('no events'), {}, stop.signal);
  });
});
