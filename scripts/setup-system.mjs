#!/usr/bin/env node
/**
 * The system set-up the test suites need, and THE list of system packages: the first step of
 * `npm test` (scripts/run-tests.mjs) and of `.ci/run`.
 *
 *   node scripts/setup-system.mjs                 install what is missing, then code-server
 *   node scripts/setup-system.mjs --check         only say what is missing (exit 1 if anything)
 *   node scripts/setup-system.mjs --list          print the Debian packages, one a line
 *   node scripts/setup-system.mjs --packages a,b  these packages instead of the list (for tests)
 *
 * Debian and its derivatives (dpkg and apt-get): the packages of APT_PACKAGES that are not
 * installed are installed with `apt-get` as root, with `sudo -n apt-get` when sudo works without
 * a password; otherwise it stops (exit 1) with the exact command to run. The daemons Debian
 * starts on install (PostgreSQL, Redis, nginx) are kept from starting: the tests run their own.
 * Then code-server for the VS Code suites (scripts/vscode/install-code-server.mjs).
 *
 * macOS, other systems: says what to install (Homebrew) and which suites need Linux.
 *
 * `npm test` skips this step with OPSDECK_SKIP_SYSTEM_SETUP=1 (docs/testing.md).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCodeServer } from './vscode/lib.mjs';

/**
 * Debian packages the tests need, and why. Extend this list (and only this one) when a suite
 * needs a new tool; `.ci/run` and `npm test` install from it.
 */
export const APT_PACKAGES = [
  ['procps', 'ps, used to inspect supervised process trees'],
  ['sqlite3', 'the sqlite3 program that checks backed-up and restored SQLite databases where installed (test/integration/backup-sqlite-native-check.test.ts); the backup bench writes its database with it'],
  // examples/real-servers and test/integration/real-servers.test.ts, backup-postgres.test.ts:
  // real servers, each with its data inside the stack folder (examples/real-servers/README.md)
  ['postgresql', 'PostgreSQL 15: postgres, initdb, pg_isready, psql, pg_dump'],
  ['redis-server', 'Redis 7: redis-server, and redis-cli (redis-tools)'],
  ['nginx', 'nginx 1.22'],
  ['util-linux', 'setpriv (as root, PostgreSQL, which refuses root, runs as `postgres`); mount (the full-disk test)'],
  // The VS Code suites (test/vscode in-host, test/e2e UI; docs/testing.md) run the extension in
  // code-server, installed from npm into a cache folder by scripts/vscode/install-code-server.mjs.
  ['make', 'code-server\'s native modules (node-gyp builds kerberos, node-pty, spdlog, ...)'],
  ['g++', 'the same'],
  ['python3', 'the same (node-gyp)'],
  ['pkg-config', 'the same'],
  ['libkrb5-dev', 'the same (kerberos)'],
  ['libxkbfile-dev', 'the same (native-keymap)'],
  ['libsecret-1-dev', 'the same (keytar)'],
  ['libx11-dev', 'the same'],
  ['ripgrep', '/usr/bin/rg seeds @vscode/ripgrep\'s cache (its postinstall would download it from GitHub)'],
  ['chromium', 'the headless browser playwright-core drives (`npx playwright install` cannot download here)'],
  // The boot suite (test/boot, docs/testing.md): a Debian root file system made with debootstrap,
  // booted with systemd as PID 1 by systemd-nspawn; unshare and nsenter come with util-linux.
  ['debootstrap', 'builds the boot suite\'s Debian 12 root file system (minbase), once, into the test cache'],
  ['systemd-container', 'systemd-nspawn, which boots that root file system (test/boot/support/machine.ts)'],
  // `opsdeck export compose --check` and test/unit/export.test.ts validate Compose files with it
  // (docs/export.md); no container engine is needed (no recommends: no docker.io).
  ['docker-compose', 'docker-compose config -q, which validates the Compose export'],
].map(([name, why]) => ({ name, why }));

/** Services Debian starts on install; the tests run their own instances on other ports. */
const DAEMONS = ['postgresql', 'redis-server', 'nginx'];

