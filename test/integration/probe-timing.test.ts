import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { FakeClock, sleep } from '../../src/core/clock';
import { PROBE_DEFAULTS } from '../../src/core/config/schema';
import { EventBus } from '../../src/core/events';
import { Supervisor } from '../../src/core/supervisor/supervisor';
import { freePort, httpService, record, tempStack, until, type TempStack } from '../helpers/stack';
import type { EventOf } from '../../src/core/contract/events';

/** When probes run, on an injected clock: the times are exact, the services and probes real. */
describe('probe timing (real services, injected clock)', () => {
  let t: TempStack;
  let sup: Supervisor;
  afterEach(async () => {
    await sup?.dispose();
    t?.cleanup();
  });

  it('probes ready services every interval on a grid: at an offset from the name, liveness apart from readiness, services apart', async function () {
    this.timeout(60_000);
    const names = ['s01', 's02', 's03', 's04', 's05'];
    const services: Record<string, unknown> = {};
    for (const name of names) {
      const svc = await httpService();
      // Default intervals (readiness 5 s, liveness 10 s); liveness from the start.
      svc.config.health = { readiness: { http: { url: svc.url } }, liveness: { http: { url: svc.url }, start_period: '0s' } };
      services[name] = svc.config;
    }
    t = tempStack({ version: 1, name: 'grid', services });
    const clock = new FakeClock(Date.UTC(2026, 0, 1) + 1234); // not on a grid time
    const bus = new EventBus();
    const events = record(bus);
    sup = new Supervisor(t.stack, { bus, clock });
    sup.up();
    // The probes' times, as delays from now: the stack's one ticker holds them all and sets a
    // single clock timer for the soonest.
    const pending = () => sup.probeTicker.pending();
    // Every service spawned at once: its first readiness probe within 25 ms (the first startup
    // retry), its first liveness probe (start_period 0s) within 100 ms.
    const first = pending();
    assert.equal(first.length, 2 * names.length);
    assert.ok(first.every((d) => d < 100), `first probes in ${first.join(', ')} ms`);
    assert.ok(first.filter((d) => d < 25).length >= names.length, `first readiness probes in ${first.join(', ')} ms`);

    // Startup: readiness is retried every 25 ms of the engine's clock until each service answers.
    const ready = () => names.every((n) => sup.service(n).state === 'ready');
    for (const end = Date.now() + 30_000; !ready(); ) {
      assert.ok(Date.now() < end, `not ready: ${names.map((n) => `${n} ${sup.service(n).state}`).join(', ')}`);
      await clock.advance(25);
      await sleep(20); // the probes are real requests
    }

    // No probe of the startup still on its way (a probe in flight has no timer yet).
    await until(() => pending().length === 2 * names.length, 10_000, 'the startup probes to end');

    // Then 40 s of the engine's clock, each timer fired at its exact time.
    const from = events.length;
    const end = clock.now() + 40_000;
    const probeCount = () => events.filter((e) => e.type === 'probe').length;
    while (clock.now() < end) {
      const due0 = pending();
      const next = due0[0];
      assert.ok(next !== undefined, 'probes stay scheduled');
      assert.ok(clock.pending().includes(next), 'a clock timer for the soonest probes');
      const due = due0.filter((d) => d === next).length;
      const before = probeCount();
      await clock.advance(next);
      // A probe's event carries the clock's time when it ends: wait (real time) for the probes
      // just fired before moving the clock again.
      await until(() => probeCount() >= before + due, 10_000, `${due} probe(s) at +${next} ms`);
    }
    const probes = events.slice(from).filter((e): e is EventOf<'probe'> => e.type === 'probe');
    const offsets = new Map<string, number>();
    for (const name of names) {
      for (const [role, interval] of [['readiness', PROBE_DEFAULTS.readiness.interval], ['liveness', PROBE_DEFAULTS.liveness.interval]] as const) {
        // The first liveness probe comes start_period after the spawn, off the grid: left out.
        const firstOfRole = events.find((e) => e.type === 'probe' && e.service === name && e.probe === role);
        const at = probes.filter((p) => p.service === name && p.probe === role && p !== firstOfRole).map((p) => p.at);
        assert.ok(at.length >= 40_000 / interval - 1, `${name} ${role}: ${at.length} probes`);
        assert.deepEqual(at.slice(1).map((x, i) => x - at[i]!), Array(at.length - 1).fill(interval), `${name} ${role}: every ${interval} ms`);
        const offset = at[0]! % interval;
        assert.ok(offset < 100, `${name} ${role}: ${offset} ms after a grid time`);
        assert.equal(offset % 10, 0, `${name} ${role}: on one of the 10 ms steps the services share`);
        assert.ok(at.every((x) => x % interval === offset), `${name} ${role}: on its grid`);
        offsets.set(`${name} ${role}`, offset);
      }
      const apart = (offsets.get(`${name} liveness`)! - offsets.get(`${name} readiness`)! + 100) % 100;
      assert.ok(apart >= 49 && apart <= 51, `${name}: liveness ${apart} ms from readiness`);
      assert.ok(probes.filter((p) => p.service === name).every((p) => p.ok), `${name}: every probe passed`);
    }
    const readinessOffsets = new Set(names.map((n) => offsets.get(`${n} readiness`)));
    assert.ok(readinessOffsets.size >= names.length - 1, `services apart: offsets ${[...readinessOffsets].join(', ')}`);
  });

  it('a probe that takes longer than its interval never runs twice at once (real clock)', async function () {
    this.timeout(30_000);
    // The liveness probe asks a server of this test that answers after 300 ms; its interval is 50 ms.
    let inFlight = 0;
    let maxInFlight = 0;
    let served = 0;
    const slow = createServer((_req, res) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      setTimeout(() => {
        inFlight--;
        served++;
        res.end('ok');
      }, 300);
    });
    const slowPort = await freePort();
    await new Promise<void>((r) => slow.listen(slowPort, '127.0.0.1', r));
    try {
      const svc = await httpService();
      svc.config.health.liveness = { http: { url: `http://127.0.0.1:${slowPort}/` }, interval: '50ms', timeout: '5s', start_period: '0s' };
      t = tempStack({ version: 1, name: 'slow-probe', services: { api: svc.config } });
      const bus = new EventBus();
      const events = record(bus);
      sup = new Supervisor(t.stack, { bus });
      sup.up();
      await until(() => served >= 5, 20_000, 'five slow liveness answers');
      assert.equal(maxInFlight, 1, 'one liveness probe at a time');
      const liveness = events.filter((e): e is EventOf<'probe'> => e.type === 'probe' && e.probe === 'liveness');
      assert.ok(liveness.length >= 4 && liveness.every((e) => e.ok), `liveness probes passed: ${liveness.map((e) => e.error ?? 'ok').join(', ')}`);
    } finally {
      slow.closeAllConnections();
      slow.close();
    }
  });

  it('readiness and liveness that are the same check share one request when due together; different checks do not (real clock)', async function () {
    this.timeout(30_000);
    // Each service's probes ask a server of this test, which counts the requests it answers.
    const counters = await Promise.all([0, 1].map(async () => {
      const hits = { n: 0 };
      const server = createServer((_req, res) => {
        hits.n++;
        res.end('ok');
      });
      const port = await freePort();
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
      return { hits, server, url: `http://127.0.0.1:${port}` };
    }));
    try {
      const [twin, apart] = counters as [(typeof counters)[0], (typeof counters)[0]];
      const twinSvc = await httpService();
      // Readiness every 200 ms, liveness every 400 ms: each liveness probe falls 50 ms from a readiness probe.
      twinSvc.config.health = {
        readiness: { http: { url: `${twin.url}/health` }, interval: '200ms' },
        liveness: { http: { url: `${twin.url}/health` }, interval: '400ms', start_period: '0s' },
      };
      const apartSvc = await httpService();
      apartSvc.config.health = {
        readiness: { http: { url: `${apart.url}/health` }, interval: '200ms' },
        liveness: { http: { url: `${apart.url}/live` }, interval: '400ms', start_period: '0s' },
      };
      t = tempStack({ version: 1, name: 'twin-probes', services: { twin: twinSvc.config, apart: apartSvc.config } });
      const bus = new EventBus();
      const events = record(bus);
      sup = new Supervisor(t.stack, { bus });
      sup.up();
      const probes = (service: string, role: string) => events.filter((e): e is EventOf<'probe'> => e.type === 'probe' && e.service === service && e.probe === role);
      await until(() => probes('twin', 'liveness').length >= 10 && probes('apart', 'liveness').length >= 10, 20_000, 'ten liveness probes of each');
      await sup.dispose();
      const [tr, tl, ar, al] = [probes('twin', 'readiness'), probes('twin', 'liveness'), probes('apart', 'readiness'), probes('apart', 'liveness')];
      assert.ok([...tr, ...tl, ...ar, ...al].every((e) => e.ok), 'every probe passed');
      // Same check: the liveness probes were answered by the readiness requests, but for the first
      // (it may come before readiness's first, which asks itself while the service starts) and one
      // in flight when the supervisor stopped.
      assert.ok(twin.hits.n <= tr.length + 2, `same check: ${twin.hits.n} requests for ${tr.length} readiness and ${tl.length} liveness probes`);
      assert.ok(twin.hits.n <= tr.length + tl.length - 8, `same check: requests shared (${twin.hits.n} for ${tr.length} + ${tl.length} probes)`);
      // Different checks: a request for every probe.
      assert.ok(apart.hits.n >= ar.length + al.length, `different checks: ${apart.hits.n} requests for ${ar.length} + ${al.length} probes`);
    } finally {
      for (const c of counters) {
        c.server.closeAllConnections();
        c.server.close();
      }
    }
  });
});
