/**
 * A snapshot manifest that cannot be read (damaged, cut short) is named wherever snapshots are
 * listed, not passed over in silence: `backups list` and `backups status` (human and --json), the
 * same through a running engine's API (GET /v1/backups, GET /v1/backups/status), and the typed
 * client. Listing still succeeds (exit 0) and shows every snapshot that can be read.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ApiClient } from '../../src/core/client';
import { readOwner } from '../../src/core/stack-lock';
import { NODE, tempStack, type TempStack } from '../helpers/stack';
import { cli, type CliRun as Run } from '../helpers/built-cli';

const ROOT = resolve(import.meta.dirname, '../..');
const ok = (r: Run) => assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
const json = <T>(r: Run) => JSON.parse(r.stdout) as T;
const DAMAGED = 'ab'.repeat(32);

interface Listing {
  snapshots: { id: string }[];
  unreadable: { id: string; reason: string }[];
}

describe('backups: a manifest that cannot be read is named where snapshots are listed (the built dist/cli.js, a real engine)', function () {
  this.timeout(120_000);
  let t: TempStack;
  let good: string;

  before(() => {
    const r = spawnSync(NODE, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    t = tempStack({ version: 1, name: 'unreadable', services: { tool: { command: [NODE, '-e', 'setInterval(() => {}, 1000)'], backup: { files: ['data/'] } } } });
    mkdirSync(join(t.dir, 'data'));
    writeFileSync(join(t.dir, 'data', 'a.txt'), 'hello');
    const b = cli(t.dir, 'backup', '--json', '--no-progress');
    ok(b);
    good = json<{ snapshot: string }>(b).snapshot;
  });

  after(() => {
    cli(t.dir, 'down');
    t?.cleanup();
  });

  it('nothing damaged: no unreadable block, and `unreadable: []` in --json', () => {
    const r = cli(t.dir, 'backups', 'list');
    ok(r);
    assert.doesNotMatch(r.stdout, /cannot be read/);
    assert.deepEqual(json<Listing>(cli(t.dir, 'backups', 'list', '--json')).unreadable, []);
    assert.equal(json<{ unreadable?: unknown }>(cli(t.dir, 'backups', 'status', '--json')).unreadable, undefined);
  });

  it('without an engine: list and status name the damaged manifest and its reason, exit 0, and still list the good snapshot', () => {
    writeFileSync(join(t.dir, '.opsdeck', 'backups', 'snapshots', DAMAGED), 'this is not a manifest\n');
    const r = cli(t.dir, 'backups', 'list');
    ok(r);
    assert.match(r.stdout, new RegExp(`^${good.slice(0, 8)} `, 'm'), 'the good snapshot is listed');
    assert.match(r.stdout, /\n\n1 manifest cannot be read \(not listed, cannot be restored\):\n {2}abababab {2}\S.*\n {2}`opsdeck backups verify` says more; restore another snapshot\n$/);
    const j = json<Listing>(cli(t.dir, 'backups', 'list', '--json'));
    assert.deepEqual(j.snapshots.map((s) => s.id), [good]);
    assert.equal(j.unreadable.length, 1);
    assert.equal(j.unreadable[0]!.id, DAMAGED);
    assert.ok(j.unreadable[0]!.reason.length > 0, 'a reason is given');

    const s = cli(t.dir, 'backups', 'status');
    ok(s);
    assert.match(s.stdout, /^repository .*: 1 snapshot, newest/m);
    assert.match(s.stdout, /\n1 manifest cannot be read \(not listed, cannot be restored\):\n {2}abababab /);
    assert.deepEqual(json<{ unreadable: { id: string }[] }>(cli(t.dir, 'backups', 'status', '--json')).unreadable.map((u) => u.id), [DAMAGED]);
  });

  it('through a running engine: the CLI, GET /v1/backups and the typed client say the same', async () => {
    ok(cli(t.dir, 'up', '--detach', '--timeout', '30s'));
    const r = cli(t.dir, 'backups', 'list');
    ok(r);
    assert.match(r.stdout, /1 manifest cannot be read \(not listed, cannot be restored\):\n {2}abababab /);
    assert.deepEqual(json<Listing>(cli(t.dir, 'backups', 'list', '--json')).unreadable.map((u) => u.id), [DAMAGED]);
    const client = new ApiClient(readOwner(t.dir)!.socket!);
    const listing = await client.snapshotListing();
    assert.deepEqual(listing.snapshots.map((s) => s.id), [good]);
    assert.deepEqual(listing.unreadable.map((u) => u.id), [DAMAGED]);
    assert.deepEqual((await client.listSnapshots()).map((s) => s.id), [good], 'listSnapshots() keeps its shape');
    assert.deepEqual((await client.backupStatus()).unreadable?.map((u) => u.id), [DAMAGED]);
    ok(cli(t.dir, 'down'));
  });
});
