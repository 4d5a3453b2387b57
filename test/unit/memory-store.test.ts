import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'node-sqlite3-wasm';
import { FakeClock } from '../../src/core/clock';
import { EventBus } from '../../src/core/events';
import { MemoryStore, SNIPPET_CLOSE, SNIPPET_OPEN, type MemoryStoreOptions } from '../../src/core/memory/memory-store';
import { SCHEMA_VERSION } from '../../src/core/memory/schema';
import type { EngineEvent } from '../../src/core/contract/events';

const T0 = Date.UTC(2026, 0, 1, 12);
const MIN = 60_000;

const log = (service: string, at: number, line: string, stream: 'stdout' | 'stderr' = 'stdout'): EngineEvent => ({ type: 'log', service, at, stream, line });

describe('memory store (real SQLite files)', () => {
  let dir: string;
  let file: string;
  let clock: FakeClock;
  const open: MemoryStore[] = [];
  const store = (opts: MemoryStoreOptions = {}) => {
    const s = MemoryStore.open(file, { clock, ...opts });
    open.push(s);
    return s;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'opsdeck-memory-'));
    file = join(dir, '.opsdeck', 'memory.db');
    clock = new FakeClock(T0 + 60 * MIN);
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records every event a real EventBus carries, with its text and data', () => {
    const m = store();
    const bus = new EventBus();
    const sub = m.attach(bus);
    bus.emit({ type: 'spawn', service: 'storage', at: T0, pid: 4242, command: ['node', 'storage.js'] });
    bus.emit({ type: 'state', service: 'storage', at: T0 + 1, from: 'starting', to: 'ready', reason: 'readiness passed (http, 4ms)' });
    bus.emit(log('storage', T0 + 2, 'listening on 7101'));
    bus.emit({ type: 'exit', service: 'storage', at: T0 + 3, pid: 4242, code: 1, signal: null, expected: false });
    bus.emit({ type: 'restart', service: 'storage', at: T0 + 4, attempt: 2, delayMs: 1000, cause: 'crash', detail: 'exit code 1' });
    bus.emit({ type: 'state', service: 'api', at: T0 + 5, from: 'ready', to: 'degraded', reason: 'upstream: storage' });
    sub.dispose();
    bus.emit(log('storage', T0 + 6, 'not recorded: detached'));

    const all = m.latest({ limit: 100 });
    assert.deepEqual(
      all.map((h) => [h.service, h.kind, h.text]),
      [
        ['api', 'state', 'state ready → degraded: upstream: storage'],
        ['storage', 'restart', 'restart 2 in 1s (crash: exit code 1)'],
        ['storage', 'exit', 'exit code 1 (pid 4242)'],
        ['storage', 'log', 'listening on 7101'],
        ['storage', 'state', 'state starting → ready: readiness passed (http, 4ms)'],
        ['storage', 'spawn', 'spawn pid 4242: node storage.js'],
      ],
    );
    assert.deepEqual(all[1]!.data, { type: 'restart', service: 'storage', at: T0 + 4, attempt: 2, delayMs: 1000, cause: 'crash', detail: 'exit code 1' });
    assert.deepEqual(all[3]!.data, { type: 'log', service: 'storage', at: T0 + 2, stream: 'stdout', line: 'listening on 7101' });
    assert.equal(all[3]!.snippet, all[3]!.text, 'no text query: the snippet is the plain text');
    assert.equal(all[3]!.rank, 0);
    assert.equal(m.count(), 6);
  });

  it('records failing probes and the first pass after a failure, not every passing probe', () => {
    const m = store();
    const bus = new EventBus();
    m.attach(bus);
    let at = T0;
    const probe = (service: string, role: 'readiness' | 'liveness', ok: boolean) =>
      bus.emit({ type: 'probe', service, at: at++, probe: role, ok, latencyMs: 1, ...(ok ? {} : { error: 'ECONNREFUSED' }), failures: 0, threshold: 3 });
    probe('api', 'readiness', true); // healthy from the start: nothing to remember
    probe('api', 'readiness', true);
    probe('api', 'liveness', true);
    probe('api', 'readiness', false); // fails…
    probe('api', 'readiness', false);
    probe('api', 'liveness', true); // the other role is tracked on its own
    probe('db', 'readiness', true); // and so is every service
    probe('api', 'readiness', true); // …recovers
    probe('api', 'readiness', true);
    probe('db', 'liveness', false);
    probe('db', 'liveness', true);
    const rows = m.latest({ kind: 'probe', limit: 100 }).reverse();
    assert.deepEqual(
      rows.map((h) => [h.service, h.data.probe, h.data.ok]),
      [
        ['api', 'readiness', false],
        ['api', 'readiness', false],
        ['api', 'readiness', true],
        ['db', 'liveness', false],
        ['db', 'liveness', true],
      ],
    );
    m.record({ type: 'probe', service: 'api', at, probe: 'readiness', ok: true, latencyMs: 1, failures: 0, threshold: 3 });
    assert.equal(m.latest({ kind: 'probe', limit: 100 }).length, 6, 'record() itself keeps whatever it is given');
  });

  it('stores kinds the union does not know yet under their own name', () => {
    const m = store();
    m.record({ type: 'backup', service: 'storage', at: T0, snapshot: 'a1b2c3', ok: true } as unknown as EngineEvent);
    const [h] = m.search({ kind: 'backup' });
    assert.equal(h?.text, 'backup snapshot=a1b2c3 ok=true');
    assert.equal(m.search({ text: 'a1b2c3' })[0]?.kind, 'backup');
  });

  it('ranks the more relevant row first, then the newer among equals', () => {
    const m = store();
    m.record(log('api', T0, 'disk full: cannot write wal segment, disk full, giving up')); // oldest, most relevant
    m.record(log('api', T0 + MIN, 'request 17 served from cache while the disk scheduler rebalanced queues and workers idled'));
    m.record(log('worker', T0 + 2 * MIN, 'disk ok'));
    m.record(log('worker', T0 + 3 * MIN, 'disk ok'));
    const hits = m.search({ text: 'disk full' });
    assert.equal(hits.length, 1, 'all words must match');
    assert.match(hits[0]!.text, /^disk full: cannot write/);

    const disk = m.search({ text: 'disk' });
    assert.equal(disk[0]!.text, 'disk ok', 'short rows about disk first');
    assert.deepEqual(
      disk.slice(0, 2).map((h) => h.at),
      [T0 + 3 * MIN, T0 + 2 * MIN],
      'equal relevance: newest first',
    );
    assert.match(disk.at(-1)!.text, /^request 17/, 'a passing mention ranks last');
    assert.ok(disk.every((h, i) => i === 0 || disk[i - 1]!.rank >= h.rank), 'ranks are in order');
    assert.ok(disk[0]!.rank > 0);
  });

  it('boosts recent events only mildly: a much more relevant old event still wins', () => {
    clock = new FakeClock(T0 + 30 * 86_400_000); // searching a month later
    const m2 = store();
    m2.record(log('api', T0, 'timeout timeout timeout'));
    m2.record(log('api', T0 + 30 * 86_400_000 - MIN, 'request took long and finally hit a timeout after retrying twice'));
    const hits = m2.search({ text: 'timeout' });
    assert.equal(hits[0]!.text, 'timeout timeout timeout');
  });

  it('filters by service, kind and time range, with and without text', () => {
    const m = store();
    const bus = new EventBus();
    m.attach(bus);
    for (let i = 0; i < 30; i++) {
      const at = T0 + i * MIN;
      bus.emit(log(['storage', 'api', 'web'][i % 3]!, at, `tick ${i} upstream timeout`));
      if (i % 10 === 0) bus.emit({ type: 'restart', service: 'api', at, attempt: i / 10 + 1, delayMs: 500, cause: 'crash', detail: `exit code 1, upstream timeout` });
    }
    const svc = m.search({ text: 'timeout', service: 'storage', limit: 100 });
    assert.equal(svc.length, 10);
    assert.ok(svc.every((h) => h.service === 'storage'));
    assert.equal(m.search({ text: 'timeout', service: ['storage', 'web'], limit: 100 }).length, 20);
    assert.equal(m.search({ text: 'timeout', service: [], limit: 100 }).length, 33, 'an empty list is no filter');

    const restarts = m.search({ text: 'timeout', kind: 'restart' });
    assert.deepEqual(restarts.map((h) => h.kind), ['restart', 'restart', 'restart']);
    assert.equal(m.search({ text: 'timeout', kind: ['restart', 'log'], service: 'api', limit: 100 }).length, 13);

    const window = m.search({ text: 'timeout', since: T0 + 10 * MIN, until: T0 + 19 * MIN, limit: 100 });
    assert.equal(window.length, 11, 'ten log lines and the restart at minute 10');
    assert.ok(window.every((h) => h.at >= T0 + 10 * MIN && h.at <= T0 + 19 * MIN));
    assert.equal(m.search({ text: 'timeout', since: T0 + 100 * MIN }).length, 0);
    assert.equal(m.search({ text: 'timeout', until: T0 - 1 }).length, 0);

    const latest = m.latest({ service: 'api', kind: 'log', since: T0 + 20 * MIN, limit: 3 });
    assert.deepEqual(latest.map((h) => h.text), ['tick 28 upstream timeout', 'tick 25 upstream timeout', 'tick 22 upstream timeout']);
    assert.equal(m.search({ kind: 'restart', limit: 1 })[0]!.text, 'restart 3 in 500ms (crash: exit code 1, upstream timeout)');
    assert.equal(m.latest({ limit: 1000 }).length, 33, 'limit is capped at 500, more than there is here');
  });

  it('finds events recorded out of time order with time filters', () => {
    const m = store();
    m.record(log('api', T0 + 10 * MIN, 'first recorded'));
    m.record(log('api', T0 + 20 * MIN, 'second recorded'));
    m.record(log('api', T0 + 5 * MIN, 'late arrival from earlier')); // recorded after, happened before
    m.record(log('api', T0 + 30 * MIN, 'third recorded'));
    assert.deepEqual(m.search({ text: 'recorded OR arrival', until: T0 + 10 * MIN }).map((h) => h.text).sort(), ['first recorded', 'late arrival from earlier']);
    assert.deepEqual(m.latest({ since: T0 + 15 * MIN }).map((h) => h.text), ['third recorded', 'second recorded']);
    assert.deepEqual(m.latest({ until: T0 + 6 * MIN }).map((h) => h.text), ['late arrival from earlier']);
  });

  it('marks the matched words in the snippet', () => {
    const m = store();
    m.record(log('storage', T0, 'storage crashed: exit code 1 after disk full'));
    m.record({ type: 'restart', service: 'storage', at: T0 + 1, attempt: 1, delayMs: 500, cause: 'crash', detail: 'exit code 1' });
    const [first, second] = m.search({ text: 'crash*' });
    assert.equal(first!.snippet.includes(`${SNIPPET_OPEN}crash`), true);
    assert.deepEqual(
      [first, second].map((h) => h!.snippet).sort(),
      ['restart 1 in 500ms («crash»: exit code 1)', 'storage «crashed»: exit code 1 after disk full'],
    );
    assert.equal(m.search({ text: '"exit code 1"', kind: 'log' })[0]!.snippet, 'storage crashed: «exit code 1» after disk full');
    assert.equal(SNIPPET_CLOSE, '»');
  });

  it('takes plain words with odd characters without throwing', () => {
    const m = store();
    m.record(log('api', T0, 'connect ECONNREFUSED 127.0.0.1:7101 (exit code 1) user\'s "quoted" c++ 50% a/b'));
    const queries = [
      'exit code 1', 'crash*', '"unbalanced', 'unbalanced"', 'a"b', '127.0.0.1:7101', 'connect()', '(exit code 1', 'exit)', "user's",
      'c++', '50%', 'a/b', '-', '*', '^', 'NEAR(', 'foo:bar', 'service:', '{x}', '[1]', 'or', 'and not', '\\', '😀', ':', '"', '', '   ',
    ];
    for (const text of queries) assert.doesNotThrow(() => m.search({ text }), `query ${JSON.stringify(text)}`);
    assert.equal(m.search({ text: 'exit code 1' }).length, 1);
    assert.equal(m.search({ text: '127.0.0.1:7101' }).length, 1);
    assert.equal(m.search({ text: '"unbalanced' }).length, 0);
    assert.equal(m.search({ text: 'ECONN*' }).length, 1);
    assert.equal(m.search({ text: 'econnrefused' }).length, 1, 'case does not matter');
    assert.equal(m.search({ text: '(exit code 1' }).length, 1);
    assert.equal(m.search({ text: '*' }).length, 0, 'nothing searchable: no hits');
    assert.equal(m.search({ text: '   ' }).length, 1, 'blank text: latest events');
  });

  it('explains an invalid query with an OpsError and a hint', () => {
    const m = store();
    m.record(log('api', T0, 'crash'));
    for (const text of ['crash OR', 'NOT crash', 'crash AND', 'OR']) {
      assert.throws(
        () => m.search({ text }),
        (err: { name?: string; code?: string; message?: string; hint?: string }) =>
          err.name === 'OpsError' && err.code === 'MEMORY_QUERY_INVALID' && err.message!.includes(JSON.stringify(text)) && /OR \/ AND \/ NOT in capitals/.test(err.hint ?? ''),
        text,
      );
    }
  });

  it('shows what a service logged just before it crashed', () => {
    const m = store();
    const bus = new EventBus();
    m.attach(bus);
    let t = T0;
    for (let i = 0; i < 20; i++) {
      bus.emit(log('storage', (t += 100), `storage heartbeat ${i}`));
      bus.emit(log('api', (t += 100), `GET /orders ${i} 200`));
    }
    bus.emit(log('storage', (t += 100), 'wal: write failed: no space left on device', 'stderr'));
    bus.emit(log('api', (t += 100), 'GET /orders 21 502'));
    bus.emit(log('storage', (t += 100), 'PANIC: could not write checkpoint', 'stderr'));
    bus.emit({ type: 'exit', service: 'storage', at: (t += 100), pid: 7, code: 1, signal: null, expected: false });
    bus.emit({ type: 'restart', service: 'storage', at: t, attempt: 1, delayMs: 500, cause: 'crash', detail: 'exit code 1' });
    bus.emit(log('storage', (t += 100), 'storage starting again'));

    const crash = m.search({ text: 'crash', service: 'storage', kind: 'restart' })[0]!;
    const before = m.around(crash.id, { service: 'storage', before: 3, after: 0 });
    assert.deepEqual(before.map((h) => h.text), [
      'wal: write failed: no space left on device',
      'PANIC: could not write checkpoint',
      'exit code 1 (pid 7)',
      'restart 1 in 500ms (crash: exit code 1)',
    ]);
    const logsOnly = m.around(crash.id, { service: 'storage', kind: 'log', before: 2, after: 1 });
    assert.deepEqual(logsOnly.map((h) => h.text), ['wal: write failed: no space left on device', 'PANIC: could not write checkpoint', 'restart 1 in 500ms (crash: exit code 1)', 'storage starting again']);
    const everything = m.around(crash.id, { before: 2, after: 1 });
    assert.deepEqual(everything.map((h) => h.service), ['storage', 'storage', 'storage', 'storage']);
    assert.equal(m.around(crash.id).length, 12, 'ten before (all services), the hit, one after');
    assert.deepEqual(m.around(999_999), []);
  });

  it('keeps the newest maxRows, in step with the search index', () => {
    const m = store({ maxRows: 1000 });
    for (let i = 0; i < 2500; i++) m.record(log('api', T0 + i, `line ${i} ${i < 1500 ? 'ancient' : 'recent'} entry`));
    assert.equal(m.count(), 1000);
    assert.equal(m.search({ text: 'ancient' }).length, 0);
    assert.equal(m.search({ text: 'recent', limit: 500 }).length, 500);
    assert.equal(m.search({ text: '"line 1499"' }).length, 0);
    const oldest = m.search({ text: '"line 1500"' });
    assert.equal(oldest.length, 1, 'row 1500 is the oldest kept');
    assert.equal(m.around(oldest[0]!.id, { before: 10, after: 0 }).length, 1, 'nothing before it');
    assert.equal(m.search({ text: 'line', limit: 1 })[0]!.text, 'line 2499 recent entry');
    m.close();
    open.splice(0);
    const db = new sqlite3.Database(file);
    try {
      db.run("INSERT INTO events_fts (events_fts) VALUES ('integrity-check')"); // throws when the index and the rows disagree
      assert.equal(db.get('SELECT count(*) AS n FROM events')!.n, 1000);
    } finally {
      db.close();
    }
    const again = store({ maxRows: 200 });
    assert.equal(again.count(), 200, 'a smaller maxRows trims on open');
    assert.equal(again.search({ text: '2499' }).length, 1);
  });

  it('keeps the file near maxBytes when given', function () {
    this.timeout(60_000);
    const maxBytes = 600_000;
    const m = store({ maxBytes });
    const filler = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor';
    for (let i = 0; i < 12_000; i++) m.record(log('api', T0 + i, `${i} ${filler} ${i % 97}`));
    m.flush();
    assert.ok(m.count() < 12_000, `old rows were deleted (${m.count()} kept)`);
    assert.ok(statSync(file).size <= maxBytes * 1.5, `file ${statSync(file).size} bytes`);
    assert.equal(m.search({ text: '11999' }).length, 1, 'the newest rows stay');
  });

  it('keeps everything across close and reopen, with ids that never repeat', () => {
    const m = store();
    m.record(log('storage', T0, 'before restart of the engine'));
    const firstId = m.search({ text: 'before' })[0]!.id;
    m.close();
    open.splice(0);
    const again = store();
    assert.equal(again.count(), 1);
    assert.equal(again.search({ text: 'restart engine' })[0]!.data.line, 'before restart of the engine');
    again.record(log('storage', T0 + 1, 'after'));
    assert.ok(again.search({ text: 'after' })[0]!.id > firstId);
    const db = again as unknown as { db: { get(sql: string): Record<string, unknown> } };
    assert.equal(db.db.get('PRAGMA user_version')!.user_version, SCHEMA_VERSION);
  });

  it('batches writes: 10 000 log lines recorded are all searchable after flush', () => {
    const m = store();
    const bus = new EventBus();
    m.attach(bus);
    for (let i = 0; i < 10_000; i++) bus.emit(log(`svc${i % 4}`, T0 + i, `request ${i} handled in ${i % 50}ms ${i % 1000 === 0 ? 'SLOWPATH' : ''}`));
    assert.ok(m.pendingRows < 500, 'written in batches of 500 as they come');
    m.flush();
    assert.equal(m.pendingRows, 0);
    assert.equal(m.count(), 10_000);
    assert.equal(m.search({ text: 'SLOWPATH', limit: 100 }).length, 10);
    assert.equal(m.search({ text: '"request 9999"' })[0]!.service, 'svc3');
  });

  it('flushes buffered rows on the clock, and before every read', async () => {
    const m = store({ flushMs: 100 });
    m.record(log('api', T0, 'one'));
    m.record(log('api', T0, 'two'));
    assert.equal(m.pendingRows, 2);
    assert.deepEqual(clock.pending(), [100]);
    await clock.advance(99);
    assert.equal(m.pendingRows, 2);
    await clock.advance(1);
    assert.equal(m.pendingRows, 0, 'written 100 ms after the first record');
    m.record(log('api', T0, 'three'));
    assert.equal(m.search({ text: 'three' }).length, 1, 'a read sees what was just recorded');
    assert.equal(m.pendingRows, 0);
  });

  it('flushes about once a second by default', async () => {
    const m = store();
    m.record(log('api', T0, 'one'));
    assert.deepEqual(clock.pending(), [1000]);
    await clock.advance(1000);
    assert.equal(m.pendingRows, 0);
  });

  it('writes through a WAL while open, keeps what it flushed when the engine is killed, and closes back to a rollback journal', async function () {
    this.timeout(30_000);
    const m = store();
    m.record(log('api', T0, 'before'));
    m.flush();
    assert.equal(existsSync(`${file}-wal`), true, 'a commit goes to the WAL');
    const db = (m as unknown as { db: { get(sql: string): Record<string, unknown> | null } }).db;
    assert.equal(db.get('PRAGMA journal_mode')?.journal_mode, 'wal');
    assert.equal(db.get('PRAGMA auto_vacuum')?.auto_vacuum, 2, 'a new file still gets incremental auto-vacuum');
    m.close();
    open.splice(0);
    assert.equal(existsSync(`${file}-wal`), false, 'close checkpoints and removes the WAL');
    const plain = new sqlite3.Database(file);
    try {
      assert.equal(plain.get('PRAGMA journal_mode')?.journal_mode, 'delete', 'any SQLite can open the closed file');
    } finally {
      plain.close();
    }

    // A process that flushes and is then SIGKILLed, leaving its WAL and its lock behind.
    const script = join(dir, 'killed.ts');
    const storeModule = join(import.meta.dirname, '../../src/core/memory/memory-store.ts');
    writeFileSync(
      script,
      [
        `import { MemoryStore } from ${JSON.stringify(storeModule)};`,
        `const m = MemoryStore.open(${JSON.stringify(file)});`,
        `for (let i = 0; i < 300; i++) m.record({ type: 'log', service: 'api', at: ${T0} + i, stream: 'stdout', line: 'flushed ' + i });`,
        'm.flush();',
        `m.record({ type: 'log', service: 'api', at: ${T0} + 1000, stream: 'stdout', line: 'buffered only' });`,
        "process.kill(process.pid, 'SIGKILL');",
      ].join('\n'),
    );
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: join(import.meta.dirname, '../..'), encoding: 'utf8' });
    assert.equal(child.signal, 'SIGKILL', child.stderr);
    assert.equal(existsSync(`${file}-wal`), true, 'the killed process left its WAL');
    const after = store({ breakStaleLock: true });
    assert.equal(after.count(), 301, 'every flushed row survived');
    assert.equal(after.search({ text: '"flushed 299"' }).length, 1);
    assert.equal(after.search({ text: 'buffered' }).length, 0, 'rows never flushed are lost');
  });

  it('keeps recorded rows when a write fails, warns once, and writes them on a later try', async () => {
    const m = store();
    const db = (m as unknown as { db: { exec(sql: string): void } }).db;
    db.exec("CREATE TEMP TRIGGER fail BEFORE INSERT ON main.events BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END");
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      for (let i = 0; i < 1200; i++) m.record(log('api', T0 + i, `line ${i}`));
      assert.throws(() => m.flush(), (err: { code?: string; message?: string }) => err.code === 'MEMORY_WRITE_FAILED' && /disk I\/O error/.test(err.message ?? ''));
      assert.equal(m.pendingRows, 1200, 'nothing lost');
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
      assert.equal(warnings.filter((w) => w.includes('opsdeck memory')).length, 1, 'one warning for the failing spell');
      db.exec('DROP TRIGGER fail');
      await clock.advance(1000);
      assert.equal(m.pendingRows, 0, 'the retry wrote them');
      assert.equal(m.count(), 1200);
      assert.equal(m.droppedRows, 0);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('redacts secrets from stored text and data', () => {
    const m = store();
    m.record(log('api', T0, 'connecting with DB_PASSWORD=hunter2 api_key: sk-live-123'));
    m.record({ type: 'spawn', service: 'api', at: T0, pid: 1, command: ['node', 'api.js', '--token', 'tok-abc'] });
    assert.equal(m.search({ text: 'hunter2' }).length, 0);
    assert.equal(m.search({ text: 'tok-abc' }).length, 0);
    const [line] = m.search({ text: 'DB_PASSWORD' });
    assert.equal(line!.text, 'connecting with DB_PASSWORD=*** api_key: ***');
    assert.equal(line!.data.line, line!.text);
    const [spawn] = m.search({ kind: 'spawn' });
    assert.equal(spawn!.text, 'spawn pid 1: node api.js --token ***');
    assert.deepEqual(spawn!.data.command, ['node', 'api.js', '--token', '***']);
  });

  it('keeps the raw log line in data when its text differs (colour codes)', () => {
    const m = store();
    m.record(log('web', T0, '\u001b[32mready\u001b[0m in 300 ms'));
    const [h] = m.search({ text: 'ready' });
    assert.equal(h!.text, 'ready in 300 ms');
    assert.equal(h!.data.line, '\u001b[32mready\u001b[0m in 300 ms');
  });

  it('creates the folder, and keeps other openers out while open', () => {
    const m = store();
    m.record(log('api', T0, 'ok'));
    assert.equal(m.count(), 1);
    assert.equal(existsSync(`${file}.lock`), true, 'the owner holds the lock while open');
    assert.throws(
      () => MemoryStore.open(file),
      (err: { code?: string; message?: string; hint?: string }) =>
        err.code === 'MEMORY_OPEN_FAILED' && /another process has it open/.test(err.message ?? '') && (err.hint ?? '').includes(`${file}.lock`),
    );
    m.close();
    open.splice(0);
    assert.equal(existsSync(`${file}.lock`), false, 'lock released on close');
  });

  it('breaks a lock a killed engine left only when told to', () => {
    mkdirSync(`${file}.lock`, { recursive: true });
    assert.throws(() => MemoryStore.open(file), (err: { code?: string }) => err.code === 'MEMORY_OPEN_FAILED');
    const m = store({ breakStaleLock: true });
    m.record(log('api', T0, 'ok'));
    assert.equal(m.count(), 1);
  });

  it('refuses files that are not its own', () => {
    const bogus = join(dir, 'not-a-db.db');
    writeFileSync(bogus, 'this is not a database, just text that is long enough to have a header '.repeat(20));
    assert.throws(() => MemoryStore.open(bogus), (err: { code?: string; hint?: string }) => err.code === 'MEMORY_OPEN_FAILED' && /move it aside/.test(err.hint ?? ''));

    const newer = join(dir, 'newer.db');
    const db = new sqlite3.Database(newer);
    db.exec('PRAGMA user_version = 99');
    db.close();
    assert.throws(() => MemoryStore.open(newer), (err: { code?: string; message?: string }) => err.code === 'MEMORY_OPEN_FAILED' && /schema version 99/.test(err.message ?? ''));
  });

  it('ignores records after close and refuses reads', () => {
    const m = store();
    m.record(log('api', T0, 'kept'));
    m.close();
    assert.doesNotThrow(() => m.record(log('api', T0, 'dropped')));
    assert.throws(() => m.search({ text: 'kept' }), (err: { code?: string }) => err.code === 'MEMORY_CLOSED');
    assert.doesNotThrow(() => m.close());
  });
});
