import assert from 'node:assert/strict';
import { EventBus } from '../../src/core/events';
import { Supervisor } from '../../src/core/supervisor/supervisor';
import { fixture, freePort, httpService, nextEvent, NODE, record, tempStack, transitions, type TempStack } from '../helpers/stack';
import type { EngineEvent } from '../../src/core/contract/events';

/** An HTTP service of `tier` that takes 100 ms to listen. */
async function tiered(tier: string, extra: Record<string, unknown> = {}) {
  const { config, url } = await httpService({ tier, env: { READY_DELAY_MS: 100 }, stop_grace: '1s', ...extra });
  config.health = { readiness: { http: { url }, interval: '100ms' } };
  return config;
}

const indexOf = (events: EngineEvent[], type: string, service: string, to?: string) =>
  events.findIndex((e) => e.type === type && e.service === service && (to === undefined || (e.type === 'state' && e.to === to)));

describe('dependency order and upstream failures (real processes)', function () {
  this.timeout(30_000);
  let t: TempStack;
  let sup: Supervisor;
  afterEach(async () => {
    await sup?.dispose();
    t?.cleanup();
  });

  it('starts a diamond across tiers in order; independent services start together; stops in reverse', async () => {
    // db (storage) ← queue (messaging), cache (storage) ← api (server) ← worker (worker), with
    // api needing both queue and cache: a diamond whose two sides are in different tiers.
    t = tempStack({
      version: 1,
      name: 'diamond',
      services: {
        worker: await tiered('worker', { depends_on: ['api'] }),
        api: await tiered('server', { depends_on: { queue: 'healthy', cache: 'healthy' } }),
        queue: await tiered('messaging', { depends_on: ['db'] }),
        cache: await tiered('storage'),
        db: await tiered('storage'),
      },
    });
    const bus = new EventBus();
    const events = record(bus);
    sup = new Supervisor(t.stack, { bus });
    sup.up();
    await sup.waitFor('worker', 'ready');
    const spawn = (s: string) => indexOf(events, 'spawn', s);
    const ready = (s: string) => indexOf(events, 'state', s, 'ready');
    // The two storage services start concurrently: both spawned before either is ready.
    assert.ok(Math.max(spawn('db'), spawn('cache')) < Math.min(ready('db'), ready('cache')));
    assert.ok(spawn('queue') > ready('db'), 'queue waits for db to be healthy');
    assert.ok(spawn('queue') > ready('cache'), 'messaging waits for the storage tier to settle');
    assert.ok(spawn('api') > ready('queue') && spawn('api') > ready('cache'), 'api waits for both sides of the diamond');
    assert.ok(spawn('worker') > ready('api'));
    const waiting = events.find((e) => e.type === 'state' && e.service === 'api' && e.reason.startsWith('waiting for'));
    assert.ok(waiting, 'api says what it waits for');

    const stopOrder: string[] = [];
    bus.on('state', (e) => e.to === 'stopped' && stopOrder.push(e.service));
    await sup.down();
    assert.deepEqual(stopOrder.slice(0, 2), ['worker', 'api']);
    assert.deepEqual(stopOrder.slice(2, 3), ['queue']);
    assert.deepEqual(new Set(stopOrder.slice(3)), new Set(['cache', 'db']));
  });

  it('a crashed dependency degrades its dependents (upstream: NAME), which recover on their own', async () => {
    t = tempStack({
      version: 1,
      name: 'upstream',
      services: {
        storage: await tiered('storage', { restart: { backoff: { initial: '300ms', jitter: 0 } } }),
        api: await tiered('server', { depends_on: ['storage'] }),
      },
    });
    const bus = new EventBus();
    const events = record(bus);
    sup = new Supervisor(t.stack, { bus });
    sup.up();
    const apiPid = (await sup.waitFor('api', 'ready')).pid;
    const storagePid = sup.service('storage').pid!;
    const degraded = nextEvent(bus, 'state', (e) => e.service === 'api' && e.to === 'degraded');
    process.kill(storagePid, 'SIGKILL');
    assert.equal((await degraded).reason, 'upstream: storage');
    await nextEvent(bus, 'state', (e) => e.service === 'api' && e.to === 'ready');
    assert.equal(sup.service('storage').state, 'ready');
    assert.equal(sup.service('api').pid, apiPid, 'api was not restarted');
    assert.deepEqual(transitions(events, 'api').slice(-2), ['ready→degraded', 'degraded→ready']);
    assert.equal(events.filter((e) => e.type === 'restart' && e.service === 'api').length, 0);
  });

  it('a failed dependency leaves dependents degraded, not crash-looping; they start once it recovers', async () => {
    t = tempStack({
      version: 1,
      name: 'failed-upstream',
      services: {
        storage: {
          tier: 'storage',
          command: [NODE, fixture('crasher.cjs')],
          env: { DELAY_MS: 300 },
          health: { readiness: { tcp: { port: await freePort() } } },
          restart: { max_retries: 0 },
        },
        api: await tiered('server', { depends_on: ['storage'] }),
      },
    });
    const bus = new EventBus();
    const events = record(bus);
    sup = new Supervisor(t.stack, { bus });
    sup.up();
    await sup.waitFor('storage', 'failed');
    const api = await sup.waitFor('api', 'degraded');
    assert.equal(api.reason, 'upstream: storage');
    assert.equal(api.pid, undefined, 'api never started');
    assert.equal(events.filter((e) => e.type === 'spawn' && e.service === 'api').length, 0);

    // The operator fixes storage (here: points it at a working program) and starts it again.
    const port = await freePort();
    Object.assign(t.stack.config.services.storage!, {
      command: [NODE, fixture('http-service.cjs')],
      env: { PORT: String(port) },
      health: { readiness: { http: { url: `http://127.0.0.1:${port}/health`, method: 'GET' } } },
    });
    await sup.dispose();
    sup = new Supervisor(t.stack, { bus });
    sup.up();
    await sup.waitFor('api', 'ready');
  });

  it('a dependent that crashes while its upstream is down waits for it instead of crash-looping', async () => {
    t = tempStack({
      version: 1,
      name: 'wait-upstream',
      services: {
        storage: await tiered('storage', { restart: { backoff: { initial: '1500ms', jitter: 0 } } }),
        api: (await httpService({ tier: 'server', depends_on: ['storage'], restart: { backoff: { initial: '0s', jitter: 0 } } })).config,
      },
    });
    const bus = new EventBus();
    const events = record(bus);
    sup = new Supervisor(t.stack, { bus });
    sup.up();
    const apiPid = (await sup.waitFor('api', 'ready')).pid!;
    const degraded = nextEvent(bus, 'state', (e) => e.service === 'api' && e.to === 'degraded');
    process.kill(sup.service('storage').pid!, 'SIGKILL');
    await degraded;
    const waitingState = nextEvent(bus, 'state', (e) => e.service === 'api' && e.reason.includes('restarts when it recovers'));
    process.kill(apiPid, 'SIGKILL');
    await waitingState;
    assert.equal(events.filter((e) => e.type === 'restart' && e.service === 'api').length, 0, 'no restart while upstream is down');
    const back = await sup.waitFor('api', 'ready');
    assert.notEqual(back.pid, apiPid);
    assert.equal(sup.service('storage').state, 'ready');
  });

  it('honours started and completed conditions', async () => {
    t = tempStack({
      version: 1,
      name: 'conditions',
      services: {
        migrate: { tier: 'storage', command: [NODE, fixture('oneshot.cjs')], env: { DELAY_MS: 200 } },
        api: await tiered('server', { depends_on: { migrate: 'completed' } }),
        sidecar: { tier: 'worker', command: [NODE, fixture('logger.cjs')], depends_on: { api: 'started' } },
      },
    });
    const bus = new EventBus();
    const events = record(bus);
    sup = new Supervisor(t.stack, { bus });
    sup.up();
    await sup.waitFor('sidecar', 'ready');
    await sup.waitFor('api', 'ready');
    assert.ok(indexOf(events, 'spawn', 'api') > indexOf(events, 'state', 'migrate', 'stopped'), 'api after migrate completed');
    assert.ok(indexOf(events, 'spawn', 'sidecar') > indexOf(events, 'spawn', 'api'));
    assert.ok(indexOf(events, 'spawn', 'sidecar') < indexOf(events, 'state', 'api', 'ready'), '"started" does not wait for readiness');
  });
});