/** What to install on macOS, and the suites that need Linux there (also in docs/testing.md). */
export const MACOS_NOTES = [
  'macOS: install with Homebrew what the real-server tests and the VS Code suites use:',
  '  brew install postgresql@15 redis nginx ripgrep',
  '  brew install --cask chromium     # then: export OPSDECK_CHROMIUM="/Applications/Chromium.app/Contents/MacOS/Chromium"',
  '  xcode-select --install           # a C++ compiler for code-server\'s native modules',
  'These need Linux and fail on macOS: the integration tests real-servers.test.ts (reads /proc) and',
  'backup-repo-fulldisk.test.ts (mounts a tmpfs, as root), and the boot suite (test/boot: debootstrap and',
  'systemd-nspawn, as root). Run the whole of `npm test` on Debian 12',
  '(a VM or container as root, as .ci/run does); everything else runs on macOS. Then skip this step:',
  '  OPSDECK_SKIP_SYSTEM_SETUP=1 npm test',
];

const USAGE = 'usage: node scripts/setup-system.mjs [--check] [--list] [--packages NAME,NAME...]';

/** `sh -c` quoting, so a printed command can be pasted. */
const quote = (s) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The packages of `names` that are not installed ("install ok installed"), in order. */
export function missingPackages(names) {
  // Installed means "install ok installed": a removed package whose configuration files remain
  // (state rc) is listed too, and would otherwise never be reinstalled.
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${Status}\\n', ...names], { encoding: 'utf8' });
  if (r.error) throw new Error(`could not run dpkg-query: ${r.error.message}`);
  const installed = new Set(
    r.stdout
      .split('\n')
      .map((line) => line.split(' '))
      .filter((f) => f.length === 4 && f.slice(1).join(' ') === 'install ok installed')
      .map((f) => f[0].split(':')[0]),
  );
  return names.filter((n) => !installed.has(n));
}

/** The command a person runs to install `missing`, as one line to paste. */
export function manualCommand(missing) {
  return `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing.map(quote).join(' ')}`;
}

/**
 * How to run apt-get here: `{ prefix }` (`[]` as root, `['sudo', '-n']` when sudo works without a
 * password), or `{ error }` with the exact command to run instead.
 */
export function installMethod(missing, { uid = process.getuid?.() ?? -1, sudoWorks = () => canSudo() } = {}) {
  if (uid === 0) return { prefix: [] };
  if (sudoWorks()) return { prefix: ['sudo', '-n'] };
  return {
    error:
      `${missing.length} Debian package${missing.length === 1 ? '' : 's'} the tests need ${missing.length === 1 ? 'is' : 'are'} not installed: ${missing.join(' ')}\n` +
      'Installing them needs root, and `sudo -n` does not work here (no sudo, or it asks for a password). Run (as root, or with sudo):\n' +
      `  ${manualCommand(missing)}\n` +
      'then `npm test` again; or skip this step with OPSDECK_SKIP_SYSTEM_SETUP=1 (the suites that need them then fail).',
  };
}

function canSudo() {
  const r = spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore', timeout: 30_000 });
  return r.status === 0;
}

/**
 * Runs a command; its output goes to `log` (a file) when given, else to ours. Throws with its
 * exit code, and the end of the log, when it fails.
 */
