import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../src/core/engine';
import { OpsError } from '../../src/core/errors';
import { freePort, NODE, tempStack, type TempStack } from '../helpers/stack';

/** `app` serves data/state.json; `{"healthy": false}` makes its /health answer 503 for good. */
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

describe('backup: in-place restore next to a damaged snapshot, and no pile of safety snapshots (real service)', function () {
  this.timeout(120_000);
  let t: TempStack;
  let engine: Engine;
  let port: number;
  let good: string;
  let damaged: string;

  const writeState = (state: object) => writeFileSync(join(t.dir, 'data', 'state.json'), JSON.stringify(state));
  const readState = () => JSON.parse(readFileSync(join(t.dir, 'data', 'state.json'), 'utf8')) as { healthy?: boolean; value?: string };
  const value = async () => (await fetch(`http://127.0.0.1:${port}/value`)).text();
  const snapshotFiles = () => readdirSync(join(t.dir, '.opsdeck', 'backups', 'snapshots')).sort();

  before(async () => {
    port = await freePort();
    t = tempStack({
      version: 1,
      name: 'damaged-test',
      services: {
        app: {
          command: [NODE, 'app.cjs'],
          env: { PORT: port },
          health: { readiness: { http: { url: `http://127.0.0.1:${port}/health` }, interval: '100ms' } },
          restart: { policy: 'never' },
          stop_grace: '2s',
          backup: { files: ['data/state.json'] },
        },
      },
    });
    writeFileSync(join(t.dir, 'app.cjs'), APP);
    mkdirSync(join(t.dir, 'data'));
    writeState({ healthy: true, value: 'v1' });
    engine = new Engine(t.stack);
    engine.up();
    await engine.supervisor.waitFor('app', 'ready', 20_000);
    good = (await engine.backups.backup({ tags: ['good'] })).snapshot;
    writeState({ healthy: true, value: 'v2' });
    damaged = (await engine.backups.backup({ tags: ['doomed'] })).snapshot;
    // An unrelated snapshot whose manifest file is damaged (garbage where the JSON was).
    writeFileSync(join(t.dir, '.opsdeck', 'backups', 'snapshots', damaged), 'this is not a manifest\n');
  });

  after(async () => {
    await engine?.dispose();
    t?.cleanup();
  });

  it('the damaged manifest does not block an in-place restore of a good snapshot; the damaged one is named as a warning', async () => {
    writeState({ healthy: true, value: 'v3' });
    await engine.restart('app');
    await engine.supervisor.waitFor('app', 'ready', 20_000);
    const r = await engine.backups.restore(good, { inPlace: true, healthTimeoutMs: 20_000 });
    assert.equal(readState().value, 'v1', 'the good snapshot is back');
    assert.equal(await value(), 'v1', 'and served');
    assert.ok(r.safetySnapshot, 'a safety snapshot was taken');
    assert.ok(
      (r.warnings ?? []).some((w) => w.includes(damaged.slice(0, 12)) && /cannot be read/.test(w)),
      `a warning names the damaged snapshot: ${JSON.stringify(r.warnings)}`,
    );
    // The damaged manifest is left as it is (verify reports it; forget removes it).
    assert.equal(readFileSync(join(t.dir, '.opsdeck', 'backups', 'snapshots', damaged), 'utf8'), 'this is not a manifest\n');
  });

  it('two failing in-place restores (health gate) roll back and leave no safety snapshot behind', async () => {
    writeState({ healthy: false, value: 'broken' });
    const bad = (await engine.backups.backup({ tags: ['bad'] })).snapshot;
    writeState({ healthy: true, value: 'good' });
    await engine.restart('app');
    await engine.supervisor.waitFor('app', 'ready', 20_000);
    const before = snapshotFiles();
    for (let attempt = 1; attempt <= 2; attempt++) {
      const err = await engine.backups.restore(bad, { inPlace: true, healthTimeoutMs: 2000 }).then(
        () => assert.fail('the restore should fail its health gate'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof OpsError, String(err));
      assert.equal(err.code, 'BACKUP_RESTORE_FAILED');
      assert.match(err.message, /failed while the health gate/);
      assert.match(err.message, /rolled back to safety snapshot \w{8} \(removed now that the data is back\)/, err.message);
      assert.equal((err.details as { rolledBack: boolean }).rolledBack, true);
      assert.deepEqual(readState(), { healthy: true, value: 'good' }, `attempt ${attempt}: the data from before is back`);
      assert.equal(engine.supervisor.service('app').state, 'ready');
    }
    assert.deepEqual(snapshotFiles(), before, 'no safety snapshot left per failed attempt');
    const recs = engine.backups.history.read().recoveries.slice(-2);
    assert.deepEqual(recs.map((x) => [x.ok, x.rolledBack]), [[false, true], [false, true]]);
  });
});
