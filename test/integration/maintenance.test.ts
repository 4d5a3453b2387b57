import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApi } from '../../src/core/api/routes/app';
import { ApiClient } from '../../src/core/client/api-client';
import type { MaintenanceProgress } from '../../src/core/contract/maintenance';
import { Engine } from '../../src/core/engine';
import { isOpsError } from '../../src/core/errors';
import { JournaledMemory } from '../../src/core/memory/journaled-memory';
import { MemoryStore } from '../../src/core/memory/memory-store';
import { bloatedDatabase, contentOf, freePages, integrity } from '../helpers/sqlite-bloat';
import { httpService, record, tempStack, until, type TempStack } from '../helpers/stack';
import { FakeClock } from '../../src/core/clock';

/**
 * Maintenance on a real SQLite database with measurable bloat (half its rows deleted), through
 * the engine and through the control API (ApiClient on the real engine's routes): the size goes
 * down by about the free pages, integrity_check stays ok, the data does not change, the run is an
 * event that memory finds; bad requests change nothing.
 */
describe('maintenance: SQLite upkeep, service tasks, caches (real SQLite)', function () {
  this.timeout(60_000);
  let t: TempStack;
  let engine: Engine;
  let db: string;

  beforeEach(async () => {
    t = tempStack({
      version: 1,
      name: 'mt',
      services: {
        api: {
          command: ['sleep', '1000'],
          backup: { sqlite: ['data/app.db'] },
          maintenance: { cache: ['cache'], tasks: { stamp: { command: ['sh', '-c', 'echo stamped > stamp.txt; echo stamped'] } } },
        },
      },
    });
    db = join(t.dir, 'data/app.db');
    bloatedDatabase(db, 40_000);
    mkdirSync(join(t.dir, 'cache/thumbs'), { recursive: true });
    writeFileSync(join(t.dir, 'cache/thumbs/a.png'), Buffer.alloc(5000));
    writeFileSync(join(t.dir, 'cache/b.tmp'), 'b');
    engine = await Engine.open(t.dir);
  });

  afterEach(async () => {
    await engine.dispose();
    t.cleanup();
  });

  it('VACUUM gives back the free pages; integrity_check ok; the rows are unchanged; the run is an event memory finds', async () => {
    const memory = MemoryStore.open(join(t.dir, '.opsdeck', 'memory.db'));
    engine.useMemory(memory);
    const events = record(engine.bus);
    const content = contentOf(db);
    const sizeBefore = statSync(db).size;
    const free = freePages(db);
    assert.ok(free > 100, `the fixture has free pages (${free})`);

    const dry = await engine.maintenance.run({ tasks: ['sqlite'], dryRun: true });
    assert.equal(statSync(db).size, sizeBefore, 'a dry run changes nothing');
    assert.equal(dry.tasks[0]!.reclaimedBytes, free * 4096, 'the dry run says freelist_count × page_size');
    assert.match(dry.tasks[0]!.plan.join('\n'), /VACUUM: rewrite .* reclaiming at least/);
    assert.equal(events.filter((e) => e.type === 'maintenance').length, 0, 'a dry run records nothing');

    const progress: MaintenanceProgress[] = [];
    const r = await engine.maintenance.run({ tasks: ['api:sqlite:data/app.db'] }, { onProgress: (p) => progress.push(p) });
    const task = r.tasks[0]!;
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(task.steps.map((s) => s.name), ['optimize', 'analyze', 'reindex', 'vacuum', 'integrity_check']);
    assert.deepEqual(progress.map((p) => p.step), ['plan', 'optimize', 'analyze', 'reindex', 'vacuum', 'integrity_check', 'done']);
    const sizeAfter = statSync(db).size;
    assert.ok(sizeAfter <= sizeBefore - free * 4096 + 4096, `size ${sizeBefore} → ${sizeAfter}, free pages ${free}`);
    assert.equal(task.before.bytes, sizeBefore);
    assert.equal(task.after.bytes, sizeAfter);
    assert.equal(task.after.freePages, 0);
    assert.equal(integrity(db), 'ok');
    assert.equal(contentOf(db), content, 'the data is unchanged');

    const ev = events.find((e) => e.type === 'maintenance');
    assert.ok(ev && ev.type === 'maintenance' && ev.ok && ev.task === 'api:sqlite:data/app.db' && ev.reclaimedBytes === sizeBefore - sizeAfter);
    const hits = await engine.searchMemory({ text: 'maintenance sqlite' });
    assert.ok(hits.hits.some((h) => h.kind === 'maintenance' && /data\/app\.db/.test(h.text)), JSON.stringify(hits.hits));
    memory.close();
  });

  it('a service\'s own task runs in its folder; the cache task empties the declared folder and keeps it', async () => {
    const r = await engine.maintenance.run({ tasks: ['stamp', 'cache'] });
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.tasks.map((x) => x.id), ['api:cache', 'api:task:stamp']);
    assert.equal(readFileSync(join(t.dir, 'stamp.txt'), 'utf8'), 'stamped\n');
    assert.equal(r.tasks[0]!.reclaimedBytes, 5001);
    assert.deepEqual(statSync(join(t.dir, 'cache')).isDirectory(), true);
    assert.throws(() => statSync(join(t.dir, 'cache/b.tmp')));
  });

  it('through the API: tasks, a run with progress, a bad request (400) that changes nothing', async () => {
    const app = createApi(engine);
    const api = new ApiClient('/nowhere.sock', { fetch: (input, init) => Promise.resolve(app.fetch(new Request(input, init))) });
    const tasks = await api.maintenanceTasks();
    assert.deepEqual(tasks.map((x) => x.id), ['api:sqlite:data/app.db', 'api:cache', 'api:task:stamp', 'opsdeck:journal', 'opsdeck:memory', 'opsdeck:memory:rebuild', 'opsdeck:metrics', 'opsdeck:backups']);
    const before = statSync(db).size;
    for (const bad of [{ tasks: ['vacum'] }, { service: 'nope' }]) {
      await assert.rejects(api.runMaintenance(bad), (e: unknown) => isOpsError(e) && /no maintenance task "vacum"|no service named "nope"/.test(e.message) && !!e.hint);
    }
    assert.equal(statSync(db).size, before, 'a bad request changed nothing');
    const steps: string[] = [];
    const r = await api.runMaintenance({ tasks: ['sqlite'] }, (p) => steps.push(p.step));
    assert.ok(r.ok && r.tasks[0]!.after.bytes! < before);
    assert.ok(steps.includes('vacuum'), steps.join());
    const c = await api.cleanup({ dryRun: true });
    assert.equal(c.dryRun, true);
  });
});