function run(argv, { log } = {}) {
  console.log(`$ ${argv.map(quote).join(' ')}${log ? `   (output: ${log})` : ''}`);
  const fd = log ? openSync(log, 'a') : undefined;
  try {
    const r = spawnSync(argv[0], argv.slice(1), { stdio: fd === undefined ? 'inherit' : ['ignore', fd, fd] });
    if (r.error) throw new Error(`could not run ${argv[0]}: ${r.error.message}`);
    if (r.status !== 0) {
      const end = log ? `\n${readFileSync(log, 'utf8').trimEnd().split('\n').slice(-30).join('\n')}\n(the whole output: ${log})` : '';
      throw new Error(`${argv.join(' ')} failed (${r.status === null ? `killed by ${r.signal}` : `exit ${r.status}`})${end}`);
    }
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const POLICY = '/usr/sbin/policy-rc.d';
const POLICY_TEXT = '#!/bin/sh\n# written by scripts/setup-system.mjs for the duration of apt-get install: start no daemon\nexit 101\n';

/** apt-get install of `missing` with `prefix` (root: none; else sudo -n), no daemon started. */
function aptInstall(missing, prefix) {
  const env = ['env', 'DEBIAN_FRONTEND=noninteractive'];
  // Debian's postinst scripts start the daemons they install (postgresql on 5432, redis-server on
  // 6379, nginx on 80). The tests run their own instances, so the system's must not start: a
  // policy-rc.d that denies every start, only for the duration of this install (Docker images
  // often ship one already; it is then left alone).
  let addedPolicy = false;
  if (!existsSync(POLICY)) {
    if (prefix.length === 0) writeFileSync(POLICY, POLICY_TEXT, { mode: 0o755 });
    else run([...prefix, 'sh', '-c', `printf '%s' ${quote(POLICY_TEXT)} > ${POLICY} && chmod 755 ${POLICY}`]);
    addedPolicy = true;
  }
  // apt-get's and dpkg's hundreds of lines go to a file (shown when something fails).
  const log = path.join(os.tmpdir(), `opsdeck-setup-system-apt-${process.pid}.log`);
  try {
    run([...prefix, ...env, 'apt-get', 'update', '-qq'], { log });
    run([...prefix, ...env, 'apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing], { log });
  } finally {
    if (addedPolicy) {
      if (prefix.length === 0) rmSync(POLICY, { force: true });
      else spawnSync(prefix[0], [...prefix.slice(1), 'rm', '-f', POLICY], { stdio: 'inherit' });
    }
  }
  // Should one have started anyway (an init that ignores policy-rc.d), stop it: only the ones
  // installed just now, never a daemon that was already on this machine.
  for (const d of DAEMONS.filter((p) => missing.includes(p))) {
    const argv = [...prefix, 'service', d, 'stop'];
    spawnSync(argv[0], argv.slice(1), { stdio: 'ignore', timeout: 60_000 });
  }
}

/** The Debian packages: installs the missing ones, or explains. Returns an exit code. */
function debianPackages(names, { check }) {
  const missing = missingPackages(names);
  if (missing.length === 0) {
    console.log(`Debian packages: all ${names.length} installed (${names.join(' ')})`);
    return 0;
  }
  if (check) {
    console.log(`Debian packages missing: ${missing.join(' ')}\nto install them: ${manualCommand(missing)}`);
    return 1;
  }
  const how = installMethod(missing);
  if (how.error) {
    console.error(`error: ${how.error}`);
    return 1;
  }
  console.log(`Debian packages: installing ${missing.join(' ')}${how.prefix.length ? ' (with sudo -n)' : ''}`);
  const t0 = Date.now();
  aptInstall(missing, how.prefix);
  const still = missingPackages(names);
  if (still.length) {
    console.error(`error: apt-get finished but these are still not installed: ${still.join(' ')}\nhint: run \`${manualCommand(still)}\` and read its errors`);
    return 1;
  }
  console.log(`Debian packages: installed ${missing.join(' ')} in ${Math.round((Date.now() - t0) / 1000)}s`);
  return 0;
}

async function main(argv) {
  const opts = { check: false, list: false, packages: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--check') opts.check = true;
    else if (a === '--list') opts.list = true;
    else if (a === '--packages' && argv[i + 1] !== undefined) opts.packages = argv[++i].split(',').filter(Boolean);
    else {
      console.error(`error: unknown argument ${a}${a === '--packages' ? ' (it needs a comma-separated list)' : ''}\n${USAGE}`);
      return 2;
    }
  }
  const names = opts.packages ?? APT_PACKAGES.map((p) => p.name);
  if (opts.list) {
    console.log(names.join('\n'));
    return 0;
  }

  const debian = process.platform === 'linux' && existsSync('/usr/bin/dpkg-query') && existsSync('/usr/bin/apt-get');
  if (process.platform === 'darwin') {
    console.log(MACOS_NOTES.join('\n'));
    console.log('This step installs nothing on macOS: install the above, then skip it (OPSDECK_SKIP_SYSTEM_SETUP=1).');
    return 1;
  }
  if (!debian) {
    console.error(
      `error: this step installs Debian packages (dpkg and apt-get), which this system does not have.\n` +
        `Install the equivalents of: ${names.join(' ')}\n` +
        'then skip this step: OPSDECK_SKIP_SYSTEM_SETUP=1 npm test (docs/testing.md)',
    );
    return 1;
  }
  const code = debianPackages(names, opts);
  if (code !== 0 || opts.check || opts.packages) return code;

  // code-server for the VS Code suites: into ${XDG_CACHE_HOME:-~/.cache}/opsdeck-test/
  // (OPSDECK_CODE_SERVER_DIR overrides), outside node_modules; about a minute the first time,
  // a version check when it is already there.
  const cs = await ensureCodeServer({ log: (m) => console.log(m) });
  console.log(`code-server ${cs.version} at ${cs.dir}`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  }
}
