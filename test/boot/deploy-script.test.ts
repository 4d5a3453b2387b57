/**
 * scripts/deploy.sh from a clean system (issue 16, docs/releases.md "Scripts"): in a fresh Debian
 * 12 machine booted with systemd-nspawn (test/boot/support/), with no Node at all, `sh deploy.sh`
 * as a user would run it, with the tarball `npm pack` made of this checkout and a one-service
 * stack with a folder release source. deploy.sh installs apt's nodejs and npm (Node 18), then
 * Node 22 with `npm install -g node@22` from the npm registry, then Opsdeck, then deploys.
 *
 * The machine shares the host's network (apt's mirror and the npm registry are all it uses; the
 * port of the stack is a free one of the host) and has nodejs.org blocked in /etc/hosts, so the
 * test proves Node never comes from there. It trusts the host's local CAs
 * (/usr/local/share/ca-certificates, e.g. a proxy's), as an administrator would set it up.
 * What is safe to keep between runs is: apt's downloaded .debs (apt checks each against the
 * signed lists it fetches fresh) and npm's cache (content-addressed, checked by integrity), in
 * ${cacheDir}/deploy-sh-{apt,npm}; the first run downloads about 80 MB.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildBundles } from '../helpers/built-cli';
import { fixture, freePort } from '../helpers/stack';
import type { HostRun } from './support/host-command';
import { BootMachine } from './support/machine';
import { cacheDir, ensureRootfs } from './support/rootfs';

const REPO = resolve(import.meta.dirname, '../..');
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const TARBALL = `opsdeck-${VERSION}.tgz`;
/** Inside the machine: what the user brought (the script, the tarball) and the release source. */
const HOME_DEPLOY = '/root/deploy';
const SRC = '/srv/src/hello';
const DIR = '/srv/hello';
const HOST_CAS = '/usr/local/share/ca-certificates';

