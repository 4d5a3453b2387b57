import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'node-sqlite3-wasm';
import { Engine } from '../../src/core/engine';
import { OpsError } from '../../src/core/errors';
import { freePorts, NODE, record, tempStack, type TempStack } from '../helpers/stack';
import type { EngineEvent, EventOf } from '../../src/core/contract/events';

const { Database } = sqlite3;
const REPO = join(import.meta.dirname, '../..');

/**
 * `app` keeps its state in data/state.json, read once at start: `{"healthy": false}` makes its
 * /health answer 503 for good (restored data that leaves the service unhealthy). `notes` keeps
 * notes in SQLite (data/notes.db) and serves them over HTTP.
 */
const APP = `
const http = require('node:http');
const fs = require('node:fs');
const state = JSON.parse(fs.readFileSync('data/state.json', 'utf8'));
http.createServer((req, res) => {
  if (req.url === '/health') { res.statusCode = state.healthy === false ? 503 : 200; return res.end(state.healthy === false ? 'unhealthy data' : 'ok'); }
  if (req.url === '/value') return res.end(String(state.value));
  res.statusCode = 404; res.end();
}).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;
const NOTES = `
const http = require('node:http');
const { Database } = require(${JSON.stringify(join(REPO, 'node_modules/node-sqlite3-wasm'))});
const db = new Database('data/notes.db');
db.exec('CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT)');
http.createServer((req, res) => {
  if (req.url === '/health') return res.end('ok');
  if (req.url === '/notes' && req.method === 'POST') {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => { db.run('INSERT INTO notes (text) VALUES (?)', body); res.end('ok'); });
    return;
  }
  if (req.url === '/notes') return res.end(JSON.stringify(db.all('SELECT text FROM notes ORDER BY id').map((r) => r.text)));
  res.statusCode = 404; res.end();
}).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => { db.close(); process.exit(0); });
`;
/** The full-functionality check: GET a path, expect 200 and a non-empty body. */
const CHECK = `
fetch(process.argv[2]).then(async (r) => { const t = await r.text(); console.log(r.status + ' ' + t); process.exit(r.ok && t ? 0 : 1); }, (e) => { console.log(e.message); process.exit(1); });
`;

const ofType = <T extends EngineEvent['type']>(events: EngineEvent[], type: T) => events.filter((e): e is EventOf<T> => e.type === type);

describe('backup: restores, whole and partial, into a folder and in place with a health gate (real services)', function () {
  this.timeout(60_000);
  let t: TempStack;
  let engine: Engine;
  let events: EngineEvent[];
  let appPort: number;
  let notesPort: number;
  let first: string;

  const notes = async () => (await (await fetch(`http://127.0.0.1:${notesPort}/notes`)).json()) as string[];
  const value = async () => (await fetch(`http://127.0.0.1:${appPort}/value`)).text();
  const writeState = (state: object) => writeFileSync(join(t.dir, 'data', 'state.json'), JSON.stringify(state));
  const readState = () => JSON.parse(readFileSync(join(t.dir, 'data', 'state.json'), 'utf8')) as { healthy?: boolean; value?: string };

  before(async () => {
    [appPort, notesPort] = (await freePorts(2)) as [number, number];
    const svc = (script: string, port: number, extra: object) => ({
      command: [NODE, script],
      env: { PORT: port },
      health: { readiness: { http: { url: `http://127.0.0.1:${port}/health` }, interval: '100ms' }, check: { exec: [NODE, 'check.cjs', `http://127.0.0.1:${port}/${script === 'app.cjs' ? 'value' : 'notes'}`], timeout: '5s' } },
      restart: { policy: 'never' },
      stop_grace: '2s',
      ...extra,
    });
    t = tempStack({
      version: 1,
      name: 'restore-test',
      services: {
        notes: svc('notes.cjs', notesPort, { tier: 'storage', backup: { sqlite: ['data/notes.db'] }, rto: '30s' }),
        app: svc('app.cjs', appPort, { backup: { files: ['data/state.json', 'conf/'] }, rto: '1ms' }),
      },
    });
    writeFileSync(join(t.dir, 'app.cjs'), APP);
    writeFileSync(join(t.dir, 'notes.cjs'), NOTES);
    writeFileSync(join(t.dir, 'check.cjs'), CHECK);
    mkdirSync(join(t.dir, 'data'));
    mkdirSync(join(t.dir, 'conf'));
    writeFileSync(join(t.dir, 'conf', 'a.yaml'), 'a: 1\n');
    writeState({ healthy: true, value: 'v1' });
    engine = new Engine(t.stack);
    events = record(engine.bus);
    engine.up();
    await engine.supervisor.waitFor('notes', 'ready', 15_000);
    await engine.supervisor.waitFor('app', 'ready', 15_000);
    await fetch(`http://127.0.0.1:${notesPort}/notes`, { method: 'POST', body: 'first note' });
    first = (await engine.backups.backup({ tags: ['first'] })).snapshot;
  });

  after(async () => {
    await engine?.dispose();
    t?.cleanup();
  });

  it('the backup took both services, the live SQLite database as a consistent copy', async () => {
    const snap = await engine.backups.show(first);
    assert.deepEqual(
      snap.entries.filter((e) => e.type === 'file').map((e) => `${e.service}/${e.path}`).sort(),
      ['_stack/opsdeck.yaml', 'app/conf/a.yaml', 'app/data/state.json', 'notes/data/notes.db'],
    );
  });

  it('--target with --service: only that service, verified, into <target>/<service>/<path>', async () => {
    const target = join(mkdtempSync(join(tmpdir(), 'opsdeck-t-')), 'out');
    try {
      const r = await engine.backups.restore(first, { services: ['notes'], target });
      assert.deepEqual(readdirSync(target), ['notes']);
      assert.equal(r.verified, 1);
      assert.deepEqual(r.sqlite, [{ service: 'notes', path: 'data/notes.db', integrity: 'ok' }]);
      const db = new Database(join(target, 'notes', 'data', 'notes.db'), { readOnly: true });
      assert.deepEqual(db.all('SELECT text FROM notes').map((x) => x.text), ['first note']);
      db.close();
      // The folder is not empty any more: a second restore there is refused, nothing overwritten.
      await assert.rejects(engine.backups.restore(first, { target }), /not an empty folder/);
    } finally {
      rmSync(join(target, '..'), { recursive: true, force: true });
    }
  });

  it('--include picks paths: one file of one service', async () => {
    const target = join(mkdtempSync(join(tmpdir(), 'opsdeck-t-')), 'out');
    try {
      const r = await engine.backups.restore(first, { include: ['conf/*.yaml'], target });
      assert.deepEqual(r.files.map((f) => `${f.service}/${f.path}`), ['app/conf/a.yaml']);
      assert.equal(readFileSync(join(target, 'app', 'conf', 'a.yaml'), 'utf8'), 'a: 1\n');
      await assert.rejects(engine.backups.restore(first, { include: ['nothing/*'], target: join(target, 'x') }), /nothing in snapshot \w+ matches --include nothing\/\*/);
    } finally {
      rmSync(join(target, '..'), { recursive: true, force: true });
    }
  });

  it('--in-place --dry-run: the plan, and nothing changes', async () => {
    const before = (await engine.backups.list()).snapshots.length;
    const r = await engine.backups.restore(first, { services: ['notes'], inPlace: true, dryRun: true });
    assert.equal(r.dryRun, true);
    assert.match(r.plan.join('\n'), /^stop notes\ntake a safety snapshot of notes\nrestore 1 file \(/);
    assert.equal((await engine.backups.list()).snapshots.length, before, 'no safety snapshot');
    assert.equal(engine.supervisor.service('notes').state, 'ready', 'notes still runs');
  });

  it('partial in place: notes goes back to the snapshot (safety snapshot first, health gate after); app is not touched', async () => {
    await fetch(`http://127.0.0.1:${notesPort}/notes`, { method: 'POST', body: 'second note' });
    writeState({ healthy: true, value: 'v2' });
    assert.deepEqual(await notes(), ['first note', 'second note']);
    const appPid = engine.supervisor.service('app').pid;
    const from = events.length;

    const r = await engine.backups.restore(first, { services: ['notes'], inPlace: true });
    assert.deepEqual(r.services, ['notes']);
    assert.deepEqual(r.stopped, ['notes']);
    assert.deepEqual(r.sqlite, [{ service: 'notes', path: 'data/notes.db', integrity: 'ok' }]);
    assert.deepEqual(await notes(), ['first note'], 'notes serves the restored database');
    assert.equal(engine.supervisor.service('notes').state, 'ready');
    assert.equal(engine.supervisor.service('app').pid, appPid, 'app kept running');
    assert.equal(readState().value, 'v2', 'app\'s data is not touched');

    // The safety snapshot holds what was there before.
    const safety = await engine.backups.show(r.safetySnapshot!);
    assert.ok(safety.tags.includes('safety'));
    const target = join(mkdtempSync(join(tmpdir(), 'opsdeck-t-')), 'out');
    await engine.backups.restore(r.safetySnapshot!, { target });
    const db = new Database(join(target, 'notes', 'data', 'notes.db'), { readOnly: true });
    assert.deepEqual(db.all('SELECT text FROM notes').map((x) => x.text), ['first note', 'second note']);
    db.close();
    rmSync(join(target, '..'), { recursive: true, force: true });

    // Recovery time measured, against the RTO, in events and in the history.
    assert.ok(r.recoveryMs > 0 && r.recoveryMs >= r.phases.startMs);
    assert.deepEqual(r.objectives, [{ service: 'notes', rtoMs: 30_000, recoveryMs: r.recoveryMs, withinRto: true }]);
    const restoreEvents = ofType(events.slice(from), 'restore').filter((e) => e.mode === 'in-place');
    assert.deepEqual(restoreEvents.map((e) => e.phase), ['started', 'completed']);
    assert.equal(restoreEvents[1]!.withinRto, true);
    const backupEvents = ofType(events.slice(from), 'backup');
    assert.deepEqual(backupEvents.map((e) => `${e.phase} ${e.trigger}`), ['started safety', 'completed safety']);
    const states = events.slice(from).filter((e): e is EventOf<'state'> => e.type === 'state' && e.service === 'notes').map((e) => e.to);
    assert.deepEqual(states.slice(0, 2), ['stopping', 'stopped'], 'stopped before the files were swapped');
    assert.ok(states.includes('ready'));
    const rec = engine.backups.history.read().recoveries.filter((x) => x.mode === 'in-place').at(-1)!;
    assert.equal(rec.kind, 'restore');
    assert.equal(rec.ok, true);
    assert.equal(rec.recoveryMs, r.recoveryMs);
  });

  it('an RTO the recovery cannot meet is reported missed', async () => {
    const r = await engine.backups.restore(first, { services: ['app'], inPlace: true });
    assert.equal(readState().value, 'v1');
    assert.equal(await value(), 'v1', 'app restarted on the restored file');
    assert.deepEqual(r.objectives.map((o) => [o.service, o.rtoMs, o.withinRto]), [['app', 1, false]]);
    const ev = ofType(events, 'restore').at(-1)!;
    assert.equal(ev.withinRto, false);
  });

  it('in place, a health gate that fails rolls back to the safety snapshot and says so', async () => {
    writeState({ healthy: false, value: 'broken' });
    const bad = (await engine.backups.backup({ services: ['app'], tags: ['bad'] })).snapshot;
    writeState({ healthy: true, value: 'good' });
    await engine.restart('app');
    await engine.supervisor.waitFor('app', 'ready', 10_000);
    assert.equal(await value(), 'good');
    const from = events.length;

    const err = await engine.backups.restore(bad, { services: ['app'], inPlace: true, healthTimeoutMs: 2000 }).then(
      () => assert.fail('the restore should fail its health gate'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof OpsError);
    assert.equal(err.code, 'BACKUP_RESTORE_FAILED');
    assert.match(err.message, /failed while the health gate: .*app did not become ready/);
    assert.match(err.message, /rolled back to safety snapshot \w{8} \(removed now that the data is back\); app is healthy again/);
    assert.equal((err.details as { rolledBack: boolean }).rolledBack, true);

    assert.deepEqual(readState(), { healthy: true, value: 'good' }, 'the data from before the restore is back');
    assert.equal(engine.supervisor.service('app').state, 'ready');
    assert.equal(await value(), 'good', 'and served');
    const ev = ofType(events.slice(from), 'restore');
    assert.deepEqual(ev.map((e) => e.phase), ['started', 'rolled-back']);
    assert.match(ev[1]!.error!, /rolled back/);
    const rec = engine.backups.history.read().recoveries.at(-1)!;
    assert.equal(rec.ok, false);
    assert.equal(rec.rolledBack, true);
    assert.ok(!existsSync(join(t.dir, '.opsdeck', 'restore')) || readdirSync(join(t.dir, '.opsdeck', 'restore')).length === 0, 'no staging left behind');
  });

  it('refuses bad requests before touching anything', async () => {
    await assert.rejects(engine.backups.restore(first, { inPlace: true, target: '/tmp/x' }), /exclude each other/);
    await assert.rejects(engine.backups.restore(first, {}), /say where to restore/);
    await assert.rejects(engine.backups.restore('ffffffff', { inPlace: true }), (e: unknown) => e instanceof OpsError && e.code === 'BACKUP_SNAPSHOT_NOT_FOUND');
    await assert.rejects(engine.backups.restore(first, { inPlace: true, services: ['nope'] }), /has no data of nope/);
    await assert.rejects(engine.backups.restore(first, { inPlace: true, include: ['data/[x'] }), /no closing "\]"/);
    assert.equal(engine.supervisor.service('notes').state, 'ready');
  });
});
