import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../src/core/engine';
import { copyExample, processesInside, serviceProcesses, survivors, type ExampleCopy } from '../helpers/servers';
import { record } from '../helpers/stack';
import type { EngineEvent, EventOf } from '../../src/core/contract/events';

/**
 * examples/default as a user runs it (from a copy in a temp folder, ports remapped): notes are
 * written through the api, the stack is backed up while it runs, and a recovery drill restores
 * storage's database into a sandbox, starts storage there on another port, runs its
 * full-functionality check and reads the notes back, while the live stack keeps running.
 */
describe('backup: recovery drill of examples/default (real services)', function () {
  this.timeout(60_000);
  let copy: ExampleCopy;
  let engine: Engine;
  let events: EngineEvent[];
  const seen = new Map<number, string>();
  const ids: string[] = [];

  before(async () => {
    copy = await copyExample('default', { ports: [7101, 7102, 7103], linkNodeModules: true });
    engine = new Engine(copy.stack);
    events = record(engine.bus);
    engine.up();
    await engine.supervisor.waitSettled(30_000);
    for (const [pid, name] of await serviceProcesses(engine)) seen.set(pid, name);
    const api = `http://127.0.0.1:${copy.ports.get(7103)}`;
    for (let i = 0; i < 50; i++) {
      const r = await fetch(`${api}/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: `note ${i}` }) });
      assert.equal(r.status, 201);
      ids.push(((await r.json()) as { id: string }).id);
    }
  });

  after(async () => {
    try {
      for (const [pid, name] of await serviceProcesses(engine)) seen.set(pid, name);
      await engine?.dispose();
      assert.deepEqual(await survivors(seen), [], 'service processes left running');
      assert.deepEqual(processesInside(copy.dir), [], 'processes left working in the stack folder');
    } finally {
      copy?.cleanup();
    }
  });

  it('backs up the running stack: storage\'s live database and opsdeck.yaml', async () => {
    const r = await engine.backups.backup();
    assert.deepEqual(r.services, ['storage']);
    assert.deepEqual(r.notes, [{ service: 'storage', path: 'data/storage.db', note: 'quick_check ok' }]);
    assert.equal(r.check!.ok, true);
  });

  it('drills: the restored database serves in a sandbox, its check passes, within storage\'s RTO; the live stack is untouched', async () => {
    const livePid = engine.supervisor.service('storage').pid;
    const r = await engine.backups.drill({ keep: true });
    try {
      assert.equal(r.ok, true);
      assert.deepEqual(r.services, ['storage']);
      assert.deepEqual(r.started, ['storage']);
      const port = r.ports[String(copy.ports.get(7101))]!;
      assert.ok(port && port !== copy.ports.get(7101), 'the sandbox storage listened on its own port');
      assert.match(r.checks[0]!.output, /^storage ok: wrote opsdeck-check-\S+, read it back and deleted it/);
      assert.deepEqual(r.objectives, [{ service: 'storage', rtoMs: 60_000, recoveryMs: r.recoveryMs, withinRto: true }]);
      assert.ok(r.recoveryMs >= r.phases.restoreMs + r.phases.startMs);
      // The sandbox is a stack folder of its own: restored data, linked code, its own logs.
      assert.ok(existsSync(join(r.sandbox, 'data', 'storage.db')));
      assert.ok(existsSync(join(r.sandbox, '.opsdeck', 'logs', 'storage.log')));
      assert.equal(engine.supervisor.service('storage').pid, livePid, 'the live storage kept running');
      assert.equal(engine.supervisor.service('storage').state, 'ready');
      const drill = events.filter((e): e is EventOf<'drill'> => e.type === 'drill');
      assert.deepEqual(drill.map((e) => e.phase), ['started', 'completed']);
      assert.equal(drill[1]!.withinRto, true);
      // The figures docs/rto-rpo.md quotes come from this drill.
      process.stdout.write(`      drill of examples/default: recovery ${r.recoveryMs} ms (restore ${r.phases.restoreMs}, start ${r.phases.startMs}, check ${r.phases.checkMs})\n`);
    } finally {
      rmSync(r.sandbox, { recursive: true, force: true });
    }
  });

  it('the restored notes are the ones written before the backup', async () => {
    // Restore storage's database in place and read every note back through the live api.
    const r = await engine.backups.restore('latest', { services: ['storage'], inPlace: true });
    assert.deepEqual(r.sqlite, [{ service: 'storage', path: 'data/storage.db', integrity: 'ok' }]);
    await engine.supervisor.waitFor('api', 'ready', 15_000);
    const api = `http://127.0.0.1:${copy.ports.get(7103)}`;
    for (const [i, id] of ids.entries()) {
      const got = await fetch(`${api}/notes/${id}`);
      assert.equal(got.status, 200, `note ${i}`);
      assert.equal(((await got.json()) as { text: string }).text, `note ${i}`);
    }
    process.stdout.write(`      in-place restore of examples/default storage: recovery ${r.recoveryMs} ms (restore ${r.phases.restoreMs}, start ${r.phases.startMs}, check ${r.phases.checkMs})\n`);
  });
});
