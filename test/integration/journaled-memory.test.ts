import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FakeClock } from '../../src/core/clock';
import { EventBus } from '../../src/core/events';
import { openMemoryInProcess } from '../../src/core/memory/ingest';
import { journalDir, journalSegments } from '../../src/core/memory/journal';
import { JournaledMemory, type JournaledMemoryOptions } from '../../src/core/memory/journaled-memory';
import { processesInside } from '../helpers/servers';
import { fixture, NODE, tempStack, until, type TempStack } from '../helpers/stack';
import type { EngineEvent } from '../../src/core/contract/events';

const ROOT = resolve(import.meta.dirname, '../..');
const IDLE_MS = 300;

const log = (service: string, line: string, at = Date.now()): EngineEvent => ({ type: 'log', service, at, stream: 'stdout', line });

describe('journaled memory (real worker thread, real files)', function () {
  this.timeout(30_000);
  let root: string;
  /** `<stack>/.opsdeck` */
  let opsdeck: string;
  let journalFolder: string;
  let dbFile: string;
  const memories: JournaledMemory[] = [];
  const cleanups: (() => void | Promise<void>)[] = [];

  const open = (opts: JournaledMemoryOptions = {}) => {
    const m = JournaledMemory.open(opsdeck, { idleMs: IDLE_MS, ...opts });
    memories.push(m);
    return m;
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'opsdeck-journaled-'));
    opsdeck = join(root, '.opsdeck');
    journalFolder = journalDir(opsdeck);
    dbFile = join(opsdeck, 'memory.db');
  });
  afterEach(async () => {
    for (const m of memories.splice(0)) await m.close();
    for (const c of cleanups.splice(0)) await c();
    rmSync(root, { recursive: true, force: true });
  });

  it('finds events recorded on a bus right away, runs the worker only while in use, and leaves no SQLite lock behind', async () => {
    const m = open();
    const bus = new EventBus();
    m.attach(bus);
    bus.emit(log('storage', 'checkpoint complete'));
    bus.emit({ type: 'exit', service: 'storage', at: Date.now(), pid: 4242, code: 139, signal: null, expected: false, error: 'crash: segmentation fault' });
    bus.emit({ type: 'restart', service: 'storage', at: Date.now(), attempt: 1, delayMs: 500, cause: 'crash', detail: 'exit code 139' });
    assert.equal(m.workerRunning, false, 'recording does not start the worker');
    assert.equal(existsSync(dbFile), false, 'nor open memory.db');

    const hits = await m.search({ text: 'crash' });
    assert.deepEqual(hits.map((h) => h.kind).sort(), ['exit', 'restart'], 'search sees what was recorded a moment before');
    assert.ok(hits.every((h) => h.service === 'storage'));
    assert.equal((await m.search({ text: 'checkpoint' }))[0]?.text, 'checkpoint complete');
    assert.equal(m.workerRunning, true);
    assert.equal(existsSync(`${dbFile}.lock`), true, 'the worker holds memory.db');
    assert.deepEqual(journalSegments(journalFolder), [], 'the journal was taken in and deleted');
    assert.equal(m.journal.size, 0);

    await until(() => !m.workerRunning, 5000, 'the worker to end after idleMs');
    await until(() => !existsSync(`${dbFile}.lock`), 5000, 'the memory.db lock to go with the worker');

    bus.emit(log('api', 'after the worker ended'));
    const again = await m.search({ text: 'worker ended' });
    assert.deepEqual(
      again.map((h) => h.text),
      ['after the worker ended'],
      'a later search starts a new worker',
    );
    assert.equal(m.workerRunning, true);
  });

  it('answers latest() and around() through the worker', async () => {
    const m = open();
    const bus = new EventBus();
    m.attach(bus);
    const t0 = Date.now() - 10_000;
    for (let i = 1; i <= 4; i++) bus.emit(log('storage', `storage line ${i}`, t0 + i));
    bus.emit(log('api', 'api line', t0 + 5));
    bus.emit({ type: 'exit', service: 'storage', at: t0 + 6, pid: 7, code: 1, signal: null, expected: false });
    bus.emit(log('storage', 'storage line 5', t0 + 7));

    const latest = await m.latest({ service: 'storage', kind: 'log', limit: 3 });
    assert.deepEqual(
      latest.map((h) => h.text),
      ['storage line 5', 'storage line 4', 'storage line 3'],
    );
    const [exit] = await m.latest({ kind: 'exit' });
    assert.equal(exit?.service, 'storage');
    const around = await m.around(exit!.id, { before: 2, after: 1 });
    assert.deepEqual(
      around.map((h) => h.text),
      ['storage line 4', 'api line', exit!.text, 'storage line 5'],
    );
    const logsBefore = await m.around(exit!.id, { service: 'storage', kind: 'log', before: 2, after: 0 });
    assert.deepEqual(
      logsBefore.map((h) => h.text),
      ['storage line 3', 'storage line 4', exit!.text],
    );
    assert.deepEqual(await m.around(999_999), [], 'an id not in memory');
  });

  it('indexes the journal in the background once it grows past ingestBytes, without any search', async () => {
    const m = open({ flushMs: 50, ingestBytes: 4096 });
    const bus = new EventBus();
    m.attach(bus);
    bus.emit(log('api', 'a small start'));
    await until(() => m.journal.size > 0, 5000, 'the first append');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(m.workerRunning, false, 'a journal under ingestBytes is left alone');
    assert.equal(existsSync(dbFile), false);

    for (let i = 0; i < 100; i++) bus.emit(log('api', `background row ${String(i).padStart(3, '0')} with a few more words to weigh`));
    await until(() => existsSync(dbFile) && journalSegments(journalFolder).length === 0 && m.journal.size === 0, 10_000, 'the journal to be indexed');
    await m.close();
    assert.equal(m.workerRunning, false);
    assert.deepEqual(journalSegments(journalFolder), [], 'close() had nothing more to append');

    const store = openMemoryInProcess(opsdeck);
    try {
      assert.equal(store.count(), 101, 'every row was in memory.db before close');
      assert.equal(store.search({ text: '"background row 099"' }).length, 1);
    } finally {
      store.close();
    }
  });

  it('rejects an invalid query with MEMORY_QUERY_INVALID and answers the next search', async () => {
    const m = open();
    m.journal.record(log('api', 'crash report sent'));
    await assert.rejects(m.search({ text: 'crash OR' }), (err: { code?: string; hint?: string }) => err.code === 'MEMORY_QUERY_INVALID' && typeof err.hint === 'string');
    assert.equal(m.workerRunning, true, 'the worker survives a bad query');
    const hits = await m.search({ text: 'crash' });
    assert.deepEqual(
      hits.map((h) => h.text),
      ['crash report sent'],
    );
  });

  it('close() appends buffered rows to the journal, and the next owner finds them', async () => {
    const first = open({ flushMs: 60_000 });
    const bus = new EventBus();
    first.attach(bus);
    bus.emit(log('storage', 'indexed before close'));
    assert.equal((await first.search({ text: 'indexed' })).length, 1);
    bus.emit(log('storage', 'buffered at close'));
    assert.deepEqual(journalSegments(journalFolder), [], 'still only in the buffer');
    await first.close();
    assert.equal(first.workerRunning, false);
    assert.equal(existsSync(`${dbFile}.lock`), false, 'the worker closed memory.db');
    assert.equal(journalSegments(journalFolder).length, 1, 'close() appended the buffer');

    const next = open();
    const hits = await next.search({ text: 'close' });
    assert.deepEqual(
      hits.map((h) => h.text).sort(),
      ['buffered at close', 'indexed before close'],
    );
  });

  it('answers concurrent searches, each with its own result', async () => {
    const m = open();
    const bus = new EventBus();
    m.attach(bus);
    const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];
    for (const [i, w] of words.entries()) for (let k = 0; k <= i; k++) bus.emit(log('api', `${w} event ${k}`));
    // All issued before the worker exists.
    const [alpha, bravo, charlie, delta, echo, latest] = await Promise.all([
      ...words.map((w) => m.search({ text: w })),
      m.latest({ limit: 3 }),
    ]);
    assert.deepEqual(
      [alpha, bravo, charlie, delta, echo].map((hits) => hits!.length),
      [1, 2, 3, 4, 5],
    );
    for (const [i, hits] of [alpha, bravo, charlie, delta, echo].entries()) assert.ok(hits!.every((h) => h.text.startsWith(`${words[i]} `)), `${words[i]}: ${hits!.map((h) => h.text).join(', ')}`);
    assert.deepEqual(
      latest!.map((h) => h.text),
      ['echo event 4', 'echo event 3', 'echo event 2'],
    );
    const more = await Promise.all(words.map((w) => m.search({ text: w, limit: 1 })));
    assert.deepEqual(
      more.map((hits) => hits.length),
      [1, 1, 1, 1, 1],
      'and again once the worker runs',
    );
  });

  it('rejects search(), latest() and around() with MEMORY_CLOSED after close()', async () => {
    const m = open();
    m.journal.record(log('api', 'before close'));
    assert.equal((await m.search({ text: 'close' })).length, 1);
    await m.close();
    await assert.rejects(m.search({ text: 'close' }), { code: 'MEMORY_CLOSED' });
    await assert.rejects(m.latest(), { code: 'MEMORY_CLOSED' });
    await assert.rejects(m.around(1), { code: 'MEMORY_CLOSED' });
    assert.equal(m.workerRunning, false);
  });

  it('leaves no worker running after close(), even when a search was waiting for the idle worker to end', async () => {
    // A fake clock fires the idle timeout exactly: the worker is asked to end, and a search comes
    // in before it has exited; then the owner stops.
    const clock = new FakeClock(Date.now());
    const m = open({ clock });
    m.journal.record(log('api', 'hello crash world'));
    assert.equal((await m.search({ text: 'crash' })).length, 1);
    await clock.advance(IDLE_MS);
    assert.equal(m.workerRunning, false, 'the idle worker is ending');
    const waiting = m.search({ text: 'crash' }).then(
      () => 'resolved',
      (err: { code?: string }) => err.code ?? 'rejected',
    );
    await m.close();
    const outcome = await waiting;
    assert.equal(m.workerRunning, false, `no worker after close() (the waiting search ${outcome})`);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(existsSync(`${dbFile}.lock`), false, 'memory.db is not held after close()');
  });

  describe('in a process of its own', () => {
    let t: TempStack | undefined;
    afterEach(() => {
      // A host killed by a timeout leaves its service behind: end it by its pid.
      if (t) for (const p of processesInside(t.dir)) process.kill(Number(p.split(' ')[0]), 'SIGKILL');
      t?.cleanup();
      t = undefined;
    });

    /** Run a TypeScript module with `node --import tsx`, as the tests' own process runs; its output lines and exit code. */
    async function runTsx(script: string, cwd = ROOT): Promise<{ code: number | null; lines: string[]; stderr: string }> {
      const child = spawn(NODE, ['--import', 'tsx', script], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      cleanups.push(() => void child.kill('SIGKILL'));
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((ok) => child.on('exit', (c) => ok(c)));
      return { code, lines: stdout.split('\n').filter(Boolean), stderr };
    }
    const src = (p: string) => JSON.stringify(join(ROOT, 'src/core', p));

    it('an engine host finds its events through searchMemory, never loads node-sqlite3-wasm on the main thread, and stops', async () => {
      t = tempStack({ version: 1, name: 'journaled', services: { talker: { command: [NODE, fixture('logger.cjs')], env: { LINES: 2 } } } });
      const script = join(t.dir, 'host.mts');
      writeFileSync(
        script,
        [
          "import { createRequire } from 'node:module';",
          `import { EngineHost } from ${src('host/engine-host.ts')};`,
          "const sqliteLoaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('node-sqlite3-wasm'));",
          `const host = await EngineHost.start(${JSON.stringify(t.dir)}, { owner: 'test', version: '0' });`,
          'const out = {};',
          'try {',
          "  const ready = new Promise((ok) => host.engine.bus.on('log', (e) => { if (e.line === 'logger ready') ok(); }));",
          '  host.engine.supervisor.up();',
          '  await ready;',
          "  host.engine.bus.emit({ type: 'restart', service: 'talker', at: Date.now(), attempt: 1, delayMs: 100, cause: 'crash', detail: 'exit code 3' });",
          "  out.logs = (await host.engine.searchMemory({ text: 'logger ready' })).hits.map((h) => h.text);",
          "  out.restarts = (await host.engine.searchMemory({ text: 'crash', kind: 'restart' })).hits.map((h) => h.data.detail);",
          "  out.errLines = (await host.engine.searchMemory({ text: 'err line', service: 'talker' })).hits.length;",
          '  out.sqliteOnMainThread = sqliteLoaded();',
          '  console.log(JSON.stringify(out));',
          '} finally {',
          '  await host.stop();',
          '}',
          "console.log('stopped');",
          // The check itself works: loading the store here puts the module in the cache.
          `await import(${src('memory/memory-store.ts')});`,
          "console.log(JSON.stringify({ sqliteAfterImport: sqliteLoaded() }));",
        ].join('\n'),
      );
      const { code, lines, stderr } = await runTsx(script);
      assert.ok(lines[0]?.startsWith('{'), `the host searched memory:\n${lines.join('\n')}\n${stderr}`);
      const out = JSON.parse(lines[0]!) as { logs: string[]; restarts: unknown[]; errLines: number; sqliteOnMainThread: boolean };
      assert.deepEqual(out.logs, ['logger ready'], 'a line the service printed');
      assert.deepEqual(out.restarts, ['exit code 3'], 'an event emitted on the engine bus');
      assert.equal(out.errLines, 2, "the service's stderr lines");
      assert.equal(out.sqliteOnMainThread, false, 'SQLite ran only on the worker thread');
      assert.equal(lines[1], 'stopped', `host.stop() finished (exit code ${code}):\n${stderr}`);
      assert.equal(code, 0, stderr);
      assert.deepEqual(JSON.parse(lines[2]!), { sqliteAfterImport: true }, 'the check sees node-sqlite3-wasm once the main thread loads it');
      assert.equal(existsSync(join(t.dir, '.opsdeck', 'memory.db')), true, 'the worker wrote memory.db');
      assert.equal(existsSync(join(t.dir, '.opsdeck', 'memory.db.lock')), false, 'and closed it when the host stopped');
      assert.equal(existsSync(join(t.dir, '.opsdeck', 'run', 'engine.lock')), false, 'the stack lock was released');
      assert.deepEqual(processesInside(t.dir), [], 'the service was stopped with the host');
    });

    it('close() finishes in a process that has nothing else to wait for', async () => {
      const script = join(root, 'close.mts');
      writeFileSync(
        script,
        [
          `import { JournaledMemory } from ${src('memory/journaled-memory.ts')};`,
          `const m = JournaledMemory.open(${JSON.stringify(opsdeck)}, { idleMs: 30000 });`,
          "m.journal.record({ type: 'log', service: 'api', at: Date.now(), stream: 'stdout', line: 'searched just before close' });",
          "console.log((await m.search({ text: 'searched' })).length);",
          'await m.close();',
          "console.log('closed');",
        ].join('\n'),
      );
      const { code, lines, stderr } = await runTsx(script);
      assert.equal(lines[0], '1', `the search ran:\n${stderr}`);
      assert.equal(lines[1], 'closed', `await close() returned (exit code ${code}):\n${stderr}`);
      assert.equal(code, 0);
      assert.equal(existsSync(`${dbFile}.lock`), false);
      assert.equal(existsSync(`${dbFile}-wal`), false, 'memory.db was closed cleanly');
    });
  });
});
