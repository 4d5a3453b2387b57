import assert from 'node:assert/strict';
import type { ServedEngine } from '../../src/core/api/served-engine';
import { NOT_AVAILABLE, statusOf } from '../../src/core/api/http-errors';
import { createApi, PROMETHEUS_CONTENT_TYPE } from '../../src/core/api/routes/app';
import { errorBodySchema, parseTime } from '../../src/core/contract/schemas/common';
import type { MemoryQuery } from '../../src/core/contract/schemas/memory';
import { readSse, type SseMessage } from '../../src/core/api/sse';
import { OpsError } from '../../src/core/errors';
import { EventBus } from '../../src/core/events';

const plan = { dryRun: true, plan: [] };

function stub(overrides: Partial<ServedEngine> = {}): ServedEngine & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  const bus = new EventBus();
  return {
    calls,
    bus,
    status: () => ({ stack: 's', dir: '/s', profile: undefined, services: [], health: { level: 'UNKNOWN', summary: 'no services', services: [] }, ipc: { score: 0, level: 'ok', summary: 'IPC 0: no probe results' }, engine: { pid: 1, startedAt: 0 } }),
    health: () => ({ level: 'OK', summary: '0/0 OK', services: [] }),
    checkAll: async () => ({ level: 'CRITICAL', summary: 'checked', services: [] }),
    up: (services, opts) => (calls.push(['up', services, opts]), plan),
    down: async (services, opts) => (calls.push(['down', services, opts]), plan),
    restart: async (name, opts) => (calls.push(['restart', name, opts]), plan),
    profiles: () => ({ active: undefined, profiles: [] }),
    useProfile: async (name, opts) => (calls.push(['useProfile', name, opts]), plan),
    logs: (service, opts) => (calls.push(['logs', service, opts]), [{ at: 1, stream: 'stdout', line: 'hello' }]),
    ...overrides,
  };
}

async function call(app: ReturnType<typeof createApi>, method: string, path: string, body?: unknown) {
  const res = await app.request(path, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
  });
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, type, body: type.includes('json') ? await res.json() : await res.text() };
}

