/**
 * scripts/setup-system.mjs, the system set-up `npm test` and `.ci/run` start with: the one list
 * of packages, what is missing, how it installs (root, `sudo -n`, or the exact command to run),
 * and the `setup` step of scripts/run-tests.mjs (skippable).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { APT_PACKAGES, installMethod, manualCommand, missingPackages } from '../../scripts/setup-system.mjs';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCRIPT = path.join(ROOT, 'scripts', 'setup-system.mjs');
const debian = process.platform === 'linux' && existsSync('/usr/bin/dpkg-query') && existsSync('/usr/bin/apt-get');
const NO_SUCH = 'opsdeck-no-such-package';

function node(args: string[], { prefix = [] as string[], env = {} as Record<string, string> } = {}) {
  const argv = [...prefix, process.execPath, ...args];
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('the system set-up (scripts/setup-system.mjs)', function () {
  this.timeout(120_000);

  it('holds the one list of system packages: .ci/run runs it and has no list of its own', () => {
    const names = APT_PACKAGES.map((p) => p.name);
    for (const p of ['postgresql', 'redis-server', 'nginx', 'chromium', 'libkrb5-dev', 'make', 'g++', 'python3', 'debootstrap', 'systemd-container']) assert.ok(names.includes(p), p);
    const ci = readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8');
    assert.match(ci, /^node scripts\/setup-system\.mjs$/m);
    assert.doesNotMatch(ci, /APT_PACKAGES=|apt-get install|install-code-server/);
  });

  it('as root, installs with apt-get; with a working `sudo -n`, with that (sudo mocked)', () => {
    assert.deepEqual(installMethod(['nginx'], { uid: 0, sudoWorks: () => assert.fail('root does not ask sudo') }), { prefix: [] });
    assert.deepEqual(installMethod(['nginx'], { uid: 1000, sudoWorks: () => true }), { prefix: ['sudo', '-n'] });
  });

  it('otherwise stops with the exact command to run (sudo mocked)', () => {
    const how = installMethod(['postgresql', 'nginx'], { uid: 1000, sudoWorks: () => false });
    assert.equal(how.prefix, undefined);
    assert.match(how.error ?? '', /2 Debian packages the tests need are not installed: postgresql nginx/);
    assert.ok(how.error?.includes('sudo apt-get update && sudo apt-get install -y --no-install-recommends postgresql nginx'), how.error);
    assert.match(how.error ?? '', /OPSDECK_SKIP_SYSTEM_SETUP=1/);
    assert.equal(manualCommand(['g++']), 'sudo apt-get update && sudo apt-get install -y --no-install-recommends g++');
  });

  it('finds what is missing; --check says it and the command, and installs nothing', () => {
    const r = node([SCRIPT, '--check', '--packages', `procps,${NO_SUCH}`]);
    assert.equal(r.code, 1, r.out);
    if (debian) {
      assert.deepEqual(missingPackages(['procps', NO_SUCH]), [NO_SUCH]);
      assert.match(r.out, new RegExp(`Debian packages missing: ${NO_SUCH}\\n`));
      assert.ok(r.out.includes(manualCommand([NO_SUCH])), r.out);
    } else {
      assert.match(r.out, process.platform === 'darwin' ? /brew install/ : /installs Debian packages/);
    }
  });

  it('without root and without `sudo -n`, a real run stops with the exact command (exit 1)', function () {
    if (!debian) return assert.match(node([SCRIPT]).out, /brew install|installs Debian packages/);
    // As root (CI, a fresh machine), run it as `nobody`; as a user, run it as that user unless
    // sudo works, in which case only the choice is checked (it would really install).
    const uid = process.getuid?.() ?? -1;
    const sudo = uid !== 0 && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
    if (sudo) return assert.deepEqual(installMethod([NO_SUCH]), { prefix: ['sudo', '-n'] });
    const prefix = uid === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    // A copy `nobody` can read (a clone under /root is not readable by it).
    const tmp = mkdtempSync(path.join(tmpdir(), 'opsdeck-setup-'));
    let r: ReturnType<typeof node>;
    try {
      chmodSync(tmp, 0o755);
      cpSync(SCRIPT, path.join(tmp, 'scripts', 'setup-system.mjs'));
      cpSync(path.join(ROOT, 'scripts', 'vscode', 'lib.mjs'), path.join(tmp, 'scripts', 'vscode', 'lib.mjs'));
      writeFileSync(path.join(tmp, 'package.json'), '{"type":"module"}\n');
      spawnSync('chmod', ['-R', 'a+rX', tmp]);
      r = node([path.join(tmp, 'scripts', 'setup-system.mjs'), '--packages', `procps,${NO_SUCH}`], { prefix });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    assert.equal(r.code, 1, r.out);
    assert.ok(r.out.includes(`1 Debian package the tests need is not installed: ${NO_SUCH}\n`), r.out);
    assert.ok(r.out.includes(`  ${manualCommand([NO_SUCH])}\n`), r.out);
    assert.doesNotMatch(r.out, /\$ .*apt-get/, 'apt-get was not run');
  });

  it('`setup` is the first step of npm test, and OPSDECK_SKIP_SYSTEM_SETUP=1 or --no-setup skips it', () => {
    const runner = path.join(ROOT, 'scripts', 'run-tests.mjs');
    const skipped = node([runner, 'setup'], { env: { OPSDECK_SKIP_SYSTEM_SETUP: '1' } });
    assert.equal(skipped.code, 0, skipped.out);
    assert.match(skipped.out, /=== setup: node scripts\/setup-system\.mjs/);
    assert.match(skipped.out, /skipped: OPSDECK_SKIP_SYSTEM_SETUP=1/);
    assert.match(skipped.out, /\n0 passed, 0 failed\n$/);
    const flag = node([runner, '--no-setup', 'setup'], { env: { OPSDECK_SKIP_SYSTEM_SETUP: '' } });
    assert.match(flag.out, /skipped: --no-setup/);
    const unknown = node([runner, 'no-such-step']);
    assert.match(unknown.out, /choose from setup, typecheck, /);
  });
});
