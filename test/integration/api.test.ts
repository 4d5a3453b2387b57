import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../../src/core/client/api-client';
import type { ServedEngine } from '../../src/core/api/served-engine';
import { serveApi, type ApiServer } from '../../src/core/api/server';
import { errorBodySchema } from '../../src/core/contract/schemas/common';
import { logLineSchema } from '../../src/core/contract/schemas/logs';
import { engineStatusSchema, planResultSchema, profilesSchema, stackHealthSchema } from '../../src/core/contract/schemas/status';
import { unixFetch } from '../../src/core/client/unix-fetch';
import { Engine } from '../../src/core/engine';
import { OpsError } from '../../src/core/errors';
import { socketPath } from '../../src/core/stack-lock';
import { MemoryStore } from '../../src/core/memory/memory-store';
import { OPENAPI_FILE, renderOpenApi } from '../../scripts/gen-openapi';
import { readFile } from 'node:fs/promises';
import { fixture, freePort, NODE, tempStack, until, type TempStack } from '../helpers/stack';
import type { EngineEvent } from '../../src/core/contract/events';
import type { LogLine } from '../../src/core/contract/logs';

async function httpService(extra: object = {}) {
  const port = await freePort();
  return {
    tier: 'storage',
    command: [NODE, fixture('http-service.cjs')],
    env: { PORT: port },
    health: { readiness: { http: { url: `http://127.0.0.1:${port}/health` }, interval: '100ms' } },
    ...extra,
  };
}

interface Answer {
  status: number;
  type: string | null;
  body: unknown;
}