describe('api: routes over a stub engine', () => {
  it('passes commands on with dry_run mapped to dryRun', async () => {
    const engine = stub();
    const app = createApi(engine);
    assert.equal((await call(app, 'POST', '/v1/stack/up')).status, 200);
    assert.equal((await call(app, 'POST', '/v1/stack/up', { services: ['a'], dry_run: true })).status, 200);
    assert.equal((await call(app, 'POST', '/v1/stack/down', { dry_run: false })).status, 200);
    assert.equal((await call(app, 'POST', '/v1/services/a/start?dry_run=true')).status, 200);
    assert.equal((await call(app, 'POST', '/v1/services/a/stop?dry_run=false')).status, 200);
    assert.equal((await call(app, 'POST', '/v1/services/a/restart')).status, 200);
    assert.equal((await call(app, 'PUT', '/v1/profile', { name: 'p', dry_run: true })).status, 200);
    assert.deepEqual(engine.calls, [
      ['up', undefined, { dryRun: false }],
      ['up', ['a'], { dryRun: true }],
      ['down', undefined, { dryRun: false }],
      ['up', ['a'], { dryRun: true }],
      ['down', ['a'], { dryRun: false }],
      ['restart', 'a', { dryRun: false }],
      ['useProfile', 'p', { dryRun: true }],
    ]);
  });

  it('GET /v1/health runs the checks only with check=true', async () => {
    const app = createApi(stub());
    const summary = async (path: string) => ((await call(app, 'GET', path)).body as { summary: string }).summary;
    assert.equal(await summary('/v1/health'), '0/0 OK');
    assert.equal(await summary('/v1/health?check=false'), '0/0 OK');
    assert.equal(await summary('/v1/health?check=true'), 'checked');
  });

  it('logs: lines and since are coerced; lines=0 gives no tail but still asks the engine', async () => {
    const engine = stub();
    const app = createApi(engine);
    const before = Date.now();
    assert.deepEqual((await call(app, 'GET', '/v1/services/a/logs?lines=50&since=123')).body, { service: 'a', lines: [{ at: 1, stream: 'stdout', line: 'hello' }] });
    assert.deepEqual((await call(app, 'GET', '/v1/services/a/logs?lines=0')).body, { service: 'a', lines: [] });
    await call(app, 'GET', '/v1/services/a/logs?since=10m');
    assert.deepEqual(engine.calls[0], ['logs', 'a', { lines: 50, since: 123 }]);
    assert.deepEqual(engine.calls[1], ['logs', 'a', { lines: 1 }]);
    const since = (engine.calls[2]![2] as { since: number }).since;
    assert.ok(Math.abs(since - (before - 600_000)) < 5_000, String(since));
  });

  it('maps OpsError codes to statuses, anything else to 500 INTERNAL', async () => {
    const throwing = (e: Error) => () => {
      throw e;
    };
    const cases: [Error, number, string][] = [
      [new OpsError('SERVICE_UNKNOWN', 'x'), 404, 'SERVICE_UNKNOWN'],
      [new OpsError('PROFILE_UNKNOWN', 'x'), 404, 'PROFILE_UNKNOWN'],
      [new OpsError('CONFIG_INVALID', 'x'), 400, 'CONFIG_INVALID'],
      [new OpsError('STACK_LOCKED', 'x'), 409, 'STACK_LOCKED'],
      [new OpsError('SPAWN_FAILED', 'x'), 500, 'SPAWN_FAILED'],
      [new Error('boom'), 500, 'INTERNAL'],
    ];
    for (const [err, status, code] of cases) {
      const a = await call(createApi(stub({ status: throwing(err) })), 'GET', '/v1/status');
      assert.equal(a.status, status);
      assert.equal(errorBodySchema.parse(a.body).error.code, code);
    }
    assert.equal(statusOf('MEMORY_QUERY_INVALID'), 400);
    assert.equal(statusOf(NOT_AVAILABLE), 501);
  });

  it('memory search: names from repeated or comma-separated parameters, times as epoch ms', async () => {
    let got: MemoryQuery | undefined;
    const app = createApi(
      stub({
        searchMemory: (q) => {
          got = q;
          return { hits: [{ id: 1, at: 2, service: 'a', kind: 'log', text: 't', snippet: '«t»', rank: 1, data: { type: 'log' } }] };
        },
      }),
    );
    const a = await call(app, 'GET', '/v1/memory/search?text=crash*&service=a,b&service=c&kind=restart&since=1000&until=2026-01-01T00:00:00Z&limit=5');
    assert.equal(a.status, 200);
    assert.equal((a.body as { hits: unknown[] }).hits.length, 1);
    assert.deepEqual(got, { text: 'crash*', service: ['a', 'b', 'c'], kind: ['restart'], since: 1000, until: Date.parse('2026-01-01T00:00:00Z'), limit: 5 });
    assert.equal((await call(app, 'GET', '/v1/memory/search?limit=501')).status, 400);
  });

  it('metrics as JSON and in the Prometheus text format when the engine has them', async () => {
    const app = createApi(stub({ metrics: () => ({ at: 1, services: [] }), prometheus: async () => 'opsdeck_up 1\n' }));
    assert.deepEqual((await call(app, 'GET', '/v1/metrics')).body, { at: 1, services: [] });
    const prom = await call(app, 'GET', '/metrics');
    assert.equal(prom.status, 200);
    assert.equal(prom.type, PROMETHEUS_CONTENT_TYPE);
    assert.equal(prom.body, 'opsdeck_up 1\n');
  });

  it('events: SSE of the bus, filtered by ?types, ended by the shutdown signal', async () => {
    const engine = stub();
    const shutdown = new AbortController();
    const app = createApi(engine, { signal: shutdown.signal, heartbeatMs: 60_000 });
    const res = await app.request('/v1/events?types=state,gave-up');
    assert.equal(res.status, 200);
    const bus = engine.bus as EventBus;
    bus.emit({ type: 'spawn', at: 1, service: 'a', pid: 2, command: ['x'] });
    bus.emit({ type: 'state', at: 2, service: 'a', from: 'stopped', to: 'starting', reason: 'r' });
    bus.emit({ type: 'gave-up', at: 3, service: 'a', restarts: 5, windowMs: 10 });
    shutdown.abort();
    const messages: SseMessage[] = [];
    await readSse(res.body!, (m) => messages.push(m));
    assert.deepEqual(messages.map((m) => m.event), ['state', 'gave-up']);
    assert.equal(JSON.parse(messages[0]!.data).to, 'starting');
    // The stream unsubscribed when it ended.
    bus.emit({ type: 'state', at: 4, service: 'a', from: 'starting', to: 'ready', reason: 'r' });
  });

  it('logs follow: the tail, then the bus lines of that service only', async () => {
    const engine = stub();
    const shutdown = new AbortController();
    const app = createApi(engine, { signal: shutdown.signal });
    const res = await app.request('/v1/services/a/logs?follow=true&lines=1');
    assert.match(res.headers.get('content-type')!, /^text\/event-stream/);
    const bus = engine.bus as EventBus;
    bus.emit({ type: 'log', at: 5, service: 'b', stream: 'stdout', line: 'other' });
    bus.emit({ type: 'log', at: 6, service: 'a', stream: 'stderr', line: 'new' });
    shutdown.abort();
    const lines: unknown[] = [];
    await readSse(res.body!, (m) => lines.push(JSON.parse(m.data)));
    assert.deepEqual(lines, [
      { at: 1, stream: 'stdout', line: 'hello' },
      { at: 6, stream: 'stderr', line: 'new' },
    ]);
  });
});

describe('api: query times', () => {
  it('takes epoch ms, ISO 8601 and durations ago; rejects the rest', () => {
    assert.equal(parseTime('1700000000000'), 1_700_000_000_000);
    assert.equal(parseTime('2026-01-02T03:04:05Z'), Date.parse('2026-01-02T03:04:05Z'));
    assert.equal(parseTime('10m', 1_000_000), 400_000);
    assert.equal(parseTime('1h30m', 10_000_000), 10_000_000 - 5_400_000);
    for (const bad of ['', 'yesterday', '-5', '10 minutes', '2026-13-45']) assert.equal(parseTime(bad), undefined, bad);
  });
});
