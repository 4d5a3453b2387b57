import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FakeClock, sleep } from '../../src/core/clock';
import { Engine } from '../../src/core/engine';
import { percentiles } from '../../src/core/metrics/percentile';
import { LongTermMetrics } from '../../src/core/metrics/store/long-term-metrics';
import { RollupDb } from '../../src/core/metrics/store/rollup-db';
import { emptyServiceRow, emptyStackRow } from '../../src/core/metrics/store/rows';
import { httpService, record, tempStack, until, type TempStack } from '../helpers/stack';
import type { EventOf } from '../../src/core/contract/events';
import type { StackMetrics } from '../../src/core/contract/metrics';
import { DEFAULT_ROLLUP_RETENTION } from '../../src/core/contract/metrics-store';

const MIN = 60_000;

/** The long-term store fed by a real engine (real service, real probes) on an injected clock. */
describe('long-term metrics store (real engine, injected clock, real SQLite)', () => {
  let t: TempStack;
  let engine: Engine | undefined;
  let store: LongTermMetrics | undefined;
  afterEach(async () => {
    await engine?.dispose();
    await store?.close();
    t?.cleanup();
  });

  it('rolls samples, probes, restarts and state time up into minutes that equal those recomputed from the raw events; hours are their sums', async function () {
    this.timeout(120_000);
    const api = await httpService();
    t = tempStack({ version: 1, name: 'roll', services: { api: api.config } });
    const clock = new FakeClock(Date.UTC(2026, 0, 5, 10, 0, 0) + 500);
    engine = new Engine(t.stack, { clock });
    const events = record(engine.bus);
    const samples: StackMetrics[] = [];
    const opsdeck = join(t.dir, '.opsdeck');
    const owned = engine;
    store = new LongTermMetrics(opsdeck, { clock, retention: DEFAULT_ROLLUP_RETENTION, states: () => owned.supervisor.snapshot().map((s) => ({ name: s.name, state: s.state })), ingestBytes: 1e12, ingestEveryMs: 1e12 });
    const real = store;
    engine.useLongTermMetrics({
      attach: (bus) => real.attach(bus),
      sample: (m) => {
        samples.push(m);
        real.sample(m);
      },
      mark: (m) => real.mark(m),
      rows: (q) => real.rows(q),
      marks: (s, u, o) => real.marks(s, u, o),
      stats: () => real.stats(),
    });
    const start = clock.now();
    engine.up();
    for (const end = Date.now() + 30_000; engine.supervisor.service('api').state !== 'ready'; ) {
      assert.ok(Date.now() < end, 'api did not become ready');
      await clock.advance(25);
      await sleep(20);
    }
    // Three minutes of the engine's clock, a restart in the middle; each timer fired at its time,
    // and the real probes it starts awaited before the clock moves on.
    const drive = async (ms: number) => {
      const endAt = clock.now() + ms;
      while (clock.now() < endAt) {
        const next = Math.min(clock.pending()[0] ?? 1000, endAt - clock.now());
        const probes = events.filter((e) => e.type === 'probe').length;
        await clock.advance(next);
        await until(() => engine!.supervisor.service('api').state === 'ready' || events.filter((e) => e.type === 'probe').length > probes, 10_000).catch(() => undefined);
        await sleep(5);
      }
    };
    await drive(80_000);
    // A crash: the engine restarts it (a `restart` event, after its backoff on the injected clock).
    process.kill(engine.supervisor.service('api').pid!, 'SIGKILL');
    await until(() => events.some((e) => e.type === 'restart'), 10_000, 'the restart');
    for (const end = Date.now() + 30_000; engine.supervisor.service('api').state !== 'ready'; ) {
      assert.ok(Date.now() < end, 'api did not come back');
      await clock.advance(25);
      await sleep(20);
    }
    await drive(100_000);
    const lastFull = Math.floor(clock.now() / MIN) * MIN;
    store.flush();

    const got = await store.rows({ resolution: 'minute', since: start, until: lastFull });
    assert.ok(got.services.length >= 3, `${got.services.length} minute rows`);

    // Recomputed from the raw events and samples, minute by minute.
    const minuteOf = (at: number) => Math.floor(at / MIN) * MIN;
    const probes = events.filter((e): e is EventOf<'probe'> => e.type === 'probe' && e.service === 'api');
    const states = events.filter((e): e is EventOf<'state'> => e.type === 'state' && e.service === 'api');
    for (const row of got.services) {
      const inMinute = (at: number) => minuteOf(at) === row.at;
      const p = probes.filter((e) => inMinute(e.at));
      const ok = p.filter((e) => e.ok).map((e) => e.latencyMs);
      const [p50, p95] = percentiles(ok, [50, 95]);
      assert.equal(row.probes, p.length, `probes at ${new Date(row.at).toISOString()}`);
      assert.equal(row.probeFailures, p.filter((e) => !e.ok).length);
      assert.equal(row.p50, p50 ?? null);
      assert.equal(row.p95, p95 ?? null);
      assert.equal(row.latMax, ok.length ? Math.max(...ok) : null);
      const s = samples.filter((m) => inMinute(m.at)).map((m) => m.services.find((x) => x.service === 'api')!);
      assert.equal(row.samples, s.length);
      const rss = s.filter((x) => x.rssMb !== undefined).map((x) => x.rssMb!);
      assert.equal(row.rssN, rss.length);
      assert.ok(Math.abs(row.rssSum - rss.reduce((a, b) => a + b, 0)) < 1e-6);
      assert.equal(row.restarts, events.filter((e) => e.type === 'restart' && inMinute(e.at)).length);
      // Ready time: the state timeline clipped to the minute.
      let ready = 0;
      let cur: { to: string; at: number } = { to: 'stopped', at: start };
      for (const e of [...states, { to: 'end', at: row.at + MIN } as unknown as EventOf<'state'>]) {
        const from = Math.max(cur.at, row.at);
        const to = Math.min(e.at, row.at + MIN);
        if (to > from && (cur.to === 'ready' || cur.to === 'degraded')) ready += to - from;
        cur = { to: e.to, at: e.at };
      }
      assert.ok(Math.abs(row.readySec - ready / 1000) < 0.002, `ready ${row.readySec} s vs ${ready / 1000} s at ${new Date(row.at).toISOString()}`);
    }
    assert.ok(got.services.some((r) => r.probes > 0 && r.p50 !== null), 'some minute has probe latencies');
    assert.equal(got.services.reduce((a, r) => a + r.restarts, 0), 1, 'the one restart is counted');

    // The hour is the sum of its minutes.
    const hours = await store.rows({ resolution: 'hour', since: start, until: lastFull + 3_600_000 });
    const apiHour = hours.services.find((r) => r.service === 'api')!;
    const minutesAll = await store.rows({ resolution: 'minute', since: start - MIN, until: clock.now() + MIN });
    const apiMinutes = minutesAll.services.filter((r) => r.service === 'api');
    assert.equal(apiHour.probes, apiMinutes.reduce((a, r) => a + r.probes, 0));
    assert.equal(apiHour.samples, apiMinutes.reduce((a, r) => a + r.samples, 0));
    assert.ok(Math.abs(apiHour.readySec - apiMinutes.reduce((a, r) => a + r.readySec, 0)) < 0.01);
    // The marks: the restart, the state changes, the engine and its config.
    const marks = await store.marks(start - MIN, clock.now() + MIN);
    assert.equal(marks.filter((m) => m.kind === 'restart').length, 1);
    assert.ok(marks.some((m) => m.kind === 'config' && typeof m.data.hash === 'string'));
    assert.ok(marks.some((m) => m.kind === 'engine'));
    assert.ok(marks.some((m) => m.kind === 'profile' && typeof m.data.profile === 'string'), 'the engine marks the profile it starts with (the report\'s time per profile)');
    assert.equal(marks.filter((m) => m.kind === 'state').length, states.length);
    assert.ok(existsSync(join(opsdeck, 'metrics.db')));
  });

  it('survives a restart of the store: what was journaled is in metrics.db for the next owner and for a command without engine', async function () {
    this.timeout(30_000);
    t = tempStack({ version: 1, name: 'keep', services: { api: { command: ['node', '-e', '0'] } } });
    // Recent hours: a command without engine applies retention against the real time.
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;
    const clock = new FakeClock(hour);
    const opsdeck = join(t.dir, '.opsdeck');
    const first = new LongTermMetrics(opsdeck, { clock, retention: DEFAULT_ROLLUP_RETENTION, states: () => [{ name: 'api', state: 'ready' }] });
    first.mark({ at: clock.now(), kind: 'backup', service: 'api', data: { phase: 'completed', bytesAdded: 1234 } });
    await clock.advance(3 * MIN + 5000);
    await first.close();

    store = new LongTermMetrics(opsdeck, { clock, retention: DEFAULT_ROLLUP_RETENTION, states: () => [] });
    const rows = await store.rows({ resolution: 'minute', since: clock.now() - 10 * MIN, until: clock.now() });
    assert.deepEqual(rows.services.map((r) => r.readySec), [60, 60, 60], 'three full ready minutes');
    assert.deepEqual((await store.marks(0, clock.now())).map((m) => m.data.bytesAdded), [1234]);
    await store.close();
    store = undefined;

    // No engine: the command opens the store in-process.
    const { metricsRollupsWithoutEngine } = await import('../../src/core/host/metrics-without-engine');
    const answer = await metricsRollupsWithoutEngine(t.dir, { since: hour - 3_600_000, until: hour + 3_600_000, resolution: 'hour' });
    assert.equal(answer.services.length, 1);
    assert.equal(answer.services[0]!.readySec, 180);
    await assert.rejects(metricsRollupsWithoutEngine(t.dir, { services: ['nope'] }), (e: Error & { code?: string }) => e.code === 'SERVICE_UNKNOWN');
    await assert.rejects(metricsRollupsWithoutEngine(t.dir, { since: 2000, until: 1000 }), (e: Error & { code?: string; hint?: string }) => e.code === 'BAD_REQUEST' && /since/.test(e.message) && !!e.hint);
  });

  it('retention drops minutes past the minute retention, hours and marks past the hour retention', () => {
    t = tempStack({ version: 1, name: 'ret', services: { api: { command: ['node', '-e', '0'] } } });
    const db = RollupDb.open(join(t.dir, '.opsdeck', 'metrics.db'));
    try {
      const day = 86_400_000;
      const now = Date.UTC(2026, 3, 1);
      const at = [now - 100 * day, now - 89 * day, now - 3 * day, now - 47 * 3_600_000, now - MIN];
      db.add(
        at.map((a) => ({ ...emptyServiceRow(Math.floor(a / MIN) * MIN, 'api'), samples: 1 })),
        at.map((a) => ({ ...emptyStackRow(Math.floor(a / MIN) * MIN), samples: 1 })),
        at.map((a) => ({ at: a, kind: 'rpo' as const, service: 'api', data: { ok: true } })),
      );
      assert.equal(db.stats().minuteRows, 5);
      db.retain(now, DEFAULT_ROLLUP_RETENTION);
      const s = db.stats();
      assert.equal(s.minuteRows, 2, 'minutes of the last 48 h');
      assert.equal(s.hourRows, 4, 'hours of the last 90 days');
      assert.equal(s.marks, 4);
      assert.equal(db.rows({ resolution: 'hour', since: 0, until: now }).stack.length, 4);
    } finally {
      db.close();
    }
  });
});

