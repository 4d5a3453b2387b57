import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/core/config/load';
import { Engine } from '../../src/core/engine';
import { copyExample, disposeServers, psqlRunner, requirePostgresTools, requireServerPackages, serviceProcesses, type ExampleCopy } from '../helpers/servers';

/**
 * PostgreSQL from Debian's packages (examples/real-servers, run as its scripts run it: as the
 * `postgres` user through setpriv when we are root), backed up with pg_dump (plain SQL) and
 * restored in place (psql, one transaction). Never skipped: without the packages the test
 * fails and names .ci/run, which installs them.
 */
describe('backup: PostgreSQL dump and restore round trip (real server)', function () {
  this.timeout(60_000);
  let copy: ExampleCopy | undefined;
  let engine: Engine | undefined;
  let env: Record<string, string>;
  const seen = new Map<number, string>();

  const psql = psqlRunner(() => env);

  before(async () => {
    requirePostgresTools(['pg_dump', 'psql']);
    requireServerPackages();
    copy = await copyExample('real-servers', { ports: [55432, 56379, 58080], mode: 0o755 });
    // Declare the dump and an RTO for the postgres service (what a user writes in opsdeck.yaml).
    const file = join(copy.dir, 'opsdeck.yaml');
    const text = readFileSync(file, 'utf8').replace(/(\n {4}stop_grace: 20s\n)/, '$1    backup: { postgres: {} }\n    rto: 2m\n');
    assert.match(text, /backup: \{ postgres: \{\} \}/, 'the postgres service of examples/real-servers still has stop_grace: 20s');
    writeFileSync(file, text);
    engine = new Engine(parseConfig(text, file));
    env = engine.stack.config.services.postgres!.env;
    engine.up(['pg-init', 'postgres']);
    await engine.supervisor.waitFor('postgres', 'ready', 30_000);
    for (const [pid, name] of await serviceProcesses(engine)) seen.set(pid, name);
  });

  after(() => disposeServers(engine, seen, copy));

  it('pg_dump in plain SQL, stored with the snapshot; an unchanged database adds almost nothing the second time', async () => {
    await psql("CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL, balance numeric NOT NULL); INSERT INTO accounts SELECT g, 'owner ' || g, g * 10 FROM generate_series(1, 300000) g;");
    const r = await engine!.backups.backup({ services: ['postgres'] });
    assert.deepEqual(r.services, ['postgres']);
    assert.match(r.notes.find((n) => n.service === 'postgres')!.note, /^pg_dump \(PostgreSQL\) \d+/);
    const snap = await engine!.backups.show(r.snapshot);
    const dump = snap.entries.find((e) => e.service === 'postgres')!;
    assert.equal(dump.path, '.opsdeck/postgres/postgres.sql');

    const target = join(mkdtempSync(join(tmpdir(), 'opsdeck-pg-')), 'out');
    try {
      await engine!.backups.restore(r.snapshot, { target, services: ['postgres'] });
      const sql = readFileSync(join(target, 'postgres', '.opsdeck', 'postgres', 'postgres.sql'), 'utf8');
      assert.match(sql, /CREATE TABLE public\.accounts/);
      assert.match(sql, /DROP TABLE IF EXISTS public\.accounts;/, '--clean --if-exists, so it replays over an existing database');
      assert.match(sql, /COPY public\.accounts \(id, owner, balance\) FROM stdin;\n1\towner 1\t10\n/, 'plain and uncompressed');
    } finally {
      rmSync(join(target, '..'), { recursive: true, force: true });
    }

    // pg_dump writes a random `\restrict` key at the top of every dump: the first chunk differs, the rest dedups.
    const again = await engine!.backups.backup({ services: ['postgres'] });
    assert.ok(dump.size > 4 * 1024 * 1024, `a dump of several chunks (${dump.size} bytes)`);
    assert.ok(again.bytesAdded < r.bytesAdded / 2, `second dump of an unchanged database dedups (${again.bytesAdded} vs ${r.bytesAdded} bytes added)`);
  });

  it('restore in place: the service answers again and the database is as it was in the snapshot', async () => {
    const snapshot = (await engine!.backups.list()).snapshots.at(-1)!.id;
    const before = await psql('SELECT count(*), sum(balance) FROM accounts');
    assert.equal(before, '300000|450001500000');
    await psql("DELETE FROM accounts WHERE id > 100; UPDATE accounts SET owner = 'changed'; CREATE TABLE junk (x int);");

    const r = await engine!.backups.restore(snapshot, { services: ['postgres'], inPlace: true });
    assert.deepEqual(r.services, ['postgres']);
    assert.deepEqual(r.objectives.map((o) => [o.service, o.rtoMs, o.withinRto]), [['postgres', 120_000, true]]);
    assert.equal(engine!.supervisor.service('postgres').state, 'ready');
    assert.equal(await psql('SELECT count(*), sum(balance) FROM accounts'), '300000|450001500000');
    assert.equal(await psql("SELECT count(*) FROM accounts WHERE owner = 'changed'"), '0');
    // The safety snapshot took the database as it was just before (with the junk table).
    const safety = await engine!.backups.show(r.safetySnapshot!);
    assert.ok(safety.tags.includes('safety'));
    for (const [pid, name] of await serviceProcesses(engine!)) seen.set(pid, name);
  });
});
