import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../src/core/engine';
import { copyExample, processesInside, serviceProcesses, survivors, type ExampleCopy } from '../helpers/servers';
import { nextEvent, record } from '../helpers/stack';
import type { EngineEvent } from '../../src/core/contract/events';

/** Index of the first event matching `pred` (fails the test when there is none). */
function indexOf(events: EngineEvent[], what: string, pred: (e: EngineEvent) => boolean): number {
  const i = events.findIndex(pred);
  assert.ok(i >= 0, `no event: ${what}`);
  return i;
}
const spawnOf = (service: string) => (e: EngineEvent) => e.type === 'spawn' && e.service === service;
const readyOf = (service: string) => (e: EngineEvent) => e.type === 'state' && e.service === service && e.to === 'ready';

/**
 * examples/default, run as a newcomer runs it (Node services, SQLite through
 * node-sqlite3-wasm), from a copy in a temp folder so the repository's example folder is never
 * written. The copy gets a `node_modules` symlink to the repository's: Node finds
 * node-sqlite3-wasm by walking up from the service file, exactly as inside the repository, with
 * nothing changed in the services or their environment (see copyExample).
 */
describe('examples/default: the default stack under the engine (real processes)', function () {
  this.timeout(30_000);
  let copy: ExampleCopy | undefined;
  let engine: Engine | undefined;
  let events: EngineEvent[] = [];
  let api = '';
  const seen = new Map<number, string>();

  before(async () => {
    copy = await copyExample('default', { ports: [7101, 7102, 7103], linkNodeModules: true });
    engine = new Engine(copy.stack);
    events = record(engine.bus);
    api = `http://127.0.0.1:${copy.ports.get(7103)}`;
  });

  after(async () => {
    try {
      if (engine) {
        for (const [pid, name] of await serviceProcesses(engine)) seen.set(pid, name);
        await engine.dispose();
        assert.deepEqual(await survivors(seen), [], 'service processes left running after dispose');
        assert.deepEqual(processesInside(copy!.dir), [], 'processes left working in the stack folder');
      }
    } finally {
      copy?.cleanup();
    }
  });

  it('loads with the dev profile: storage, messaging, api', () => {
    assert.equal(copy!.stack.profile, 'dev');
    assert.deepEqual(copy!.stack.services, ['storage', 'messaging', 'api']);
  });

  it('starts tier by tier and settles with every service ready', async () => {
    engine!.supervisor.up();
    const settled = await engine!.supervisor.waitSettled(20_000);
    assert.deepEqual(
      settled.map((s) => `${s.name} ${s.state}`),
      ['storage ready', 'messaging ready', 'api ready'],
      JSON.stringify(settled.map((s) => [s.name, s.state, s.reason])),
    );
    // messaging (a later tier) spawns only once storage has settled; api only once both are ready.
    assert.ok(indexOf(events, 'storage ready', readyOf('storage')) < indexOf(events, 'messaging spawn', spawnOf('messaging')));
    const apiSpawn = indexOf(events, 'api spawn', spawnOf('api'));
    assert.ok(indexOf(events, 'messaging ready', readyOf('messaging')) < apiSpawn);
    assert.ok(indexOf(events, 'storage ready', readyOf('storage')) < apiSpawn);
    assert.ok(existsSync(join(copy!.dir, 'data', 'storage.db')), 'storage keeps its data in data/storage.db');
    for (const [pid, name] of await serviceProcesses(engine!)) seen.set(pid, name);
  });

  it('passes every full-functionality check (checkAll is OK)', async () => {
    const health = await engine!.checkAll();
    assert.equal(health.level, 'OK', JSON.stringify(health));
    assert.equal(health.summary, '3/3 OK');
    const outputs = Object.fromEntries(engine!.supervisor.snapshot().map((s) => [s.name, s.lastCheck?.output ?? '']));
    assert.match(outputs.storage!, /^storage ok: wrote opsdeck-check-\S+, read it back and deleted it/);
    assert.match(outputs.messaging!, /^messaging ok: published ping-\S+ on opsdeck-check and received it/);
    assert.match(outputs.api!, /^api ok: note \S+ created, read back and announced on notes/);
  });

  it('kill -9 of storage: restarted (cause crash), api degraded (upstream: storage), then all ready; data kept', async () => {
    const created = await fetch(`${api}/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'before the crash' }) });
    assert.equal(created.status, 201);
    const note = (await created.json()) as { id: string; published: boolean };
    assert.equal(note.published, true);

    const sup = engine!.supervisor;
    const { pid } = sup.service('storage');
    assert.ok(pid);
    const restart = nextEvent(engine!.bus, 'restart', (e) => e.service === 'storage');
    const degraded = nextEvent(engine!.bus, 'state', (e) => e.service === 'api' && e.to === 'degraded');
    const from = events.length;
    process.kill(pid, 'SIGKILL');

    const r = await restart;
    assert.equal(r.cause, 'crash');
    assert.equal(r.detail, 'killed by SIGKILL');
    assert.equal((await degraded).reason, 'upstream: storage');

    await sup.waitFor('storage', 'ready', 15_000);
    await sup.waitFor('api', 'ready', 15_000);
    assert.notEqual(sup.service('storage').pid, pid);
    const after = events.slice(from);
    // api was never restarted: it waited, degraded, for its upstream.
    assert.equal(after.filter((e) => e.type === 'spawn' && e.service === 'api').length, 0);
    assert.equal(after.filter((e) => e.type === 'spawn' && e.service === 'messaging').length, 0);
    assert.ok(after.some((e) => e.type === 'state' && e.service === 'api' && e.from === 'degraded' && e.to === 'ready'));

    // What was written before the kill survived it (SQLite's journal, not memory).
    const back = await fetch(`${api}/notes/${note.id}`);
    assert.equal(back.status, 200);
    assert.equal(((await back.json()) as { text: string }).text, 'before the crash');

    const health = await engine!.checkAll();
    assert.equal(health.level, 'OK', JSON.stringify(health));
    for (const [p, name] of await serviceProcesses(engine!)) seen.set(p, name);
  });
});
