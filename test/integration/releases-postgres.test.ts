/**
 * Releases for real (docs/releases.md): the "notes" stack of examples/real-servers/releases
 * (PostgreSQL and a small app with a schema step per version) from a local git repository,
 * deployed into an empty folder with the built CLI, then updated, broken, rolled back with the
 * data following (down-steps, the pre-update snapshot), refused by the version checks, and
 * killed (-9) at each stage of an update, the next command recovering from the ledger.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { buildBundles, cli } from '../helpers/built-cli';
import { editFile, makeReleaseRepo, type ReleaseRepo } from '../helpers/release-repo';
import { postgresBinDir, requirePostgresTools } from '../helpers/servers';
import { NODE } from '../helpers/stack';
import { ApiClient } from '../../src/core/client';
import { OpsError } from '../../src/core/errors';
import { socketPath } from '../../src/core/stack-lock';

const CLI = join(import.meta.dirname, '../../dist/cli.js');

interface RunJson {
  ok: boolean;
  version: string;
  from?: string;
  plan: string[];
  failure?: { stage: string; error: string; rolledBackTo?: string; actions: string[] };
  recovered?: { op: string; stage: string; result: string; actions?: string[] };
  entry?: { result: string; migrations: { service: string; version: number; direction: string }[]; snapshot?: string };
  error?: { code: string; message: string; hint: string };
}

describe('releases: deploy, update, automatic rollback, rollback and recovery (PostgreSQL, built CLI, local git repository)', function () {
  this.timeout(180_000);
  let r: ReleaseRepo;
  let dir: string;

  const op = (...args: string[]): RunJson & { code: number } => {
    const run = cli(r.root, '--stack', dir, ...args, '--json');
    assert.ok(run.stdout.trim().startsWith('{'), `opsdeck ${args.join(' ')} printed no JSON: ${run.stdout}\n${run.stderr}`);
    return { ...(JSON.parse(run.stdout) as RunJson), code: run.code };
  };
  /** scripts/<name>.sh --dir <deployment> …args --json, with the built CLI as $OPSDECK (Node is here: nothing is installed). */
  const script = (name: string, ...args: string[]): RunJson & { code: number } => {
    const run = spawnSync('sh', [join(import.meta.dirname, '../../scripts', `${name}.sh`), '--dir', dir, ...args, '--json'], { cwd: r.root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1', OPSDECK: `${NODE} ${CLI}` } });
    assert.ok(run.stdout.trim().startsWith('{'), `${name}.sh printed no JSON: ${run.stdout}\n${run.stderr}`);
    return { ...(JSON.parse(run.stdout) as RunJson), code: run.status ?? -1 };
  };
  const psql = (sql: string): string => {
    const p = spawnSync(join(postgresBinDir()!, 'psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(r.pgPort), '-U', 'postgres', '-d', 'postgres', '-c', sql], { encoding: 'utf8' });
    assert.equal(p.status, 0, p.stderr);
    return p.stdout.trim();
  };
  const rows = () => psql('SELECT * FROM notes ORDER BY id').split('\n');
  const columns = () => psql("SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'notes'");
  const current = () => readlinkSync(join(dir, 'current'));
  const ledgerText = () => readFileSync(join(dir, '.opsdeck', 'releases.json'), 'utf8');
  const ledger = () => JSON.parse(ledgerText()) as { current: string; schema: Record<string, number>; entries: { op: string; result: string; stage: string }[] };
  const healthy = () => {
    const h = cli(r.root, '--stack', dir, 'health', '--check');
    assert.equal(h.code, 0, `health --check: ${h.stdout}${h.stderr}`);
  };
  /** Nothing changed: the same ledger, current link and releases. */
  const unchanged = (before: { ledger: string; current: string; releases: string[] }) => {
    assert.equal(ledgerText(), before.ledger);
    assert.equal(current(), before.current);
    assert.deepEqual(readdirSync(join(dir, 'releases')), before.releases);
  };
  const state = () => ({ ledger: ledgerText(), current: current(), releases: readdirSync(join(dir, 'releases')) });

  before(async () => {
    requirePostgresTools(['initdb', 'psql', 'pg_dump']);
    buildBundles();
    r = await makeReleaseRepo();
    dir = r.deployDir;
    // 3: its check reads a column no step creates (the health gate fails), after a step 3 that has a down.
    r.tag('3', '2', (w) => {
      editFile(join(w, 'opsdeck.yaml'), (t) => t.replace('APP_COLUMNS: "id, body, author"', 'APP_COLUMNS: "id, body, author, missing"').replace('health_timeout: 60s', 'health_timeout: 15s') + '      - { version: 3, up: "echo step 3", down: "echo step 3 taken back" }\n');
    });
    // 4: needs an Opsdeck that does not exist yet.
    r.tag('4', '2', (w) => editFile(join(w, 'opsdeck.yaml'), (t) => t.replace('opsdeck: ">=0.0.0"', 'opsdeck: ">=99.0.0"')));
    // 5: its steps start at 4: nothing takes the schema from 2 to 3.
    r.tag('5', '2', (w) => editFile(join(w, 'opsdeck.yaml'), (t) => t.replace(/( {6}- \{ version: 1,.*\n)( {6}- \{ version: 2,.*\n)/, '      - { version: 4, up: "echo step 4" }\n')));
  });
  after(() => {
    if (dir && existsSync(dir)) cli(r.root, '--stack', dir, 'down');
    r?.cleanup();
  });

  it('deploy 1 from an empty folder (scripts/deploy.sh): checks, fetch, install, step 1, start in order, health gate', () => {
    const dry = op('deploy', '--from', r.repo, '--to', '1', '--dry-run');
    assert.equal(dry.code, 0);
    assert.ok(dry.plan.includes('migrate app up 1'), dry.plan.join('\n'));
    assert.equal(existsSync(dir), false, 'a dry run creates nothing');

    const run = script('deploy', '--from', r.repo, '--to', '1');
    assert.equal(run.code, 0, JSON.stringify(run.failure));
    assert.equal(current(), join('releases', '1'));
    assert.equal(readlinkSync(join(dir, 'opsdeck.yaml')), join('current', 'opsdeck.yaml'));
    assert.deepEqual(ledger().schema, { app: 1 });
    assert.equal(columns(), 'id,body');
    healthy();
    psql("INSERT INTO notes (body) VALUES ('first'), ('second')");
  });

  it('the version checks refuse a version that does not exist, one needing a newer Opsdeck and a migration gap: a clear message, nothing changed', () => {
    const before = state();
    const missing = op('update', '--to', '9');
    assert.equal(missing.code, 1);
    assert.equal(missing.error?.code, 'RELEASE_NOT_FOUND');
    assert.match(missing.error!.hint, /the versions are 1, 2, 3, 4, 5/);
    unchanged(before);

    const newer = op('update', '--to', '4');
    assert.equal(newer.error?.code, 'RELEASE_CHECK_FAILED');
    assert.match(newer.error!.message, /cannot update to 4; nothing was changed:\n {2}- needs Opsdeck >=99\.0\.0, this is /);
    unchanged(before);

    const gap = op('update', '--to', '5');
    assert.equal(gap.error?.code, 'RELEASE_CHECK_FAILED');
    assert.match(gap.error!.message, /app: the schema is at version 1, and release 5's migrations start at 4: step 2 is missing/);
    unchanged(before);
    assert.deepEqual(rows(), ['1|first', '2|second']);
  });

  it('update to 2 (scripts/update.sh): the pre-update snapshot, step 2, the switch, the app restarted, rows kept', () => {
    const run = script('update', '--to', '2');
    assert.equal(run.code, 0, JSON.stringify(run.failure));
    assert.deepEqual(run.entry!.migrations, [{ service: 'app', version: 2, direction: 'up' }]);
    assert.ok(run.entry!.snapshot, 'a pre-update snapshot');
    assert.equal(current(), join('releases', '2'));
    assert.equal(columns(), 'id,body,author');
    assert.deepEqual(rows(), ['1|first|unknown', '2|second|unknown']);
    healthy();
    psql("INSERT INTO notes (body, author) VALUES ('third', 'ann')");
  });

  it('a broken 3 (its check fails at the health gate) rolls back automatically to 2: step 3 taken back, data intact', () => {
    const run = op('update', '--to', '3');
    assert.equal(run.code, 1);
    assert.equal(run.failure?.stage, 'health');
    assert.match(run.failure!.error, /app CRITICAL .*missing/);
    assert.equal(run.failure?.rolledBackTo, '2');
    assert.deepEqual(run.failure!.actions, ['stopped app', 'took back 1 migration step (app down 3)', 'switched current back to 2', 'started 2: healthy, every check passing']);
    assert.equal(run.entry?.result, 'rolled-back');
    assert.equal(current(), join('releases', '2'));
    assert.deepEqual(ledger().schema, { app: 2 });
    assert.deepEqual(rows(), ['1|first|unknown', '2|second|unknown', '3|third|ann']);
    healthy();
  });

  it('update to an older version is refused without --allow-downgrade', () => {
    const before = state();
    const down = op('update', '--to', '1');
    assert.equal(down.error?.code, 'RELEASE_CHECK_FAILED');
    assert.match(down.error!.message, /1 is older than the running 2: pass --allow-downgrade, or use `opsdeck rollback --to 1`/);
    unchanged(before);
  });

  it('the control API of the running engine: GET /v1/releases, dry runs of update and rollback, a refused version (ApiClient)', async () => {
    const client = new ApiClient(socketPath(dir));
    const list = await client.releases();
    assert.equal(list.current, '2');
    assert.deepEqual(list.schema, { app: 2 });
    assert.deepEqual(list.releases.map((x) => `${x.version}${x.current ? '*' : ''}${x.installed ? '' : ' (not installed)'}`), ['1', '2*', '3', '4 (not installed)', '5 (not installed)']);
    assert.deepEqual(list.ledger.map((e) => `${e.op} ${e.version} ${e.result}`), ['deploy 1 ok', 'update 2 ok', 'update 3 rolled-back']);
    const before = state();
    const plan = await client.update({ to: '3', dryRun: true });
    assert.deepEqual(plan.plan.slice(-4), ['stop app', 'migrate app up 3', 'switch current → 3', 'start in dependency order, then the health gate (15s)']);
    assert.deepEqual((await client.rollback({ dryRun: true })).plan[0], 'rollback 2 → 1 (data: down)');
    await assert.rejects(client.update({ to: '4' }), (e: unknown) => e instanceof OpsError && e.code === 'RELEASE_CHECK_FAILED' && /needs Opsdeck >=99\.0\.0/.test(e.message));
    unchanged(before);
  });

  it('rollback to 1 with --data down (the default; scripts/rollback.sh): step 2 taken back, every row kept', () => {
    const dry = op('rollback', '--dry-run');
    assert.equal(dry.plan[0], 'rollback 2 → 1 (data: down)');
    const run = script('rollback');
    assert.equal(run.code, 0, JSON.stringify(run.failure));
    assert.deepEqual(run.entry!.migrations, [{ service: 'app', version: 2, direction: 'down' }]);
    assert.equal(current(), join('releases', '1'));
    assert.equal(columns(), 'id,body');
    assert.deepEqual(rows(), ['1|first', '2|second', '3|third']);
    healthy();
  });

  it('rollback with --data restore brings back the snapshot taken before the update, row by row', () => {
    const up = op('update', '--to', '2');
    assert.equal(up.code, 0, JSON.stringify(up.failure));
    psql("INSERT INTO notes (body, author) VALUES ('fourth', 'bob'); UPDATE notes SET body = 'changed' WHERE id = 1");
    const run = op('rollback', '--data', 'restore');
    assert.equal(run.code, 0, JSON.stringify(run.failure));
    assert.equal(current(), join('releases', '1'));
    assert.deepEqual(ledger().schema, { app: 1 });
    assert.equal(columns(), 'id,body');
    assert.deepEqual(rows(), ['1|first', '2|second', '3|third']);
    healthy();
  });

  describe('kill -9 of `opsdeck update` at each stage; the next update or rollback recovers', () => {
    /** `opsdeck update --to 2`, paused at `stage`, then killed. */
    const killedAt = async (stage: string) => {
      const child = spawn(NODE, [CLI, '--stack', dir, 'update', '--to', '2'], { cwd: r.root, env: { ...process.env, NO_COLOR: '1', OPSDECK_RELEASE_PAUSE_AT: stage }, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      await new Promise<void>((resolve, reject) => {
        child.stderr.on('data', (d: Buffer) => {
          err += String(d);
          if (err.includes(`paused at ${stage}`)) resolve();
        });
        child.once('exit', (code) => reject(new Error(`opsdeck update ended (${code}) before pausing at ${stage}: ${err}`)));
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      const last = ledger().entries.at(-1)!;
      assert.equal(last.result, 'in-progress');
      assert.equal(last.stage, stage === 'health' ? 'health' : stage);
      const list = JSON.parse(cli(r.root, '--stack', dir, 'releases', '--json').stdout) as { interrupted?: { stage: string } };
      assert.equal(list.interrupted?.stage, stage);
    };
    const atOne = () => {
      assert.equal(current(), join('releases', '1'));
      assert.deepEqual(ledger().schema, { app: 1 });
      assert.equal(columns(), 'id,body');
      assert.deepEqual(rows(), ['1|first', '2|second', '3|third']);
      healthy();
    };
    const atTwo = () => {
      assert.equal(current(), join('releases', '2'));
      assert.deepEqual(ledger().schema, { app: 2 });
      assert.equal(columns(), 'id,body,author');
      assert.deepEqual(rows(), ['1|first|unknown', '2|second|unknown', '3|third|unknown']);
      healthy();
    };

    /** The next `opsdeck <args>` recovers (saying `action`, when given) and ends at `at`. */
    const recovers = (args: string[], action: string | undefined, at: () => void) => {
      const run = op(...args);
      assert.equal(run.code, 0, JSON.stringify(run));
      assert.equal(run.recovered?.result, 'recovered');
      if (action) assert.ok(run.recovered?.actions?.includes(action), JSON.stringify(run.recovered));
      at();
    };
    const backToOne = () => {
      assert.equal(op('rollback').code, 0);
      atOne();
    };

    it('killed during install: the next update recovers (back to 1), then updates to 2', async () => {
      await killedAt('install');
      recovers(['update', '--to', '2'], undefined, atTwo);
      backToOne();
    });

    it('killed during the migrations (step 2 applied): the next rollback recovers to 1 (step 2 taken back)', async () => {
      await killedAt('migrate');
      recovers(['rollback'], 'took back 1 migration step (app down 2)', atOne);
    });

    it('killed right after the switch: the next update recovers (switched back to 1), then updates to 2', async () => {
      await killedAt('switch');
      assert.equal(current(), join('releases', '2'), 'the kill came after the switch');
      recovers(['update', '--to', '2'], 'switched current back to 1', atTwo);
      backToOne();
    });

    it('killed at the health gate (2 started, not yet judged): the next rollback recovers to 1', async () => {
      await killedAt('health');
      recovers(['rollback'], undefined, atOne);
    });
  });
});
