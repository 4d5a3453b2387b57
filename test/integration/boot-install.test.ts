/**
 * `opsdeck units install|uninstall|status|diff|generate` through the built CLI, into a temporary
 * unit folder (--unit-dir: nothing is enabled there): files written with their modes, drift after
 * an edit of opsdeck.yaml, a foreign file never overwritten, only our own files removed, the
 * refusal while `opsdeck up` runs the stack in the foreground, and bad flags.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../../src/core/client/api-client';
import { buildBundles, cli, type CliRun } from '../helpers/built-cli';
import { tempStack, type TempStack } from '../helpers/stack';

const json = (r: CliRun) => JSON.parse(r.stdout) as Record<string, unknown>;
const config = (port: number) => ({
  version: 1,
  name: 'shop',
  services: {
    db: { tier: 'storage', command: ['node', '-e', 'setInterval(() => {}, 1000)'], env: { PORT: port, DB_PASSWORD: 'hunter2' } },
    api: { command: ['node', '-e', 'setInterval(() => {}, 1000)'], depends_on: { db: 'started' } },
  },
});

describe('opsdeck units install / uninstall / status / diff (built CLI, temporary unit folder)', function () {
  this.timeout(120_000);
  let t: TempStack;
  let units: string;
  const run = (...args: string[]) => cli(t.dir, ...args, '--unit-dir', units);
  before(() => buildBundles());
  beforeEach(() => {
    t = tempStack(config(7001));
    units = mkdtempSync(join(tmpdir(), 'opsdeck-units-'));
  });
  afterEach(() => {
    t.cleanup();
    rmSync(units, { recursive: true, force: true });
  });

  it('install --dry-run says what it would write and writes nothing', () => {
    const r = run('units', 'install', '--target', 'systemd', '--mode', 'native', '--dry-run', '--json');
    assert.equal(r.code, 0, r.stderr);
    const out = json(r);
    assert.equal(out.dryRun, true);
    assert.deepEqual((out.written as string[]).sort(), ['opsdeck-shop-api.service', 'opsdeck-shop-db.env', 'opsdeck-shop-db.service', 'opsdeck-shop.target']);
    assert.deepEqual(out.commands, [], 'a folder systemd does not read: nothing to enable');
    assert.deepEqual(readdirSync(units), []);
  });

  it('installs, reports installed and current, then drifted after an edit, and a second install is current again', () => {
    const r = run('units', 'install', '--target', 'systemd', '--mode', 'native', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(join(units, 'opsdeck-shop-db.env')).mode & 0o777, 0o600, 'secrets are private');
    assert.match(readFileSync(join(units, 'opsdeck-shop-db.env'), 'utf8'), /^DB_PASSWORD="hunter2"$/m);
    assert.doesNotMatch(readFileSync(join(units, 'opsdeck-shop-db.service'), 'utf8'), /hunter2/);
    let status = json(run('units', 'status', '--target', 'systemd', '--mode', 'native', '--json'));
    assert.equal(status.installed, true);
    assert.equal(status.drifted, false);
    assert.equal(run('units', 'diff', '--target', 'systemd', '--mode', 'native').code, 0);

    writeFileSync(join(t.dir, 'opsdeck.yaml'), JSON.stringify(config(7002)));
    status = json(run('units', 'status', '--target', 'systemd', '--mode', 'native', '--json'));
    assert.equal(status.drifted, true);
    const drifted = (status.files as { name: string; drifted: boolean }[]).filter((f) => f.drifted).map((f) => f.name);
    assert.deepEqual(drifted, ['opsdeck-shop-db.service']);
    const diff = run('units', 'diff', '--target', 'systemd', '--mode', 'native');
    assert.equal(diff.code, 1);
    assert.match(diff.stdout, /^-Environment="PORT=7001"$/m);
    assert.match(diff.stdout, /^\+Environment="PORT=7002"$/m);

    const again = json(run('units', 'install', '--target', 'systemd', '--mode', 'native', '--json'));
    assert.deepEqual(again.written, ['opsdeck-shop-db.service']);
    assert.equal(json(run('units', 'status', '--target', 'systemd', '--mode', 'native', '--json')).drifted, false);
  });

  it('never overwrites a file it did not write, and writes nothing then', () => {
    const foreign = join(units, 'opsdeck-shop-api.service');
    writeFileSync(foreign, '[Service]\nExecStart=/bin/true\n');
    const r = run('units', 'install', '--target', 'systemd', '--mode', 'native');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not overwriting .*opsdeck-shop-api\.service: Opsdeck did not write it/);
    assert.match(r.stderr, /hint: /);
    assert.equal(readFileSync(foreign, 'utf8'), '[Service]\nExecStart=/bin/true\n');
    assert.deepEqual(readdirSync(units), ['opsdeck-shop-api.service']);
    const j = json(run('units', 'install', '--target', 'systemd', '--mode', 'native', '--json'));
    assert.equal((j.error as { code: string }).code, 'UNITS_FOREIGN_FILE');
    const status = json(run('units', 'status', '--target', 'systemd', '--mode', 'native', '--json'));
    assert.equal((status.files as { name: string; installed: string }[]).find((f) => f.name === 'opsdeck-shop-api.service')?.installed, 'foreign');
  });

  it('uninstall removes only its own files; a mode change removes the other mode\'s files', () => {
    assert.equal(run('units', 'install', '--target', 'systemd', '--mode', 'native').code, 0);
    // Another stack's unit, and one written by hand with a name like ours.
    writeFileSync(join(units, 'opsdeck-other.service'), '# Generated by Opsdeck for stack "other"\n# opsdeck-stack: other\n# opsdeck-dir: /x\n# opsdeck-source-sha256: 00\n# opsdeck-version: 1\n[Service]\n');
    writeFileSync(join(units, 'opsdeck-shop-extra.service'), '[Service]\nExecStart=/bin/true\n');
    const engine = json(run('units', 'install', '--target', 'systemd', '--mode', 'engine', '--json'));
    assert.deepEqual((engine.removed as string[]).sort(), ['opsdeck-shop-api.service', 'opsdeck-shop-db.env', 'opsdeck-shop-db.service', 'opsdeck-shop.target']);
    assert.deepEqual(readdirSync(units).sort(), ['opsdeck-other.service', 'opsdeck-shop-extra.service', 'opsdeck-shop.service']);

    const dry = json(run('units', 'uninstall', '--target', 'systemd', '--dry-run', '--json'));
    assert.deepEqual(dry.removed, ['opsdeck-shop.service']);
    assert.ok(existsSync(join(units, 'opsdeck-shop.service')), 'a dry run removes nothing');
    const r = run('units', 'uninstall', '--target', 'systemd');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(units).sort(), ['opsdeck-other.service', 'opsdeck-shop-extra.service']);
    assert.match(run('units', 'uninstall', '--target', 'systemd').stdout, /nothing to remove/);
  });

  it('generate --out writes launchd plists and cron lines; generate prints without --out', () => {
    const out = join(units, 'out');
    assert.equal(run('units', 'generate', '--target', 'launchd', '--mode', 'native', '--out', out).code, 0);
    assert.deepEqual(readdirSync(out).sort(), ['dev.opsdeck.shop.api.plist', 'dev.opsdeck.shop.db.plist']);
    assert.equal(statSync(join(out, 'dev.opsdeck.shop.db.plist')).mode & 0o777, 0o600, 'a plist with a secret is private');
    const cron = run('units', 'generate', '--target', 'cron', '--mode', 'engine');
    assert.equal(cron.code, 0, cron.stderr);
    assert.match(cron.stdout, /^@reboot cd \S+ && env GLIBC_TUNABLES=\S+ OPSDECK_DAEMON_GLIBC_TUNABLES=1 \S+node .*daemon\.js --stack \S+ >> \S+engine\.log 2>&1$/m);
    const lint = run('units', 'lint', '--target', 'systemd', '--mode', 'native', '--system');
    assert.equal(lint.code, 0, lint.stdout + lint.stderr);
    assert.match(lint.stdout, /^ok \(systemd-analyze verify\)/);
  });

  it('units the CLI installed are current for the daemon too (GET /v1/units/status: the same launcher and environment)', async () => {
    assert.equal(run('units', 'install', '--target', 'systemd', '--mode', 'engine').code, 0);
    const saved = process.env.OPSDECK_UNIT_DIR;
    process.env.OPSDECK_UNIT_DIR = units; // the daemon's units routes read the folder from it
    try {
      const up = cli(t.dir, 'up', '--detach');
      assert.equal(up.code, 0, up.stderr);
      const status = await new ApiClient(join(t.dir, '.opsdeck/run/engine.sock'), { timeoutMs: 20_000 }).unitsStatus({ target: 'systemd', mode: 'engine' });
      assert.equal(status.installed, true);
      assert.deepEqual(status.files.filter((f) => f.installed !== 'ours' || f.drifted).map((f) => f.name), [], 'a unit the daemon sees as foreign or drifted');
      assert.equal(status.drifted, false);
    } finally {
      cli(t.dir, 'down');
      if (saved === undefined) delete process.env.OPSDECK_UNIT_DIR;
      else process.env.OPSDECK_UNIT_DIR = saved;
    }
  });

  it('refuses to install while `opsdeck up` runs the stack in the foreground, and says what to do', () => {
    // The lock of a foreground engine: a live process (this test's) holding it as `up`.
    const run_ = join(t.dir, '.opsdeck', 'run');
    mkdirSync(run_, { recursive: true });
    writeFileSync(join(run_, 'engine.lock'), JSON.stringify({ pid: process.pid, startedAt: Date.now(), owner: 'up', version: 'test' }));
    const r = run('units', 'install', '--target', 'systemd');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /runs the stack .* in the foreground \(pid \d+\)/);
    assert.match(r.stderr, /hint: stop it first \(Ctrl-C in its terminal, or `opsdeck down`\)/);
    assert.deepEqual(readdirSync(units), []);
  });

  it('bad flags: an unknown target, --system with --user, an unknown profile', () => {
    const target = run('units', 'generate', '--target', 'upstart');
    assert.equal(target.code, 1);
    assert.match(target.stderr, /"upstart" is not a target: use one of systemd, launchd, cron/);
    const both = run('units', 'status', '--system', '--user');
    assert.equal(both.code, 1);
    assert.match(both.stderr, /--system and --user exclude each other/);
    const profile = run('units', 'generate', '--profile', 'nope');
    assert.equal(profile.code, 1);
    assert.match(profile.stderr, /nope/);
    assert.deepEqual(readdirSync(units), []);
  });
});