describe('control API over a unix socket (real engine, real processes)', function () {
  this.timeout(60_000);
  let t: TempStack;
  let engine: Engine;
  let memory: MemoryStore;
  let server: ApiServer;
  let sock: string;
  let client: ApiClient;
  const fetchSock = () => unixFetch(sock);

  /** A request as any tool would send it, with the body as given (no client-side checks). */
  async function raw(method: string, path: string, body?: string, contentType = 'application/json'): Promise<Answer> {
    const res = await fetchSock()(`http://opsdeck${path}`, {
      method,
      ...(body !== undefined ? { body, headers: { 'content-type': contentType } } : {}),
    });
    const type = res.headers.get('content-type');
    const text = await res.text();
    return { status: res.status, type, body: type?.includes('json') ? JSON.parse(text) : text };
  }

  /** An error answer: the status, the error body shape, and the code. */
  function assertError(a: Answer, status: number, code: string): { code: string; message: string; hint?: string; issues?: { path: string; message: string }[] } {
    assert.equal(a.status, status, JSON.stringify(a.body));
    const parsed = errorBodySchema.parse(a.body);
    assert.equal(parsed.error.code, code);
    assert.ok(parsed.error.message.length > 0);
    return parsed.error;
  }

  const pidOf = (name: string) => engine.supervisor.service(name).pid;
  const stateOf = (name: string) => engine.supervisor.service(name).state;

  before(async () => {
    t = tempStack({
      version: 1,
      name: 'api-test',
      active_profile: 'dev',
      profiles: { dev: { services: ['storage', 'api'] }, minimal: { services: ['storage'] } },
      services: { storage: await httpService(), api: await httpService({ tier: 'server', depends_on: ['storage'] }) },
    });
    engine = new Engine(t.stack);
    memory = MemoryStore.open(join(t.dir, '.opsdeck', 'memory.db'));
    engine.useMemory(memory);
    sock = socketPath(t.dir);
    server = await serveApi(engine, sock, { heartbeatMs: 100, stackDir: t.dir });
    client = new ApiClient(sock);
  });

  after(async () => {
    await server?.close();
    await engine?.dispose();
    memory?.close();
    t?.cleanup();
  });

  it('listens on a socket only its user can use (mode 0600)', () => {
    assert.equal(server.socketPath, sock);
    assert.ok(lstatSync(sock).isSocket());
    assert.equal(statSync(sock).mode & 0o777, 0o600);
  });

  it('GET /v1/status: every service stopped before up, in the documented shape', async () => {
    const status = await client.status();
    engineStatusSchema.parse(status);
    assert.equal(status.stack, 'api-test');
    assert.equal(status.profile, 'dev');
    assert.deepEqual(status.services.map((s) => [s.name, s.state, s.inProfile]), [['storage', 'stopped', true], ['api', 'stopped', true]]);
    assert.equal(status.engine.pid, process.pid);
    const viaRaw = await raw('GET', '/v1/status');
    assert.equal(viaRaw.status, 200);
    assert.match(viaRaw.type!, /application\/json/);
  });

  it('POST /v1/stack/up with dry_run plans in dependency order and starts nothing', async () => {
    const plan = await client.up({ dryRun: true });
    planResultSchema.parse(plan);
    assert.equal(plan.dryRun, true);
    assert.deepEqual(plan.plan.map((s) => [s.action, s.service, s.wave]), [['start', 'storage', 0], ['start', 'api', 1]]);
    const viaRaw = await raw('POST', '/v1/stack/up', JSON.stringify({ dry_run: true, services: ['storage'] }));
    assert.equal(viaRaw.status, 200);
    assert.deepEqual((viaRaw.body as { plan: unknown[] }).plan.length, 1);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(stateOf('storage'), 'stopped');
    assert.equal(stateOf('api'), 'stopped');
    assert.equal(pidOf('storage'), undefined);
    assert.equal(engine.supervisor.activeServices.length, 0);
  });

  it('POST /v1/services/{name}/start with dry_run leaves the service stopped', async () => {
    const plan = await client.start('storage', true);
    assert.equal(plan.dryRun, true);
    assert.deepEqual(plan.plan.map((s) => s.action), ['start']);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(pidOf('storage'), undefined);
  });

  it('POST /v1/stack/up starts the stack; GET /v1/health reports it OK', async () => {
    const plan = await client.up();
    assert.equal(plan.dryRun, false);
    await until(async () => (await client.health()).level === 'OK', 20_000, 'the stack to be OK');
    const health = await client.health();
    stackHealthSchema.parse(health);
    assert.equal(health.summary, '2/2 OK');
    const checked = await raw('GET', '/v1/health?check=true');
    assert.equal(checked.status, 200);
    assert.equal((checked.body as { level: string }).level, 'OK');
    const status = await client.status();
    assert.ok(status.services.every((s) => s.state === 'ready' && typeof s.pid === 'number'));
  });

  it('GET /v1/status?service= lists only those services, in the stack\'s order, the health from them alone', async () => {
    const one = await client.status(['api']);
    engineStatusSchema.parse(one);
    assert.deepEqual([one.stack, one.services.map((s) => [s.name, s.state, s.pid]), one.health.summary], ['api-test', [['api', 'ready', pidOf('api')]], '1/1 OK']);
    const both = await raw('GET', '/v1/status?service=api&service=storage');
    assert.equal(both.status, 200);
    assert.deepEqual((both.body as { services: { name: string }[] }).services.map((s) => s.name), ['storage', 'api']);
    const typo = assertError(await raw('GET', '/v1/status?service=storag'), 404, 'SERVICE_UNKNOWN');
    assert.match(typo.hint ?? '', /did you mean `storage`\?/);
    await assert.rejects(client.status(['nope']), (e: unknown) => e instanceof OpsError && e.code === 'SERVICE_UNKNOWN');
  });

  it('dry_run stop, restart, down and profile switch change nothing (same pids, still ready)', async () => {
    const before = { storage: pidOf('storage'), api: pidOf('api') };
    assert.deepEqual((await client.stop('api', true)).plan.map((s) => [s.action, s.service]), [['stop', 'api']]);
    assert.deepEqual((await client.restart('storage', true)).plan.map((s) => [s.action, s.service]), [['restart', 'storage']]);
    const down = await client.down({ dryRun: true });
    assert.deepEqual(down.plan.map((s) => [s.action, s.service, s.wave]), [['stop', 'api', 0], ['stop', 'storage', 1]]);
    const use = await client.useProfile('minimal', true);
    assert.deepEqual(use.plan.map((s) => [s.action, s.service]), [['stop', 'api']]);
    const rawStop = await raw('POST', '/v1/services/storage/stop?dry_run=1');
    assert.equal(rawStop.status, 200);
    assert.equal((rawStop.body as { dryRun: boolean }).dryRun, true);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual({ storage: pidOf('storage'), api: pidOf('api') }, before);
    assert.equal(stateOf('storage'), 'ready');
    assert.equal(stateOf('api'), 'ready');
    assert.equal((await client.profiles()).active, 'dev');
  });

  it('GET /v1/events streams a state event after a restart; ?types filters', async () => {
    const stop = new AbortController();
    const all: EngineEvent[] = [];
    const states: EngineEvent[] = [];
    let openAll!: () => void;
    let openStates!: () => void;
    const opened = Promise.all([new Promise<void>((r) => (openAll = r)), new Promise<void>((r) => (openStates = r))]);
    const streams = Promise.all([
      client.events((e) => all.push(e), { onOpen: () => openAll() }, stop.signal),
      client.events((e) => states.push(e), { types: ['state'], onOpen: () => openStates() }, stop.signal),
    ]);
    await opened;
    const oldPid = pidOf('storage');
    const plan = await client.restart('storage');
    assert.equal(plan.dryRun, false);
    await until(() => states.some((e) => e.type === 'state' && e.service === 'storage' && e.to === 'ready'), 15_000, 'storage ready again');
    stop.abort();
    await streams;
    assert.notEqual(pidOf('storage'), oldPid);
    assert.ok(states.every((e) => e.type === 'state'));
    const storageStates = states.filter((e) => e.service === 'storage').map((e) => (e.type === 'state' ? e.to : ''));
    assert.deepEqual(storageStates.slice(0, 2), ['stopping', 'stopped']);
    assert.ok(all.some((e) => e.type === 'spawn' && e.service === 'storage'));
    assert.ok(all.some((e) => e.type === 'exit' && e.service === 'storage'));
  });

  it('GET /v1/events sends heartbeats as SSE comments', async () => {
    const stop = new AbortController();
    const res = await fetchSock()('http://opsdeck/v1/events?types=limit', { signal: stop.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes(': heartbeat\n\n')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    stop.abort();
    await reader.cancel().catch(() => undefined);
    assert.match(text, /^: connected\n\n/);
    assert.ok(text.includes(': heartbeat\n\n'));
  });

  it('GET /v1/services/{name}/logs: the tail, then with follow=true every new line', async () => {
    const lines = await client.logs('storage', { lines: 3 });
    assert.equal(lines.length, 3);
    lines.forEach((l) => logLineSchema.parse(l));
    assert.ok((await client.logs('storage', { lines: 500 })).some((l) => /listening on \d+/.test(l.line)));
    assert.deepEqual(await client.logs('storage', { since: Date.now() + 60_000 }), []);
    assert.ok((await client.logs('storage', { since: '1h' })).length > 0);

    const stop = new AbortController();
    const got: LogLine[] = [];
    let opened!: () => void;
    const open = new Promise<void>((r) => (opened = r));
    const follow = client.followLogs('storage', (l) => got.push(l), stop.signal, { onOpen: () => opened() });
    await open;
    await client.restart('storage');
    await until(() => got.some((l) => /listening on \d+/.test(l.line)), 15_000, 'a new "listening" line');
    stop.abort();
    await follow;
    assert.ok(got.some((l) => l.line.includes('got SIGTERM')));
    // Only new lines: nothing from before the restart.
    assert.equal(got.filter((l) => /listening on/.test(l.line)).length, 1);

    // A tail first, when asked for.
    const tailStop = new AbortController();
    const tail: LogLine[] = [];
    await client.followLogs('storage', (l) => {
      tail.push(l);
      if (tail.length === 2) tailStop.abort();
    }, tailStop.signal, { lines: 2 });
    assert.equal(tail.length, 2);
  });

  it('GET /v1/profiles and PUT /v1/profile switch what runs', async () => {
    const profiles = await client.profiles();
    profilesSchema.parse(profiles);
    assert.deepEqual(profiles.profiles.map((p) => [p.name, p.services]), [['dev', ['storage', 'api']], ['minimal', ['storage']]]);
    const storagePid = pidOf('storage');
    const plan = await client.useProfile('minimal');
    assert.deepEqual(plan.plan.map((s) => [s.action, s.service]), [['stop', 'api']]);
    assert.equal((await client.profiles()).active, 'minimal');
    assert.equal(pidOf('api'), undefined);
    assert.equal(pidOf('storage'), storagePid);
    const back = await raw('PUT', '/v1/profile', JSON.stringify({ name: 'dev' }));
    assert.equal(back.status, 200);
    await until(() => stateOf('api') === 'ready', 15_000, 'api back up');
  });

  it('POST /v1/services/{name}/stop and start really stop and start', async () => {
    await client.stop('api');
    assert.equal(pidOf('api'), undefined);
    assert.equal(stateOf('api'), 'stopped');
    await client.start('api');
    await until(() => stateOf('api') === 'ready', 15_000, 'api ready');
  });

  it('answers bad input with 400 and the issues, unknown names with 404, never 500', async () => {
    const cases: [string, string, string | undefined, number, string, RegExp?][] = [
      ['POST', '/v1/stack/up', '{not json', 400, 'BAD_REQUEST', /not valid JSON/],
      ['POST', '/v1/stack/up', '', 400, 'BAD_REQUEST'],
      ['POST', '/v1/stack/up', '[1,2]', 400, 'BAD_REQUEST'],
      ['POST', '/v1/stack/up', '{"services":"storage"}', 400, 'BAD_REQUEST', /body\.services/],
      ['POST', '/v1/stack/up', '{"services":[1]}', 400, 'BAD_REQUEST', /body\.services\.0/],
      ['POST', '/v1/stack/down', '{"dry_run":"yes"}', 400, 'BAD_REQUEST', /body\.dry_run/],
      ['POST', '/v1/stack/up', '{"dryRun":true}', 400, 'BAD_REQUEST', /dryRun/],
      ['POST', '/v1/stack/up', '{"services":["nope"]}', 404, 'SERVICE_UNKNOWN'],
      ['POST', '/v1/stack/down', '{"services":["nope"],"dry_run":true}', 404, 'SERVICE_UNKNOWN'],
      ['POST', '/v1/services/nope/start', undefined, 404, 'SERVICE_UNKNOWN'],
      ['POST', '/v1/services/nope/stop?dry_run=true', undefined, 404, 'SERVICE_UNKNOWN'],
      ['POST', '/v1/services/nope/restart', undefined, 404, 'SERVICE_UNKNOWN'],
      ['POST', '/v1/services/storage/restart?dry_run=maybe', undefined, 400, 'BAD_REQUEST', /query\.dry_run/],
      ['GET', '/v1/health?check=perhaps', undefined, 400, 'BAD_REQUEST', /query\.check/],
      ['GET', `/v1/status?service=${'x'.repeat(64)}`, undefined, 400, 'BAD_REQUEST', /query\.service/],
      ['GET', '/v1/status?service=nope', undefined, 404, 'SERVICE_UNKNOWN'],
      ['GET', '/v1/services/storage/logs?lines=-1', undefined, 400, 'BAD_REQUEST', /query\.lines/],
      ['GET', '/v1/services/storage/logs?lines=abc', undefined, 400, 'BAD_REQUEST', /query\.lines/],
      ['GET', '/v1/services/storage/logs?lines=1.5', undefined, 400, 'BAD_REQUEST', /query\.lines/],
      ['GET', '/v1/services/storage/logs?since=yesterday', undefined, 400, 'BAD_REQUEST', /query\.since/],
      ['GET', '/v1/services/storage/logs?follow=sure', undefined, 400, 'BAD_REQUEST', /query\.follow/],
      ['GET', '/v1/services/nope/logs', undefined, 404, 'SERVICE_UNKNOWN'],
      ['GET', '/v1/services/nope/logs?follow=true', undefined, 404, 'SERVICE_UNKNOWN'],
      ['PUT', '/v1/profile', undefined, 400, 'BAD_REQUEST', /body\.name/],
      ['PUT', '/v1/profile', '{}', 400, 'BAD_REQUEST', /body\.name/],
      ['PUT', '/v1/profile', '{"name":42}', 400, 'BAD_REQUEST', /body\.name/],
      ['PUT', '/v1/profile', '{"name":"nope"}', 404, 'PROFILE_UNKNOWN'],
      ['PUT', '/v1/profile', '{"name":"nope","dry_run":true}', 404, 'PROFILE_UNKNOWN'],
      ['GET', '/v1/events?types=state,bogus', undefined, 400, 'BAD_REQUEST', /bogus/],
      ['GET', '/v1/memory/search?limit=0', undefined, 400, 'BAD_REQUEST', /query\.limit/],
      ['GET', '/v1/memory/search?since=whenever', undefined, 400, 'BAD_REQUEST', /query\.since/],
      ['POST', '/v1/releases/update', '{"to":"../x"}', 400, 'BAD_REQUEST', /body\.to/],
      ['POST', '/v1/releases/rollback', '{"data":"drop"}', 400, 'BAD_REQUEST', /body\.data/],
      ['POST', '/v1/releases/update', '{"dryRun":true}', 400, 'BAD_REQUEST', /dryRun/],
      ['POST', '/v1/releases/update', '{"dry_run":true}', 404, 'RELEASE_NOT_FOUND', /nothing is deployed yet/],
      ['GET', '/v1/nope', undefined, 404, 'NOT_FOUND'],
      ['DELETE', '/v1/status', undefined, 404, 'NOT_FOUND'],
      ['GET', '/', undefined, 404, 'NOT_FOUND'],
    ];
    for (const [method, path, body, status, code, message] of cases) {
      const a = await raw(method, path, body);
      const err = assertError(a, status, code);
      if (message) assert.match(JSON.stringify(err), message, `${method} ${path} ${body ?? ''}`);
    }
    const asText = await raw('POST', '/v1/stack/up', 'dry_run=true', 'text/plain');
    assertError(asText, 415, 'BAD_REQUEST');
    // Nothing of all that changed the stack.
    assert.equal(stateOf('storage'), 'ready');
    assert.equal(stateOf('api'), 'ready');
  });

  it('400s carry issues with a path; 404s carry a hint', async () => {
    const bad = assertError(await raw('GET', '/v1/services/storage/logs?lines=-5'), 400, 'BAD_REQUEST');
    assert.equal(bad.issues?.[0]?.path, 'query.lines');
    const unknown = assertError(await raw('POST', '/v1/services/storag/start'), 404, 'SERVICE_UNKNOWN');
    assert.match(unknown.hint ?? '', /storage/);
  });

  it('ApiClient throws OpsError rebuilt from the error body', async () => {
    await assert.rejects(client.restart('nope'), (e: unknown) => e instanceof OpsError && e.code === 'SERVICE_UNKNOWN' && /nope/.test(e.message));
    await assert.rejects(client.useProfile('nope'), (e: unknown) => e instanceof OpsError && e.code === 'PROFILE_UNKNOWN' && !!e.hint);
    await assert.rejects(client.logs('storage', { lines: -1 }), (e: unknown) => e instanceof OpsError && e.code === 'BAD_REQUEST');
    await assert.rejects(client.events(() => undefined, { types: ['nope' as 'state'] }), (e: unknown) => e instanceof OpsError && e.code === 'BAD_REQUEST');
    await assert.rejects(client.followLogs('nope', () => undefined), (e: unknown) => e instanceof OpsError && e.code === 'SERVICE_UNKNOWN');
  });

  it('memory search, metrics (JSON) and /metrics (Prometheus) are served from the engine', async () => {
    const memoryRes = await raw('GET', '/v1/memory/search?text=listening&service=storage&kind=log');
    assert.equal(memoryRes.status, 200, JSON.stringify(memoryRes.body));
    const hits = (memoryRes.body as { hits: { service: string; kind: string; snippet: string }[] }).hits;
    assert.ok(hits.length >= 1 && hits.every((h) => h.service === 'storage' && h.kind === 'log'));
    assert.match(hits[0]!.snippet, /«listening»/);
    assertError(await raw('GET', '/v1/memory/search?text=crash%20OR'), 400, 'MEMORY_QUERY_INVALID');
    const json = await raw('GET', '/v1/metrics');
    assert.equal(json.status, 200);
    assert.ok(Array.isArray((json.body as { services: unknown[] }).services));
    const prom = await raw('GET', '/metrics');
    assert.equal(prom.status, 200);
    assert.equal(prom.type, 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(String(prom.body), /^# HELP opsdeck_ipc_score /m);
  });

  it('memory and metrics answer 501 NOT_AVAILABLE from an engine without them', async () => {
    // The real engine seen through only the required members of ServedEngine.
    const bare: ServedEngine = {
      bus: engine.bus,
      status: () => engine.status(),
      health: () => engine.health(),
      checkAll: () => engine.checkAll(),
      up: (s, o) => engine.up(s, o),
      down: (s, o) => engine.down(s, o),
      restart: (n, o) => engine.restart(n, o),
      profiles: () => engine.profiles(),
      useProfile: (n, o) => engine.useProfile(n, o),
      logs: (n, o) => engine.logs(n, o),
    };
    const bareSock = join(t.dir, '.opsdeck', 'run', 'bare.sock');
    const bareServer = await serveApi(bare, bareSock);
    try {
      const bareFetch = unixFetch(bareSock);
      for (const path of ['/v1/memory/search?text=crash', '/v1/metrics', '/metrics']) {
        const res = await bareFetch(`http://opsdeck${path}`);
        assertError({ status: res.status, type: res.headers.get('content-type'), body: await res.json() }, 501, 'NOT_AVAILABLE');
      }
      const bareClient = new ApiClient(bareSock);
      for (const call of [() => bareClient.searchMemory({ text: 'crash', service: ['storage'] }), () => bareClient.metrics(), () => bareClient.prometheus()]) {
        await assert.rejects(call(), (e: unknown) => e instanceof OpsError && e.code === ('NOT_AVAILABLE' as string) && !!e.hint);
      }
      assert.equal((await bareClient.status()).stack, 'api-test');
    } finally {
      await bareServer.close();
    }
  });

  it('GET /openapi.json is an OpenAPI 3.1 document of every route, the same as docs/openapi.json', async () => {
    const a = await raw('GET', '/openapi.json');
    assert.equal(a.status, 200);
    const doc = a.body as { openapi: string; info: { title: string; version: string }; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } };
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(doc.info.title, 'Opsdeck control API');
    assert.equal(doc.info.version, '1');
    const routes = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    assert.deepEqual(routes.sort(), [
      'DELETE /v1/silences/{id}',
      'GET /metrics',
      'GET /v1/alerts',
      'GET /v1/alerts/history',
      'GET /v1/api',
      'GET /v1/api/tokens',
      'GET /v1/backups',
      'GET /v1/backups/status',
      'GET /v1/backups/{id}',
      'GET /v1/backups/{id}/diff/{other}',
      'GET /v1/doctor',
      'GET /v1/events',
      'GET /v1/health',
      'GET /v1/maintenance/tasks',
      'GET /v1/memory/search',
      'GET /v1/metrics',
      'GET /v1/metrics/history',
      'GET /v1/metrics/rollups',
      'GET /v1/profiles',
      'GET /v1/releases',
      'GET /v1/reports',
      'GET /v1/services/{name}/logs',
      'GET /v1/status',
      'GET /v1/units/generate',
      'GET /v1/units/status',
      'POST /v1/alerts/{id}/ack',
      'POST /v1/api/tokens/rotate',
      'POST /v1/backups',
      'POST /v1/backups/drill',
      'POST /v1/backups/forget',
      'POST /v1/backups/prune',
      'POST /v1/backups/verify',
      'POST /v1/backups/{id}/restore',
      'POST /v1/cleanup',
      'POST /v1/doctor/profile',
      'POST /v1/export',
      'POST /v1/maintenance/run',
      'POST /v1/releases/deploy',
      'POST /v1/releases/rollback',
      'POST /v1/releases/update',
      'POST /v1/reports',
      'POST /v1/services/{name}/restart',
      'POST /v1/services/{name}/start',
      'POST /v1/services/{name}/stop',
      'POST /v1/silences',
      'POST /v1/stack/down',
      'POST /v1/stack/reload',
      'POST /v1/stack/up',
      'POST /v1/units/install',
      'PUT /v1/profile',
    ]);
    for (const name of ['EngineStatus', 'ServiceStatus', 'StackHealth', 'PlanResult', 'PlanStep', 'LogLine', 'EngineEvent', 'Error', 'Profiles', 'MemoryHits', 'Metrics']) {
      assert.ok(name in doc.components.schemas, `components.schemas.${name}`);
    }
    assert.equal(JSON.stringify(doc, null, 2) + '\n', renderOpenApi());
    assert.equal(await readFile(OPENAPI_FILE, 'utf8'), renderOpenApi(), 'docs/openapi.json is stale: run `npx tsx scripts/gen-openapi.ts`');
  });

  it('POST /v1/stack/down stops everything', async () => {
    const plan = await client.down();
    assert.equal(plan.dryRun, false);
    assert.deepEqual(plan.plan.map((s) => s.service), ['api', 'storage']);
    assert.equal(pidOf('storage'), undefined);
    assert.equal(pidOf('api'), undefined);
  });
});

describe('control API: socket life cycle and an unreachable engine', function () {
  this.timeout(30_000);
  let t: TempStack;
  let engine: Engine;
  let dir: string;
  before(async () => {
    t = tempStack({ version: 1, name: 'lifecycle', services: { storage: await httpService() } });
    engine = new Engine(t.stack);
    dir = mkdtempSync(join(tmpdir(), 'opsdeck-sock-'));
  });
  after(async () => {
    await engine?.dispose();
    t?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ENGINE_UNREACHABLE when no socket exists', async () => {
    const client = new ApiClient(join(dir, 'none.sock'));
    await assert.rejects(client.status(), (e: unknown) => {
      assert.ok(e instanceof OpsError);
      assert.equal(e.code, 'ENGINE_UNREACHABLE');
      assert.equal(e.message, 'no engine is running for this stack');
      assert.equal(e.hint, 'start one with `opsdeck up`');
      return true;
    });
    await assert.rejects(client.events(() => undefined), (e: unknown) => e instanceof OpsError && e.code === 'ENGINE_UNREACHABLE');
  });

  it('a stale socket (its engine killed) is ENGINE_UNREACHABLE, and serveApi replaces it', async () => {
    const sock = join(dir, 'stale.sock');
    const child = spawn(NODE, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((ok) => child.stdout.once('data', () => ok()));
    child.kill('SIGKILL');
    await new Promise((ok) => child.once('exit', ok));
    assert.ok(lstatSync(sock).isSocket(), 'a killed server leaves its socket file');
    await assert.rejects(new ApiClient(sock).status(), (e: unknown) => e instanceof OpsError && e.code === 'ENGINE_UNREACHABLE');
    const server = await serveApi(engine, sock);
    try {
      assert.equal((await new ApiClient(sock).status()).stack, 'lifecycle');
    } finally {
      await server.close();
    }
  });

  it('refuses to take a socket another engine still serves', async () => {
    const sock = join(dir, 'live.sock');
    const first = await serveApi(engine, sock);
    try {
      await assert.rejects(serveApi(engine, sock), (e: unknown) => e instanceof OpsError && e.code === 'STACK_LOCKED');
      assert.equal((await new ApiClient(sock).status()).stack, 'lifecycle');
    } finally {
      await first.close();
    }
  });

  it('close() ends event and log streams cleanly and removes the socket', async () => {
    const sock = join(dir, 'closing.sock');
    const server = await serveApi(engine, sock);
    const client = new ApiClient(sock);
    let openEvents!: () => void;
    let openLogs!: () => void;
    const opened = Promise.all([new Promise<void>((r) => (openEvents = r)), new Promise<void>((r) => (openLogs = r))]);
    const events = client.events(() => undefined, { onOpen: () => openEvents() });
    const logs = client.followLogs('storage', () => undefined, undefined, { onOpen: () => openLogs() });
    await opened;
    const t0 = Date.now();
    await server.close();
    await Promise.all([events, logs]); // resolve, not reject
    assert.ok(Date.now() - t0 < 1500, `close took ${Date.now() - t0} ms`);
    assert.equal(existsSync(sock), false);
    await server.close(); // twice is fine
    await assert.rejects(client.status(), (e: unknown) => e instanceof OpsError && e.code === 'ENGINE_UNREACHABLE');
  });
});
