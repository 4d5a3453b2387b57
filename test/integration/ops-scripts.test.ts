/**
 * The headless scripts of scripts/ops/ (docs/headless-scripts.md) as cron or a timer runs them:
 * real processes against real temp stacks, through the built CLI. Each has --help; --dry-run
 * changes nothing in the stack folder (the tree with sizes and times, before and after); --json
 * prints one JSON document; health-check exits with `opsdeck monitor`'s codes (0 for an OK stack,
 * 2 for a stack with a failed service); a bad -C is a clear error that runs nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildBundles, cli } from '../helpers/built-cli';
import { NODE, tempStack, until, type TempStack } from '../helpers/stack';

const OPS = resolve(import.meta.dirname, '../../scripts/ops');
const SCRIPTS = ['daily-maintenance', 'weekly-report', 'health-check', 'backup-verify'];

function script(name: string, ...args: string[]) {
  const r = spawnSync(join(OPS, name), args, { encoding: 'utf8', timeout: 90_000, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Every path under `dir` with its size and modification time, but the long-term metrics store:
 * reading it without an engine takes in what the last engine journaled (metrics-journal/ into
 * metrics.db; docs/headless-scripts.md), the same rows in another place.
 */
function tree(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const p = join(rel, e.name);
    if (p === join('.opsdeck', 'metrics.db') || p === join('.opsdeck', 'metrics-journal')) return [];
    const st = statSync(join(dir, p));
    return e.isDirectory() ? [`${p}/`, ...tree(dir, p)] : [`${p} ${st.size} ${st.mtimeMs}`];
  }).sort();
}

const QUIET = { rules: { engine_restarted: false, disk_low: false }, routing: { levels: [{ channels: ['vscode'] }] } };

describe('scripts/ops: headless scripts (real processes, built CLI)', function () {
  this.timeout(180_000);
  before(() => buildBundles());
  let t: TempStack | undefined;
  let running = false;
  afterEach(() => {
    if (running) assert.equal(cli(t!.dir, 'down').code, 0);
    running = false;
    t?.cleanup();
    t = undefined;
  });

  const dbStack = () => {
    t = tempStack({
      version: 1,
      name: 'ops',
      services: { app: { command: [NODE, '-e', 'setInterval(() => {}, 1000)'], backup: { sqlite: ['data/app.db'] } } },
      alerts: QUIET,
    });
    // The engine ran once, so the metrics store has something to report on.
    assert.equal(cli(t.dir, 'up', '--detach').code, 0);
    assert.equal(cli(t.dir, 'down').code, 0);
    return t;
  };

  it('--help: each says what it runs, its options and exit codes, exit 0', () => {
    for (const name of SCRIPTS) {
      const r = script(name, '--help');
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage: scripts/ops/${name}`), name);
      assert.match(r.stdout, /-C, --stack DIR/, name);
      assert.match(r.stdout, /--dry-run/, name);
      assert.match(r.stdout, /Runs: opsdeck /, name);
      assert.match(r.stdout, /Exit codes: 0 /, name);
    }
  });

  it('--dry-run changes nothing in the stack folder; --json parses', () => {
    const s = dbStack();
    writeFileSync(join(s.dir, 'keep.txt'), 'x');
    const before = tree(s.dir);

    let r = script('daily-maintenance', '-C', s.dir, '--dry-run', '--json');
    assert.equal(r.code, 0, r.stderr);
    const daily = JSON.parse(r.stdout) as { maintenance: { dryRun: boolean; tasks: { id: string }[] }; cleanup: { dryRun: boolean }; exitCode: number };
    assert.equal(daily.maintenance.dryRun, true);
    assert.ok(daily.maintenance.tasks.some((x) => x.id === 'app:sqlite:data/app.db'), r.stdout);
    assert.equal(daily.cleanup.dryRun, true);
    assert.equal(daily.exitCode, 0);

    r = script('weekly-report', '-C', s.dir, '--dry-run');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /would write \(dry run, nothing written\):\n {2}\.opsdeck\/reports\//);

    r = script('health-check', '-C', s.dir, '--dry-run', '--json');
    assert.equal(r.code, 3, 'no engine: UNKNOWN');
    assert.equal((JSON.parse(r.stdout) as { level: string }).level, 'UNKNOWN');

    assert.deepEqual(tree(s.dir), before, 'a dry run touches nothing');

    // After the comparison: `opsdeck backups verify` takes the memory journal into memory.db as it opens the stack.
    r = script('backup-verify', '-C', s.dir, '--dry-run', '--json');
    assert.equal(r.code, 1, 'no repository to verify');
    assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'BACKUP_REPO_NOT_FOUND');
    assert.ok(!tree(s.dir).some((p) => p.startsWith('.opsdeck/backups')), 'verifying creates no repository');
  });

  it('weekly-report writes the report into .opsdeck/reports/, or --out; --json prints the report', () => {
    const s = dbStack();
    let r = script('weekly-report', '-C', s.dir);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readdirSync(join(s.dir, '.opsdeck/reports')).some((f) => /^report-ops-week-\d{8}-\d{4}\.(html|json)$/.test(f)));
    r = script('weekly-report', '-C', s.dir, '--period', 'day', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([(JSON.parse(r.stdout) as { period: string }).period], ['day']);
    r = script('weekly-report', '-C', s.dir, '--period', 'day', '--format', 'json', '--out', join(s.dir, 'day.json'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(readFileSync(join(s.dir, 'day.json'), 'utf8')) as { stack: string }).stack, 'ops');
  });

  it('health-check: 0 for an OK stack, 2 (CRITICAL) for a stack with a failed service', async () => {
    t = tempStack({
      version: 1,
      name: 'hc',
      services: {
        app: { command: [NODE, '-e', 'setInterval(() => {}, 1000)'] },
        broken: { command: [NODE, '-e', 'process.exit(1)'], restart: { policy: 'on-failure', max_retries: 0 } },
      },
      alerts: QUIET,
    });
    let r = cli(t.dir, 'up', '--detach', 'app');
    assert.equal(r.code, 0, r.stderr);
    running = true;
    r = script('health-check', '-C', t.dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^OK/);

    cli(t.dir, 'start', 'broken');
    const dir = t.dir;
    await until(() => script('health-check', '-C', dir).code === 2, 30_000, 'health-check CRITICAL');
    r = script('health-check', '-C', dir, '--json');
    assert.equal(r.code, 2);
    const report = JSON.parse(r.stdout) as { level: string; alerts: { rule: string; service: string }[] };
    assert.equal(report.level, 'CRITICAL');
    assert.ok(report.alerts.some((a) => a.rule === 'service_failed' && a.service === 'broken'), r.stdout);
  });

  it('a bad -C or a bad option is a clear error that runs nothing (health-check: UNKNOWN)', () => {
    const missing = join(resolve(import.meta.dirname), 'no-such-stack');
    for (const name of SCRIPTS) {
      const r = script(name, '-C', missing);
      assert.equal(r.code, name === 'health-check' ? 3 : 1, name);
      assert.match(r.stderr, /^error: [a-z-]+: -C .*no-such-stack: no such folder or file/, name);
      assert.match(r.stderr, /hint: /, name);
      assert.equal(r.stdout, '', name);
    }
    const r = script('daily-maintenance', '--bogus');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Unknown option '--bogus'/);
  });
});