describe('maintenance: a cache that needs its service stopped (real service, health gate)', function () {
  this.timeout(60_000);

  it('stops the running service, clears, starts it again and passes the health gate; a stopped service stays stopped', async () => {
    const web = await httpService({ maintenance: { cache: ['tmp/cache'], requires_stop: true } });
    const t = tempStack({ version: 1, name: 'gate', services: { web: web.config } });
    const engine = await Engine.open(t.dir);
    try {
      mkdirSync(join(t.dir, 'tmp/cache'), { recursive: true });
      writeFileSync(join(t.dir, 'tmp/cache/x'), 'x');
      engine.up(['web']);
      await engine.supervisor.waitFor('web', 'ready', 15_000);
      const pid = engine.supervisor.service('web').pid;
      const events = record(engine.bus);
      const progress: string[] = [];
      const r = await engine.maintenance.run({ tasks: ['cache'] }, { onProgress: (p) => progress.push(p.step) });
      assert.ok(r.ok, JSON.stringify(r));
      assert.deepEqual(progress, ['plan', 'stop web', 'clear tmp/cache', 'start web (health gate)', 'done']);
      assert.equal(engine.supervisor.service('web').state, 'ready');
      assert.notEqual(engine.supervisor.service('web').pid, pid, 'a new process');
      assert.ok(events.some((e) => e.type === 'state' && e.service === 'web' && e.to === 'stopped' && /maintenance/.test(e.reason)));
      assert.ok(!existsSync(join(t.dir, 'tmp/cache/x')));

      await engine.down(['web']);
      writeFileSync(join(t.dir, 'tmp/cache/y'), 'y');
      const again = await engine.maintenance.run({ tasks: ['web:cache'] });
      assert.ok(again.ok);
      assert.equal(engine.supervisor.service('web').state, 'stopped', 'not started by maintenance');
    } finally {
      await engine.dispose();
      t.cleanup();
    }
  });
});

