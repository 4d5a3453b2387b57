/**
 * Every route of the control API called on a real engine running examples/default (a copy with
 * free ports), over its unix socket: the answers are the examples docs/api.md shows
 * (scripts/gen-api-docs.ts renders docs/api-examples.json). With OPSDECK_RECORD_API_EXAMPLES=1
 * the test writes that file; otherwise it checks that the file has one example per operation of
 * docs/openapi.json and that each route still answers with the status and kind of body recorded.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { unixFetch } from '../../src/core/client/unix-fetch';
import { EngineHost } from '../../src/core/host/engine-host';
import { initBackups } from '../../src/core/host/init-backups';
import { socketPath } from '../../src/core/stack-lock';
import { copyExample, type ExampleCopy } from '../helpers/servers';
import { until } from '../helpers/stack';
import { EXAMPLES_FILE, operationsOf, type ApiExample, type ApiExamples } from '../../scripts/gen-api-docs';

const ROOT = resolve(import.meta.dirname, '../..');
const RECORD = process.env.OPSDECK_RECORD_API_EXAMPLES === '1';
/** Lists longer than this are cut in the examples, strings longer than MAX_TEXT too. */
const MAX_ITEMS = 3;
const MAX_TEXT = 600;
const SHOWN_DIR = '/home/you/shop';

interface Call {
  op: string;
  method: string;
  path: string;
  body?: unknown;
  /** For an event stream: read until this many `event:` lines (or 5 s), after `trigger` if any. */
  sse?: { events: number; trigger?: () => Promise<unknown> };
}

