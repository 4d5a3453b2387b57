/**
 * Releases from a folder source (one sub-folder per version) with a small HTTP service, through
 * the built CLI: a first deploy whose health gate fails leaves no current release and the next
 * deploy starts again (and installs the boot units it asks for); the missing-source and port-in-use refusals say what to do and change
 * nothing; install: runs in the release's folder; the last `keep` releases are kept.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundles, cli } from '../helpers/built-cli';
import { fixture, freePort, NODE } from '../helpers/stack';

interface RunJson {
  ok: boolean;
  version?: string;
  plan: string[];
  failure?: { stage: string; error: string; actions: string[] };
  error?: { code: string; message: string; hint: string };
}

describe('releases from a folder source (built CLI, a real HTTP service)', function () {
  this.timeout(120_000);
  let root: string;
  let src: string;
  let dir: string;
  let port: number;
  let unitDir: string;
  const savedUnitDir = process.env.OPSDECK_UNIT_DIR;

  /** Release `version` of a one-service stack; `check` is its full-functionality check's exit code. */
  const release = (version: string, opts: { check?: number; keep?: number; requirePort?: number; units?: boolean; failingDown?: boolean; backup?: boolean } = {}) => {
    const at = join(src, version);
    mkdirSync(at, { recursive: true });
    writeFileSync(
      join(at, 'opsdeck.yaml'),
      JSON.stringify({
        version: 1,
        name: 'web',
        release: { keep: opts.keep ?? 5, health_timeout: '10s', ...(opts.units ? { units: true } : {}), ...(opts.requirePort ? { requires: { ports: [opts.requirePort] } } : {}) },
        services: {
          web: {
            command: [NODE, fixture('http-service.cjs')],
            env: { PORT: port, VERSION: version },
            install: [NODE, '-e', 'require("fs").writeFileSync("installed", process.env.OPSDECK_RELEASE)'],
            health: { readiness: { http: { url: `http://127.0.0.1:${port}/health` } }, check: { exec: [NODE, '-e', `process.exit(${opts.check ?? 0})`] } },
            stop_grace: '2s',
            // A schema step whose way back fails: an automatic rollback of this release fails too.
            ...(opts.failingDown ? { migrate: [{ version: 1, up: [NODE, '-e', '0'], down: [NODE, '-e', 'process.exit(4)'] }] } : {}),
            ...(opts.backup ? { backup: { files: ['installed'] } } : {}),
          },
        },
      }),
    );
  };
  const op = (...args: string[]): RunJson & { code: number } => {
    const r = cli(root, '--stack', dir, ...args, '--json');
    return { ...(JSON.parse(r.stdout) as RunJson), code: r.code };
  };

  before(async () => {
    buildBundles();
    root = mkdtempSync(join(tmpdir(), 'opsdeck-rel-folder-'));
    chmodSync(root, 0o755);
    src = join(root, 'src');
    dir = join(root, 'deploy');
    port = await freePort();
    unitDir = join(root, 'units');
    mkdirSync(unitDir);
    process.env.OPSDECK_UNIT_DIR = unitDir; // the CLI inherits it: nothing is enabled there
  });
  after(() => {
    if (savedUnitDir === undefined) delete process.env.OPSDECK_UNIT_DIR;
    else process.env.OPSDECK_UNIT_DIR = savedUnitDir;
    if (existsSync(join(dir, 'current'))) cli(root, '--stack', dir, 'down');
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses a deploy without a source, saying how to give one, and creates nothing', () => {
    const r = op('deploy');
    assert.equal(r.code, 1);
    assert.equal(r.error?.code, 'RELEASE_NOT_FOUND');
    assert.match(r.error!.hint, /opsdeck deploy --from/);
    assert.equal(existsSync(dir), false);
  });

  it('refuses a release whose port is taken, naming it, and changes nothing', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const taken = (busy.address() as net.AddressInfo).port;
    try {
      release('0.9', { requirePort: taken });
      const r = op('deploy', '--from', src, '--to', '0.9');
      assert.equal(r.error?.code, 'RELEASE_CHECK_FAILED');
      assert.match(r.error!.message, new RegExp(`needs port ${taken} on 127\\.0\\.0\\.1, which is in use`));
      assert.equal(existsSync(dir), false);
    } finally {
      busy.close();
      rmSync(join(src, '0.9'), { recursive: true });
    }
  });

  it('a first deploy whose check fails is stopped and forgotten: the next deploy starts again', () => {
    release('1.0', { check: 1 });
    const bad = op('deploy', '--from', src, '--to', '1.0');
    assert.equal(bad.code, 1);
    assert.equal(bad.failure?.stage, 'health');
    assert.ok(bad.failure!.actions.includes('stopped the stack'), JSON.stringify(bad.failure));
    assert.equal(existsSync(join(dir, 'current')), false);

    release('1.1', { keep: 2, units: true });
    const good = op('deploy', '--to', '1.1');
    assert.equal(good.code, 0, JSON.stringify(good));
    assert.match(good.plan.at(-1)!, /install the boot units/);
    assert.deepEqual(readdirSync(unitDir).filter((f) => f.endsWith('.service')).length, 1, 'release.units: the engine unit written (into OPSDECK_UNIT_DIR)');
    assert.equal(readFileSync(join(dir, 'releases', '1.1', 'installed'), 'utf8'), '1.1', 'install: ran in the release folder');
    assert.equal(cli(root, '--stack', dir, 'health', '--check').code, 0);
  });

  it('keeps the last `keep` releases', () => {
    release('1.2', { keep: 2 });
    release('1.3', { keep: 2 });
    assert.equal(op('update', '--to', '1.2').code, 0);
    assert.equal(op('update', '--to', '1.3').code, 0);
    assert.deepEqual(readdirSync(join(dir, 'releases')).sort(), ['1.2', '1.3']);
  });

  it('after an automatic rollback that failed too, rollback goes back to the release the update came from, and can restore its snapshot', () => {
    release('1.4', { keep: 5, backup: true });
    assert.equal(op('update', '--to', '1.4').code, 0);
    release('1.5', { keep: 5, backup: true, check: 1, failingDown: true });
    const bad = op('update', '--to', '1.5');
    assert.equal(bad.code, 1);
    const ledger = JSON.parse(readFileSync(join(dir, '.opsdeck', 'releases.json'), 'utf8')) as { entries: { version: string; from?: string; result: string; snapshot?: string }[] };
    const entry = ledger.entries.at(-1)!;
    assert.deepEqual([entry.version, entry.from, entry.result], ['1.5', '1.4', 'failed'], 'the update and its rollback failed: 1.5 stays');
    assert.ok(entry.snapshot, 'the pre-update snapshot was taken');
    const plan = op('rollback', '--data', 'restore', '--dry-run');
    assert.equal(plan.code, 0, JSON.stringify(plan));
    assert.equal(plan.version, '1.4', 'back to the release the update came from');
    assert.ok(plan.plan.some((p) => p.includes(`restore the snapshot ${entry.snapshot!.slice(0, 8)}`)), plan.plan.join('\n'));
  });
});
