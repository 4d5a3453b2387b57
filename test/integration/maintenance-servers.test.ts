import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/core/config/load';
import { Engine } from '../../src/core/engine';
import { copyExample, disposeServers, psqlRunner, requirePostgresTools, requireServerPackages, serviceProcesses, type ExampleCopy } from '../helpers/servers';
import { until } from '../helpers/stack';

/**
 * Maintenance on real servers (examples/real-servers, as backup-postgres.test.ts runs them):
 * PostgreSQL with measurable bloat (half the rows of a table deleted: VACUUM (ANALYZE) and REINDEX,
 * the estimate of dead-row bytes before and after, the data unchanged), and Redis's MEMORY PURGE
 * and BGREWRITEAOF through redis-cli. Never skipped: without the packages the test fails and
 * names .ci/run, which installs them.
 */
describe('maintenance: PostgreSQL and Redis (real servers)', function () {
  this.timeout(120_000);
  let copy: ExampleCopy | undefined;
  let engine: Engine | undefined;
  let env: Record<string, string>;
  const seen = new Map<number, string>();

  const psql = psqlRunner(() => env);

  before(async () => {
    requirePostgresTools(['psql']);
    requireServerPackages();
    copy = await copyExample('real-servers', { ports: [55432, 56379, 58080], mode: 0o755 });
    const file = join(copy.dir, 'opsdeck.yaml');
    const text = readFileSync(file, 'utf8')
      .replace(/(\n {4}stop_grace: 20s\n)/, '$1    backup: { postgres: {} }\n')
      .replace(/(\n {4}stop_grace: 15s\n)/, '$1    maintenance: { redis: { rewrite_aof: true, memory_purge: true } }\n');
    assert.match(text, /backup: \{ postgres: \{\} \}/, 'the postgres service of examples/real-servers still has stop_grace: 20s');
    assert.match(text, /maintenance: \{ redis:/, 'the redis service of examples/real-servers still has stop_grace: 15s');
    writeFileSync(file, text);
    engine = new Engine(parseConfig(text, file));
    env = engine.stack.config.services.postgres!.env;
    engine.up(['pg-init', 'postgres', 'redis']);
    await engine.supervisor.waitFor('postgres', 'ready', 30_000);
    await engine.supervisor.waitFor('redis', 'ready', 30_000);
    for (const [pid, name] of await serviceProcesses(engine)) seen.set(pid, name);
  });

  after(() => disposeServers(engine, seen, copy));

  it('PostgreSQL: VACUUM (ANALYZE) and REINDEX CONCURRENTLY; estimated bloat down; the data unchanged', async () => {
    await psql("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL); CREATE INDEX items_name ON items(name); INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 200000) g; DELETE FROM items WHERE id % 2 = 0;");
    // The dead rows reach the statistics when the deleting session reports them.
    await until(async () => Number(await psql("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'items'")) > 0, 30_000, 'dead rows in pg_stat_user_tables');
    const data = await psql('SELECT count(*), sum(id), md5(string_agg(name, \',\' ORDER BY id)) FROM items');

    const dry = await engine!.maintenance.run({ tasks: ['postgres'], dryRun: true });
    const planned = dry.tasks[0]!;
    assert.ok(planned.before.deadRows! >= 100_000 && planned.before.bloatBytes! > 0, JSON.stringify(planned));
    assert.match(planned.plan.join('\n'), /REINDEX DATABASE CONCURRENTLY "postgres"/);

    const r = await engine!.maintenance.run({ tasks: ['postgres'] });
    const t = r.tasks[0]!;
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(t.steps.map((s) => s.name), ['vacuum', 'reindex', 'bloat after']);
    assert.ok(t.before.bloatBytes! > 0 && t.after.bloatBytes! < t.before.bloatBytes!, `bloat ${t.before.bloatBytes} → ${t.after.bloatBytes}`);
    assert.ok(t.after.deadRows! < t.before.deadRows!, `dead rows ${t.before.deadRows} → ${t.after.deadRows}`);
    assert.equal(await psql('SELECT count(*), sum(id), md5(string_agg(name, \',\' ORDER BY id)) FROM items'), data, 'the data is unchanged');
    assert.equal(engine!.supervisor.service('postgres').state, 'ready', 'the server kept running');
  });

  it('Redis: MEMORY PURGE and BGREWRITEAOF through redis-cli, figures before and after', async () => {
    const r = await engine!.maintenance.run({ tasks: ['redis'] });
    const t = r.tasks[0]!;
    assert.ok(r.ok && !t.skipped, JSON.stringify(r));
    assert.deepEqual(t.steps.map((s) => s.name), ['bgrewriteaof', 'memory purge']);
    assert.match(t.steps[0]!.detail, /rewriting started|scheduled/i);
    assert.equal(t.steps[1]!.detail, 'OK');
    assert.ok(t.before.usedMemory! > 0 && t.after.usedMemory! > 0);
  });
});