/** `npm pack` of the built checkout into `dest`; returns the tarball's path. It must hold dist/. */
function packOpsdeck(dest: string): string {
  execFileSync('npm', ['pack', '--pack-destination', dest], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
  const file = join(dest, TARBALL);
  const listing = execFileSync('tar', ['-tzf', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  for (const f of ['package/dist/cli.js', 'package/dist/cli-program.js', 'package/dist/daemon.js']) {
    assert.ok(listing.split('\n').includes(f), `npm pack's tarball lacks ${f}: the installed opsdeck could not run`);
  }
  return file;
}

/** Release 1 of a one-service stack (test/fixtures/services/http-service.cjs) on `port`, at `root``SRC`/1. */
function writeSource(root: string, port: number): void {
  const at = join(root, SRC.slice(1), '1');
  mkdirSync(at, { recursive: true });
  copyFileSync(fixture('http-service.cjs'), join(at, 'app.cjs'));
  writeFileSync(
    join(at, 'opsdeck.yaml'),
    [
      'version: 1',
      'name: hello',
      'release: { health_timeout: 30s }',
      'services:',
      '  web:',
      '    command: [node, app.cjs]',
      `    env: { PORT: ${port} }`,
      `    health: { readiness: { http: { url: "http://127.0.0.1:${port}/health" } } }`,
      '',
    ].join('\n'),
  );
}

const atLeast = (v: string, major: number, minor: number) => {
  const [a, b] = v.replace(/^v/, '').split('.').map(Number) as [number, number];
  return a > major || (a === major && b >= minor);
};

describe('boot: scripts/deploy.sh on a fresh Debian machine without Node', function () {
  this.timeout(5 * 60_000);
  let machine: BootMachine | undefined;
  let tmp: string;
  let nodeBefore: HostRun;
  let first: HostRun;
  let seconds: number;

  const m = () => {
    assert.ok(machine, 'the machine was not made (see the before all hook\'s failure)');
    return machine;
  };
  /** `sh deploy.sh ARGS` inside, as root from a login-like environment (the npm registry the host uses). */
  const deploy = (args: string[]) =>
    m().run(['sh', `${HOME_DEPLOY}/deploy.sh`, ...args], {
      timeoutMs: 8 * 60_000,
      env: { npm_config_registry: execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim() },
    });
  const deployArgs = ['--dir', DIR, '--from', SRC, '--opsdeck', `${HOME_DEPLOY}/${TARBALL}`];

  before(async function () {
    this.timeout(25 * 60_000); // the first run builds the root file system (debootstrap) and fills the caches
    const base = await ensureRootfs();
    buildBundles();
    tmp = mkdtempSync(join(tmpdir(), 'opsdeck-deploy-sh-'));
    const tarball = packOpsdeck(tmp);
    const aptCache = join(cacheDir(), 'deploy-sh-apt');
    const npmCache = join(cacheDir(), 'deploy-sh-npm');
    mkdirSync(join(aptCache, 'partial'), { recursive: true });
    mkdirSync(npmCache, { recursive: true });
    machine = await BootMachine.create(base, 'deploysh', { network: 'host', binds: [`${aptCache}:/var/cache/apt/archives`, `${npmCache}:/root/.npm`] });
    const root = machine.root;
    assert.equal(existsSync(join(root, 'usr/bin/node')) || existsSync(join(root, 'usr/local/bin/node')), false, 'the cached root file system has no Node');
    mkdirSync(join(root, HOME_DEPLOY.slice(1)), { recursive: true });
    copyFileSync(join(REPO, 'scripts/deploy.sh'), join(root, HOME_DEPLOY.slice(1), 'deploy.sh'));
    copyFileSync(tarball, join(root, HOME_DEPLOY.slice(1), TARBALL));
    writeSource(root, await freePort());
    if (existsSync(HOST_CAS)) {
      mkdirSync(join(root, HOST_CAS.slice(1)), { recursive: true });
      for (const f of readdirSync(HOST_CAS).filter((n) => n.endsWith('.crt'))) copyFileSync(join(HOST_CAS, f), join(root, HOST_CAS.slice(1), f));
    }
    appendFileSync(join(root, 'etc/hosts'), '\n# test/boot/deploy-script.test.ts: Node must not come from nodejs.org\n0.0.0.0 nodejs.org www.nodejs.org\n:: nodejs.org www.nodejs.org\n');
    await machine.boot();
    nodeBefore = await machine.run(['sh', '-c', 'command -v node nodejs npm']);
    const t0 = Date.now();
    first = await deploy(deployArgs);
    seconds = (Date.now() - t0) / 1000;
    console.log(`      deploy.sh from a clean system to a healthy stack: ${seconds.toFixed(0)} s`);
  });

  after(async () => {
    await machine?.destroy();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('deploys: exit 0, saying what it installed', () => {
    assert.equal(first.code, 0, `deploy.sh failed:\n${first.stderr}\n${first.stdout}`);
    assert.match(first.stderr, /installing Node\.js and npm with apt-get/);
    assert.match(first.stderr, /the system's Node\.js 18\.\d+\.\d+ is older than 20\.19/);
    assert.match(first.stderr, /npm install -g node@22/);
    assert.match(first.stderr, /installing Opsdeck with npm/);
    assert.match(first.stdout + first.stderr, /deployed 1 in/);
  });

  it('Node was absent before and is 20.19 or later after, from the npm registry\'s node package', async () => {
    assert.notEqual(nodeBefore.code, 0, `no node, nodejs or npm before: ${nodeBefore.stdout}`);
    assert.equal(nodeBefore.stdout.trim(), '');
    const v = (await m().mustRun(['node', '--version'])).trim();
    assert.ok(atLeast(v, 20, 19), `node ${v} is 20.19 or later`);
    const real = (await m().mustRun(['readlink', '-f', '/usr/local/bin/node'])).trim();
    assert.match(real, /^\/usr\/local\/lib\/node_modules\/node\/.*node$/, 'node is the one npm installed globally');
    assert.equal((await m().mustRun(['/usr/bin/node', '--version'])).trim().split('.')[0], 'v18', 'apt\'s Node 18 stays, behind it on PATH');
  });

  it('opsdeck is installed from the tarball and runs', async () => {
    assert.equal((await m().mustRun(['opsdeck', '--version'])).trim(), VERSION);
    const real = (await m().mustRun(['readlink', '-f', '/usr/local/bin/opsdeck'])).trim();
    assert.equal(real, '/usr/local/lib/node_modules/opsdeck/dist/cli.js');
  });

  it('the stack is healthy (opsdeck health exits 0, the service is ready) and the ledger records release 1', async () => {
    const health = await m().run(['opsdeck', '-C', DIR, 'health', '--check']);
    assert.equal(health.code, 0, `opsdeck health: ${health.stdout}${health.stderr}`);
    const status = JSON.parse(await m().mustRun(['opsdeck', '-C', DIR, 'status', '--json'])) as { running: boolean; services: { name: string; state: string }[] };
    assert.equal(status.running, true);
    assert.deepEqual(status.services.map((s) => [s.name, s.state]), [['web', 'ready']]);
    const ledger = JSON.parse(readFileSync(join(m().root, DIR.slice(1), '.opsdeck/releases.json'), 'utf8')) as { current?: string; entries: { op: string; version: string; result: string }[] };
    assert.equal(ledger.current, '1');
    assert.deepEqual(ledger.entries.map((e) => [e.op, e.version, e.result]), [['deploy', '1', 'ok']]);
  });

  it('run again, it installs nothing and changes nothing (exit 0, the release already runs)', async () => {
    const again = await deploy(deployArgs);
    assert.equal(again.code, 0, `${again.stderr}\n${again.stdout}`);
    assert.doesNotMatch(again.stderr, /installing/);
    assert.match(again.stdout + again.stderr, /1 already runs: nothing to do/);
    const health = await m().run(['opsdeck', '-C', DIR, 'health']);
    assert.equal(health.code, 0, health.stdout);
  });

  it('a bad argument: exit 2 with what is wrong, nothing run', async () => {
    const bad = await deploy(['--dir', '/srv/other', '--node', 'latest']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--node latest: give a version of Node\.js/);
    assert.equal(existsSync(join(m().root, 'srv/other')), false);
  });
});