describe('API examples: every route on a real engine running examples/default (docs/api-examples.json)', function () {
  this.timeout(240_000);
  let copy: ExampleCopy;
  let host: EngineHost;
  let sock: string;
  const recorded: Record<string, ApiExample> = {};

  /** The answer as docs show it: the stack folder, temp folders, ports and tokens made neutral, long lists and texts cut. */
  function scrub(value: unknown): unknown {
    if (typeof value === 'string') {
      let s = value;
      for (const dir of new Set([realpathSync(copy.dir), copy.dir])) s = s.split(dir).join(SHOWN_DIR);
      s = s.replace(new RegExp(`${realpathSync(tmpdir())}/opsdeck-[A-Za-z0-9_.-]+`, 'g'), '/tmp/opsdeck-XXXXXX');
      // Nothing of this machine: its Node, the repository, the home folder.
      for (const node of new Set([realpathSync(process.execPath), process.execPath])) s = s.split(node).join('/usr/bin/node');
      s = s.split(ROOT).join('/usr/lib/node_modules/opsdeck').split(homedir()).join('/home/you');
      for (const [original, free] of copy.ports) s = s.replace(new RegExp(`\\b${free}\\b`, 'g'), String(original));
      s = s.replace(/opsdeck_(full|read)_[A-Za-z0-9_-]{43}/g, 'opsdeck_$1_…');
      return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s;
    }
    if (Array.isArray(value)) return value.slice(0, MAX_ITEMS).map(scrub);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v)]));
    return value;
  }

  async function call(c: Call): Promise<ApiExample> {
    const fetch = unixFetch(sock);
    const init: RequestInit = { method: c.method, ...(c.body !== undefined ? { body: JSON.stringify(c.body), headers: { 'content-type': 'application/json' } } : {}) };
    if (c.sse) {
      const stop = new AbortController();
      const res = await fetch(`http://opsdeck${c.path}`, { ...init, signal: stop.signal });
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      const deadline = setTimeout(() => stop.abort(), 5000);
      const triggered = c.sse.trigger?.();
      try {
        while ((text.match(/^event: /gm) ?? []).length < c.sse.events) {
          const { value, done } = await reader.read();
          if (done) break;
          text += value;
        }
      } catch {
        /* the deadline */
      } finally {
        clearTimeout(deadline);
        stop.abort();
      }
      await triggered;
      const events = text.split('\n\n').filter((m) => m && !m.startsWith(': heartbeat')).slice(0, c.sse.events + 1);
      return { request: { method: c.method, path: c.path }, response: { status: res.status, type: res.headers.get('content-type') ?? '', body: scrub(`${events.join('\n\n')}\n`) } };
    }
    const res = await fetch(`http://opsdeck${c.path}`, init);
    const type = res.headers.get('content-type') ?? '';
    const text = await res.text();
    const body = type.includes('json') ? JSON.parse(text) : text.split('\n').slice(0, 12).join('\n');
    return { request: { method: c.method, path: c.path, ...(c.body !== undefined ? { body: c.body } : {}) }, response: { status: res.status, type, body: scrub(body) } };
  }

  // The engine here is a test process, not the opsdeck CLI: boot units run the `opsdeck` on PATH.
  const savedPath = process.env.PATH;
  const bin = mkdtempSync(join(tmpdir(), 'opsdeck-bin-'));

  before(async () => {
    writeFileSync(join(bin, 'opsdeck'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    process.env.PATH = `${bin}:${savedPath}`;
    copy = await copyExample('default', { ports: [7101, 7102, 7103], linkNodeModules: true });
    await initBackups(copy.dir);
    host = await EngineHost.start(copy.dir, { owner: 'test', version: 'test' });
    sock = socketPath(copy.dir);
    host.engine.supervisor.up();
    const settled = await host.engine.supervisor.waitSettled(30_000);
    assert.deepEqual(settled.map((s) => `${s.name} ${s.state}`), ['storage ready', 'messaging ready', 'api ready']);
  });

  after(async () => {
    process.env.PATH = savedPath;
    try {
      await host?.stop();
    } finally {
      copy?.cleanup();
      rmSync(bin, { recursive: true, force: true });
    }
  });

  const ready = (name: string) => until(async () => host.engine.supervisor.snapshot().find((s) => s.name === name)?.state === 'ready', 20_000, `${name} ready`);
  const ids: { first?: string; second?: string; silence?: string } = {};

  const calls = (): Call[] => [
    { op: 'getStatus', method: 'GET', path: '/v1/status' },
    { op: 'getHealth', method: 'GET', path: '/v1/health?service=storage' },
    { op: 'stackUp', method: 'POST', path: '/v1/stack/up', body: { dry_run: true } },
    { op: 'stackDown', method: 'POST', path: '/v1/stack/down', body: { services: ['api'], dry_run: true } },
    { op: 'stackReload', method: 'POST', path: '/v1/stack/reload', body: { dry_run: true } },
    { op: 'startService', method: 'POST', path: '/v1/services/api/start?dry_run=true' },
    { op: 'stopService', method: 'POST', path: '/v1/services/storage/stop?dry_run=true' },
    { op: 'restartService', method: 'POST', path: '/v1/services/storage/restart?dry_run=true' },
    { op: 'getProfiles', method: 'GET', path: '/v1/profiles' },
    { op: 'useProfile', method: 'PUT', path: '/v1/profile', body: { name: 'minimal', dry_run: true } },
    { op: 'getLogs', method: 'GET', path: '/v1/services/storage/logs?lines=3' },
    // The follow stream of a log: the tail asked for, then every new line as it comes.
    { op: 'getLogs', method: 'GET', path: '/v1/services/storage/logs?follow=true&lines=2', sse: { events: 2 } },
    { op: 'getMetrics', method: 'GET', path: '/v1/metrics' },
    { op: 'getMetricsHistory', method: 'GET', path: '/v1/metrics/history?service=storage&metric=cpuPercent,rssMb' },
    { op: 'getMetricsRollups', method: 'GET', path: '/v1/metrics/rollups?since=1h&service=storage' },
    { op: 'generateReport', method: 'POST', path: '/v1/reports', body: { period: 'day' } },
    { op: 'listReports', method: 'GET', path: '/v1/reports' },
    { op: 'searchMemory', method: 'GET', path: '/v1/memory/search?text=ready&service=storage&limit=2' },
    { op: 'getPrometheusMetrics', method: 'GET', path: '/metrics' },
    { op: 'backup', method: 'POST', path: '/v1/backups', body: { tags: ['docs'] } },
    { op: 'getBackupStatus', method: 'GET', path: '/v1/backups/status' },
    { op: 'listSnapshots', method: 'GET', path: '/v1/backups' },
    { op: 'showSnapshot', method: 'GET', path: `/v1/backups/${ids.first}` },
    { op: 'diffSnapshots', method: 'GET', path: `/v1/backups/${ids.first}/diff/${ids.second}` },
    { op: 'forgetSnapshots', method: 'POST', path: '/v1/backups/forget', body: { keep_last: 1, dry_run: true } },
    { op: 'pruneRepository', method: 'POST', path: '/v1/backups/prune', body: { dry_run: true } },
    { op: 'verifyRepository', method: 'POST', path: '/v1/backups/verify', body: {} },
    { op: 'restoreSnapshot', method: 'POST', path: `/v1/backups/${ids.second}/restore`, body: { services: ['storage'], in_place: true, dry_run: true } },
    { op: 'drill', method: 'POST', path: '/v1/backups/drill', body: { services: ['storage'] } },
    { op: 'listMaintenanceTasks', method: 'GET', path: '/v1/maintenance/tasks?service=storage' },
    { op: 'runMaintenance', method: 'POST', path: '/v1/maintenance/run', body: { service: 'storage', dry_run: true } },
    { op: 'cleanup', method: 'POST', path: '/v1/cleanup', body: { dry_run: true } },
    { op: 'runDoctor', method: 'GET', path: '/v1/doctor?service=storage' },
    { op: 'profileService', method: 'POST', path: '/v1/doctor/profile', body: { service: 'storage', duration: '1s' } },
    { op: 'listAlerts', method: 'GET', path: '/v1/alerts' },
    { op: 'alertHistory', method: 'GET', path: '/v1/alerts/history?since=1d' },
    { op: 'ackAlert', method: 'POST', path: '/v1/alerts/service_down%2Fstorage/ack', body: { comment: 'looking', dry_run: true } },
    { op: 'createSilence', method: 'POST', path: '/v1/silences', body: { matchers: [{ name: 'service', value: 'storage' }], duration_ms: 3_600_000, comment: 'maintenance window', by: 'you' } },
    { op: 'deleteSilence', method: 'DELETE', path: `/v1/silences/${ids.silence}?dry_run=true` },
    { op: 'getUnitsStatus', method: 'GET', path: '/v1/units/status?target=systemd&scope=user' },
    { op: 'generateUnits', method: 'GET', path: '/v1/units/generate?target=systemd&scope=user' },
    { op: 'installUnits', method: 'POST', path: '/v1/units/install', body: { target: 'systemd', scope: 'user', dry_run: true } },
    { op: 'exportStack', method: 'POST', path: '/v1/export', body: { target: 'compose', base_image: 'node:20-bookworm-slim' } },
    // examples/default declares no `release:`: the list is empty and the changes are refused with what to do (docs/releases.md has a stack that has one).
    { op: 'listReleases', method: 'GET', path: '/v1/releases' },
    { op: 'deployRelease', method: 'POST', path: '/v1/releases/deploy', body: { version: '1.1.0', dry_run: true } },
    { op: 'updateRelease', method: 'POST', path: '/v1/releases/update', body: { to: '1.1.0', dry_run: true } },
    { op: 'rollbackRelease', method: 'POST', path: '/v1/releases/rollback', body: { data: 'down', dry_run: true } },
    { op: 'getApiAccess', method: 'GET', path: '/v1/api' },
    { op: 'getApiTokens', method: 'GET', path: '/v1/api/tokens' },
    { op: 'rotateApiTokens', method: 'POST', path: '/v1/api/tokens/rotate', body: { scope: 'read', dry_run: true } },
    { op: 'streamEvents', method: 'GET', path: '/v1/events?types=state', sse: { events: 2, trigger: () => fetchJson('POST', '/v1/services/api/restart') } },
  ];

  async function fetchJson(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    const res = await unixFetch(sock)(`http://opsdeck${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
    return (await res.json()) as Record<string, unknown>;
  }

  it('calls every operation of docs/openapi.json and gets the recorded status and kind of answer', async () => {
    // Two snapshots to show, diff and restore (the second is the `backup` example, after a write); a silence to end.
    ids.first = (await fetchJson('POST', '/v1/backups', {})).snapshot as string;
    const storage = `http://127.0.0.1:${copy.ports.get(7101)}/kv/greeting`;
    assert.equal((await fetch(storage, { method: 'PUT', body: 'hello' })).ok, true);
    // calls() again for each: a call may use an id an earlier one made.
    for (let i = 0; i < calls().length; i++) {
      const c = calls()[i]!;
      const key = recorded[c.op] ? `${c.op}_follow` : c.op;
      recorded[key] = await call(c);
      const body = recorded[key]!.response.body as { snapshot?: string; silence?: { id: string } };
      if (c.op === 'backup') ids.second = body.snapshot!;
      if (c.op === 'createSilence') ids.silence = body.silence!.id;
    }
    await ready('api');

    const operations = operationsOf(JSON.parse(readFileSync(join(ROOT, 'docs/openapi.json'), 'utf8')));
    assert.deepEqual(Object.keys(recorded).filter((k) => !k.includes('_')).sort(), operations.map((o) => o.operationId).sort(), 'one example per operation of docs/openapi.json');
    for (const [op, ex] of Object.entries(recorded)) assert.ok(ex.response.status < 500, `${op}: ${ex.response.status} ${JSON.stringify(ex.response.body)}`);

    if (RECORD) {
      const file: ApiExamples = { comment: 'Recorded by test/integration/api-examples.test.ts (OPSDECK_RECORD_API_EXAMPLES=1) from a real engine running examples/default; rendered into docs/api.md by scripts/gen-api-docs.ts.', examples: recorded };
      writeFileSync(EXAMPLES_FILE, `${JSON.stringify(file, null, 2)}\n`);
      return;
    }
    const kept = (JSON.parse(readFileSync(EXAMPLES_FILE, 'utf8')) as ApiExamples).examples;
    assert.deepEqual(Object.keys(kept).sort(), Object.keys(recorded).sort(), 'docs/api-examples.json covers other routes: record it again (OPSDECK_RECORD_API_EXAMPLES=1)');
    for (const [op, ex] of Object.entries(recorded)) {
      const was = kept[op]!;
      assert.equal(ex.response.status, was.response.status, `${op}: the status changed; record the examples again (OPSDECK_RECORD_API_EXAMPLES=1)`);
      assert.equal(ex.response.type.split(';')[0], was.response.type.split(';')[0], `${op}: the content type changed`);
      assert.equal(ex.request.method, was.request.method, `${op}: the method changed`);
      assert.deepEqual(ex.request.body, was.request.body, `${op}: the request body changed`);
    }
  });
});