describe('maintenance: the schedule runs the daily set (FakeClock)', () => {
  it('maintenance.schedule runs maintenance.tasks at the cron time, as `schedule` events, and no other task', async () => {
    const t = tempStack({
      version: 1,
      name: 'sched',
      maintenance: { schedule: '0 3 * * *', tasks: ['stamp'] },
      services: { api: { command: ['sleep', '1000'], maintenance: { tasks: { stamp: { command: ['sh', '-c', 'echo run >> stamp.txt'] }, other: { command: ['sh', '-c', 'echo other >> other.txt'] } } } } },
    });
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 2, 0));
    const engine = await Engine.open(t.dir, { clock });
    try {
      const events = record(engine.bus);
      engine.maintenance.start();
      assert.equal(engine.maintenance.nextRun(), '2026-01-01T03:00:00.000Z');
      await clock.advance(59 * 60_000);
      assert.ok(!existsSync(join(t.dir, 'stamp.txt')), 'not before its time');
      await clock.advance(60_000);
      await until(() => events.some((e) => e.type === 'maintenance'), 10_000, 'the scheduled run');
      const ev = events.find((e) => e.type === 'maintenance');
      assert.ok(ev?.type === 'maintenance' && ev.trigger === 'schedule' && ev.task === 'api:task:stamp' && ev.ok, JSON.stringify(ev));
      assert.equal(readFileSync(join(t.dir, 'stamp.txt'), 'utf8'), 'run\n');
      assert.ok(!existsSync(join(t.dir, 'other.txt')), 'only the daily set of maintenance.tasks');
      assert.equal(engine.maintenance.nextRun(), '2026-01-02T03:00:00.000Z');
    } finally {
      await engine.dispose();
      t.cleanup();
    }
  });

  it('the daily preset is that set, over the API (tasks and run); with task words, or a service without daily tasks, a 400 that runs nothing', async () => {
    const t = tempStack({
      version: 1,
      name: 'preset',
      maintenance: { tasks: ['stamp'] },
      services: { api: { command: ['sleep', '1000'], maintenance: { tasks: { stamp: { command: ['sh', '-c', 'echo run >> stamp.txt'] }, other: { command: ['sh', '-c', 'echo other >> other.txt'] } } } } },
    });
    const engine = await Engine.open(t.dir);
    try {
      const app = createApi(engine);
      const api = new ApiClient('/nowhere.sock', { fetch: (input, init) => Promise.resolve(app.fetch(new Request(input, init))) });
      assert.deepEqual((await api.maintenanceTasks({ preset: 'daily' })).map((x) => x.id), ['api:task:stamp']);
      await assert.rejects(api.runMaintenance({ preset: 'daily', tasks: ['other'] }), (e: unknown) => isOpsError(e) && e.code === 'BAD_REQUEST' && /either task words \(other\) or the daily set, not both/.test(e.message) && !!e.hint);
      await assert.rejects(api.runMaintenance({ preset: 'daily', service: 'opsdeck' }), (e: unknown) => isOpsError(e) && /the daily set of opsdeck has no task/.test(e.message) && /maintenance\.tasks/.test(e.hint ?? ''));
      assert.ok(!existsSync(join(t.dir, 'stamp.txt')) && !existsSync(join(t.dir, 'other.txt')), 'a bad request ran nothing');
      const r = await api.runMaintenance({ preset: 'daily' });
      assert.deepEqual(r.tasks.map((x) => [x.id, x.ok]), [['api:task:stamp', true]]);
      assert.equal(readFileSync(join(t.dir, 'stamp.txt'), 'utf8'), 'run\n');
      assert.ok(!existsSync(join(t.dir, 'other.txt')), 'only the daily set');
    } finally {
      await engine.dispose();
      t.cleanup();
    }
  });
});

describe('maintenance: Opsdeck\'s own memory (the owner\'s journaled memory, on its worker)', function () {
  this.timeout(30_000);

  it('journal compaction takes the journal in; optimize and rebuild keep every row findable', async () => {
    const t = tempStack({ version: 1, name: 'mem', services: { api: { command: ['sleep', '1000'] } } });
    const engine = await Engine.open(t.dir);
    const memory = JournaledMemory.open(join(t.dir, '.opsdeck'), { flushMs: 10 });
    try {
      engine.useMemory(memory);
      for (let i = 0; i < 200; i++) engine.bus.emit({ type: 'log', at: Date.now(), service: 'api', stream: 'stdout', line: `request ${i} served zebra` });
      await until(() => readdirSync(join(t.dir, '.opsdeck', 'memory-journal')).length > 0, 5_000, 'the journal written');
      const r = await engine.maintenance.run({ tasks: ['opsdeck:memory:rebuild', 'opsdeck:memory', 'opsdeck:journal'] });
      assert.ok(r.ok, JSON.stringify(r));
      assert.deepEqual(r.tasks.map((x) => x.id), ['opsdeck:journal', 'opsdeck:memory', 'opsdeck:memory:rebuild'], 'in the stack\'s order of tasks');
      const [journal, optimize, rebuild] = r.tasks;
      assert.ok(journal!.before.bytes! > 0 && journal!.after.bytes === 0, JSON.stringify(journal));
      assert.match(journal!.steps[0]!.detail, /1 segment, 200 rows taken in|segments?, 2\d\d rows taken in/);
      // 200 lines, plus the maintenance events recorded meanwhile.
      assert.ok(optimize!.after.rows! >= 200 && rebuild!.after.rows! >= optimize!.after.rows!, `${optimize!.after.rows} then ${rebuild!.after.rows} rows`);
      const hits = await engine.searchMemory({ text: 'zebra', limit: 500 });
      assert.equal(hits.hits.length, 200);
    } finally {
      await engine.dispose();
      await memory.close();
      t.cleanup();
    }
  });
});
