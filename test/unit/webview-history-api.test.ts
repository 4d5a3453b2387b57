/** The control API's metrics history (GET /v1/metrics/history), which feeds the Metrics view's charts. */
import assert from 'node:assert/strict';
import { ApiClient } from '../../src/core/client/api-client';
import type { ServedEngine } from '../../src/core/api/served-engine';
import { createApi } from '../../src/core/api/routes/app';
import { FakeClock } from '../../src/core/clock';
import { Engine } from '../../src/core/engine';
import { stubServedEngine, unused } from '../helpers/served-engine-stub';
import { tempStack, type TempStack } from '../helpers/stack';
import type { MetricsHistory, MetricsHistoryQuery } from '../../src/core/contract/metrics';

const T = Date.UTC(2026, 0, 1);
const answer: MetricsHistory = {
  at: T,
  since: T - 60_000,
  intervalMs: 5000,
  thresholds: { warn: 70, critical: 90 },
  services: { storage: { cpuPercent: [[T - 5000, 1.5], [T, 2]] } },
  ipc: [[T, 12]],
  restarts: [{ at: T - 1000, service: 'storage', cause: 'crash', attempt: 1 }],
};

function engine(history?: (q: MetricsHistoryQuery) => MetricsHistory): ServedEngine & { queries: MetricsHistoryQuery[] } {
  const queries: MetricsHistoryQuery[] = [];
  return stubServedEngine({
    queries,
    status: unused,
    health: unused,
    checkAll: unused,
    logs: unused,
    ...(history ? { metricsHistory: (q: MetricsHistoryQuery) => (queries.push(q), history(q)) } : {}),
  });
}

const clientOf = (e: ServedEngine) => {
  const app = createApi(e);
  return new ApiClient('/nowhere.sock', { fetch: (input, init) => Promise.resolve(app.fetch(new Request(input, init))) });
};

describe('webview data: GET /v1/metrics/history', () => {
  it('passes since, services and metrics on, and answers the history', async () => {
    const e = engine(() => answer);
    const api = clientOf(e);
    assert.deepEqual(await api.metricsHistory({ since: T - 60_000, services: ['storage', 'api'], metrics: ['cpuPercent', 'restarts'] }), answer);
    assert.deepEqual(await api.metricsHistory(), answer);
    assert.deepEqual(e.queries, [{ since: T - 60_000, services: ['storage', 'api'], metrics: ['cpuPercent', 'restarts'] }, {}]);
  });

  it('takes a duration ago for since, and repeated parameters', async () => {
    const e = engine(() => answer);
    const res = await createApi(e).request('/v1/metrics/history?since=10m&service=storage&service=api&metric=rssMb');
    assert.equal(res.status, 200);
    const q = e.queries[0]!;
    assert.ok(Math.abs(q.since! - (Date.now() - 600_000)) < 5000);
    assert.deepEqual(q.services, ['storage', 'api']);
    assert.deepEqual(q.metrics, ['rssMb']);
  });

  it('answers 400 for an unknown metric or a bad time, 501 without the feature', async () => {
    const app = createApi(engine(() => answer));
    const bad = await app.request('/v1/metrics/history?metric=cpuPercent,bogus');
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(await bad.json()), /unknown metric \\"bogus\\"/);
    assert.equal((await app.request('/v1/metrics/history?since=yesterday')).status, 400);
    const none = await createApi(engine()).request('/v1/metrics/history');
    assert.equal(none.status, 501);
    await assert.rejects(clientOf(engine()).metricsHistory(), (err: Error & { code?: string }) => err.code === 'NOT_AVAILABLE');
  });
});

describe('webview data: Engine.metricsHistory', () => {
  let t: TempStack;
  let e: Engine;
  const clock = new FakeClock(T);

  before(async () => {
    t = tempStack({
      version: 1,
      name: 'history',
      services: {
        a: { command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'] },
        b: { command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'] },
      },
    });
    e = new Engine(t.stack, { clock });
    await e.collector.sampleNow();
    await clock.advance(5000);
    await e.collector.sampleNow();
  });
  after(async () => {
    await e.dispose();
    t.cleanup();
  });

  it('gives every service\'s series and the IPC score, with the thresholds and sampling interval', () => {
    const h = e.metricsHistory();
    assert.deepEqual(Object.keys(h.services).sort(), ['a', 'b']);
    assert.deepEqual(h.services.a!.restarts, [[T, 0], [T + 5000, 0]]);
    assert.deepEqual(h.ipc.map(([at]) => at), [T, T + 5000]);
    assert.equal(h.intervalMs, 5000);
    assert.deepEqual(h.thresholds, { warn: 70, critical: 90 });
    assert.deepEqual(h.restarts, [], 'the counter never rose');
    assert.equal(h.at, T + 5000);
    assert.equal('since' in h, false);
  });

  it('filters by time, services and metrics', () => {
    const h = e.metricsHistory({ since: T + 1, services: ['b'], metrics: ['restarts', 'cpuPercent'] });
    assert.deepEqual(Object.keys(h.services), ['b']);
    assert.deepEqual(Object.keys(h.services.b!).sort(), ['cpuPercent', 'restarts']);
    assert.deepEqual(h.services.b!.restarts, [[T + 5000, 0]]);
    assert.deepEqual(h.ipc, [[T + 5000, h.ipc[0]![1]]]);
    assert.equal(h.since, T + 1);
  });

  it('gives the restarts with their cause, from the engine\'s restart events, oldest first', () => {
    e.bus.emit({ type: 'restart', at: T + 2000, service: 'b', attempt: 1, delayMs: 500, cause: 'hang', detail: 'liveness failed' });
    e.bus.emit({ type: 'restart', at: T + 1000, service: 'a', attempt: 1, delayMs: 500, cause: 'crash', detail: 'exit code 1' });
    e.bus.emit({ type: 'restart', at: T - 60_000, service: 'a', attempt: 1, delayMs: 500, cause: 'exit', detail: 'too old' });
    assert.deepEqual(e.metricsHistory({ since: T }).restarts, [
      { at: T + 1000, service: 'a', cause: 'crash', detail: 'exit code 1', attempt: 1 },
      { at: T + 2000, service: 'b', cause: 'hang', detail: 'liveness failed', attempt: 1 },
    ]);
    assert.deepEqual(e.metricsHistory({ since: T, services: ['b'] }).restarts.map((r) => r.service), ['b']);
    assert.equal(e.metricsHistory().restarts.length, 3, 'without since: all it remembers');
  });

  it('rejects a service the stack does not have', () => {
    assert.throws(() => e.metricsHistory({ services: ['nope'] }), (err: Error & { code?: string }) => err.code === 'SERVICE_UNKNOWN');
  });
});
