/**
 * Shared by the VS Code test runners (scripts/vscode/run-*.mjs) and the UI e2e suite
 * (test/e2e/): installing and starting code-server, a throw-away copy of examples/default,
 * headless Debian chromium through playwright-core, bundling the in-host suite, rendering its
 * report, and making sure nothing is left running. Types: lib.d.mts. See docs/testing.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// ------------------------------------------------------------------ code-server

/** code-server 4.100.3 is VS Code 1.100.3 and runs on Node 20 (later releases need Node 22+). */
export const CODE_SERVER_VERSION = '4.100.3';

/** Where code-server is installed: $OPSDECK_CODE_SERVER_DIR, else a folder of the user's cache. */
export function codeServerDir() {
  if (process.env.OPSDECK_CODE_SERVER_DIR) return path.resolve(process.env.OPSDECK_CODE_SERVER_DIR);
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'opsdeck-test', `code-server-${CODE_SERVER_VERSION}`);
}

const MARKER = '.opsdeck-installed';


const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/**
 * How long `code-server --version` may take. It answers in well under a second on an idle
 * machine, but its first start on a loaded one (other test suites, an install that just ended)
 * has been seen to take far longer: a short limit would call a good install broken.
 */
const VERSION_TIMEOUT_MS = 180_000;

/** How `code-server --version` ended, for a message: `exit 3`, `killed by SIGKILL`, ... */
function describeEnd({ code, signal, timedOut, timeoutMs, spawnError }) {
  if (spawnError) return `could not start node: ${spawnError}`;
  if (timedOut) return `did not answer within ${Math.round(timeoutMs / 1000)}s (stopped with SIGKILL)`;
  return signal ? `killed by ${signal}` : `exit ${code}`;
}

/** The last lines of a command's output, indented, for an error message ('' when empty). */
function outputTail(name, text, lines = 15) {
  const t = text.trim();
  if (!t) return '';
  return `\n  ${name}:\n` + t.split('\n').slice(-lines).map((l) => `    ${l}`).join('\n');
}

/**
 * Runs `code-server --version` (this Node, `entry`): `{ version }` (its version line, which must
 * name CODE_SERVER_VERSION) or `{ error }`, the real reason (exit code or signal, timeout,
 * stderr). The version line need not be the first: on its first run code-server writes
 * ~/.config/code-server/config.yaml and prints a line saying so before it.
 */
export function codeServerVersion(entry, { timeoutMs = VERSION_TIMEOUT_MS } = {}) {
  if (!existsSync(entry)) return Promise.resolve({ error: `${entry} does not exist` });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [entry, '--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let spawnError;
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => (spawnError = e.message));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(`${CODE_SERVER_VERSION} `) || l.trim() === CODE_SERVER_VERSION);
      if (code === 0 && !timedOut && line) return resolve({ version: line.trim() });
      const why =
        code === 0 && !timedOut && !signal
          ? `exit 0 but no line starting with ${CODE_SERVER_VERSION}`
          : describeEnd({ code, signal, timedOut, timeoutMs, spawnError });
      resolve({ error: `${why}${outputTail('stderr', stderr)}${outputTail('stdout', stdout)}` });
    });
  });
}

/**
 * codeServerVersion, tried once more after `retryDelayMs` when it fails (a first start on a
 * loaded machine); `{ version }` or `{ error }` saying what both attempts got.
 */
async function checkCodeServer(entry, { log, timeoutMs, retryDelayMs = 5000 }) {
  const first = await codeServerVersion(entry, { timeoutMs });
  if (first.version) return first;
  log(`\`code-server --version\` failed (${first.error.split('\n')[0]}); trying once more in ${Math.round(retryDelayMs / 1000)}s`);
  await sleep(retryDelayMs);
  const second = await codeServerVersion(entry, { timeoutMs });
  if (second.version) return second;
  const same = first.error === second.error;
  return { error: same ? `${second.error}\n  (the same both times it was tried)` : `${second.error}\n  first attempt: ${first.error}` };
}

/** out/node/entry.js of the install in `dir`. */
const entryOf = (dir) => path.join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

/**
 * After `npm install`: checks that code-server runs (with a retry) and marks the install finished
 * (MARKER, holding the version). When it does not run, removes the install, so that the next run
 * starts afresh instead of finding a broken one, and throws with the reason.
 */
export async function finishCodeServerInstall(dir, { log = (m) => console.error(m), timeoutMs, retryDelayMs } = {}) {
  const entry = entryOf(dir);
  const r = await checkCodeServer(entry, { log, timeoutMs, retryDelayMs });
  if (!r.version) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `code-server was installed into ${dir} but \`code-server --version\` does not run: ${r.error}\n` +
        'The install was removed; the next run installs it again.',
    );
  }
  writeFileSync(path.join(dir, MARKER), r.version + '\n');
  return { dir, entry, version: r.version };
}

/**
 * Removes the install in `dir` when it has no MARKER (an install that was interrupted or failed
 * half-way), so nothing is built on it. Returns whether it did. Call it holding the install lock.
 */
export function removeUnfinishedInstall(dir, log = (m) => console.error(m)) {
  if (!existsSync(dir) || existsSync(path.join(dir, MARKER))) return false;
  log(`removing a half-finished code-server install in ${dir} (no ${MARKER}: an earlier install stopped or failed)`);
  rmSync(dir, { recursive: true, force: true });
  return true;
}

/**
 * @vscode/ripgrep's postinstall downloads ripgrep from GitHub unless its cache already holds the
 * tarball. Put Debian's rg there (a gzip tarball with `rg` at its root).
 */
function seedRipgrepCache(log) {
  const triple = { x64: 'x86_64-unknown-linux-musl', arm64: 'aarch64-unknown-linux-musl' }[process.arch];
  if (process.platform !== 'linux' || !triple) return;
  const file = path.join(os.tmpdir(), 'vscode-ripgrep-cache-1.15.11', `ripgrep-v13.0.0-10-${triple}.tar.gz`);
  if (existsSync(file)) return;
  const rg = ['/usr/bin/rg', '/usr/local/bin/rg'].find((p) => existsSync(p));
  if (!rg) {
    log('warning: ripgrep is not installed (Debian package `ripgrep`): @vscode/ripgrep will try to download it from GitHub');
    return;
  }
  const stage = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-rg-'));
  try {
    copyFileSync(rg, path.join(stage, 'rg'));
    mkdirSync(path.dirname(file), { recursive: true });
    const r = spawnSync('tar', ['-czf', file, '-C', stage, 'rg'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`tar failed to write ${file}`);
    log(`ripgrep cache: ${file} (from ${rg})`);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/**
 * `npm_config_nodedir` for this Node's headers when it has them (and the user set no nodedir),
 * else nothing (node-gyp then downloads them).
 */
export function nodeHeadersEnv(env = process.env, execPath = process.execPath) {
  if (env.npm_config_nodedir || env.NPM_CONFIG_NODEDIR) return {};
  const prefix = path.resolve(path.dirname(execPath), '..');
  return existsSync(path.join(prefix, 'include', 'node', 'node_version.h')) ? { npm_config_nodedir: prefix } : {};
}

/** A lock folder next to the install, so two runs do not install at the same time. */
async function withInstallLock(dir, log, fn) {
  const lock = `${dir}.lock`;
  mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + 15 * 60_000;
  for (let said = false; ; ) {
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let owner = NaN;
      try {
        const text = readFileSync(path.join(lock, 'pid'), 'utf8').trim();
        if (/^[1-9]\d*$/.test(text)) owner = Number(text);
      } catch {
        // being written, or left empty by a crash
      }
      let age = 0;
      try {
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        continue; // just released
      }
      // A crashed install (its pid is gone), or a lock whose pid never got written: take it over.
      if (Number.isFinite(owner) ? !isAlive(owner) : age > 30_000) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another install (pid ${owner}) holds ${lock} for too long`);
      if (!said && Number.isFinite(owner)) log(`waiting for another code-server install (pid ${owner}) to finish`);
      said ||= Number.isFinite(owner);
      await sleep(1000);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * code-server@4.100.3 in codeServerDir(), installed when missing (or with `force`); returns where
 * it is. Verifies that it runs (`--version`, retried once); an install that does not run, or one
 * that never finished, is removed and installed again.
 */
export async function ensureCodeServer({ force = false, log = (m) => console.error(m) } = {}) {
  const dir = codeServerDir();
  const entry = entryOf(dir);
  const ready = async () => {
    if (!existsSync(path.join(dir, MARKER))) return undefined;
    const r = await checkCodeServer(entry, { log });
    if (r.version) return { dir, entry, version: r.version };
    log(`the code-server install in ${dir} does not run (${r.error}): installing it again`);
    return undefined;
  };
  const markerTime = () => {
    try {
      return statSync(path.join(dir, MARKER)).mtimeMs;
    } catch {
      return undefined;
    }
  };
  const seen = markerTime();
  if (!force) {
    const found = await ready();
    if (found) return found;
  }
  return withInstallLock(dir, log, async () => {
    // Finished by a run we waited for (a new marker)? The one checked above is not checked twice.
    if (!force && markerTime() !== undefined && markerTime() !== seen) {
      const found = await ready();
      if (found) return found;
    }
    removeUnfinishedInstall(dir, log);
    const t0 = Date.now();
    log(`installing code-server@${CODE_SERVER_VERSION} into ${dir} (about a minute and 300 MB, once)`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'opsdeck-test-code-server', private: true }, null, 2) + '\n');
    seedRipgrepCache(log);
    const env = {
      ...process.env,
      npm_config_unsafe_perm: 'true', // code-server's postinstall, as root
      npm_config_yes: 'true', // node-pty's postinstall runs npx
      // npm 11.10+ runs no dependency install script unless allowed. code-server's postinstall
      // runs `npm install` in lib/vscode, whose native modules (node-pty, @parcel/watcher,
      // @vscode/spdlog, kerberos, ...) need theirs, and a nested project install refuses an
      // allow-list passed down by the parent npm (EALLOWSCRIPTS). This install is one pinned,
      // shrinkwrapped package in a folder of its own, so allow its scripts. Older npm ignores it.
      npm_config_dangerously_allow_all_scripts: 'true',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
      npm_config_update_notifier: 'false',
      npm_config_progress: 'false',
      // node-gyp builds the native modules against Node's headers, which it downloads from
      // nodejs.org unless `nodedir` names a Node install that has them: this Node's own
      // (<prefix>/include/node, shipped by Debian's and NodeSource's nodejs packages and the
      // official tarballs), so that the install needs only the npm registry.
      ...nodeHeadersEnv(),
    };
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const code = await new Promise((resolve) => {
      const child = spawn(npm, ['install', '--prefix', dir, '--omit=dev', '--no-package-lock', `code-server@${CODE_SERVER_VERSION}`], {
        cwd: dir,
        env,
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      child.on('error', (e) => {
        log(`could not run npm: ${e.message}`);
        resolve(1);
      });
      child.on('close', (c) => resolve(c ?? 1));
    });
    if (code !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(
        `npm install code-server@${CODE_SERVER_VERSION} failed (exit ${code}; the half-finished install was removed); its native ` +
          'modules need the Debian packages libkrb5-dev libxkbfile-dev libsecret-1-dev libx11-dev pkg-config make g++ python3: ' +
          'run `node scripts/setup-system.mjs` (APT_PACKAGES there)',
      );
    }
    const found = await finishCodeServerInstall(dir, { log });
    log(`installed code-server ${found.version} in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
    return found;
  });
}

/** A free loopback TCP port. */
export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/**
 * User settings that keep the workbench quiet and deterministic for tests. `extra` overrides
 * (e.g. `workbench.colorTheme`).
 */
export function writeUserSettings(userDataDir, extra = {}) {
  const settings = {
    'workbench.colorTheme': 'Default Dark Modern',
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'security.workspace.trust.enabled': false,
    'git.enabled': false,
    'git.openRepositoryInParentFolders': 'never',
    'chat.commandCenter.enabled': false,
    'workbench.editor.enablePreview': false,
    'files.watcherExclude': { '**/.opsdeck/**': true, '**/node_modules/**': true, '**/data/**': true },
    ...extra,
  };
  const dir = path.join(userDataDir, 'User');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'settings.json'), JSON.stringify(settings, null, 2) + '\n');
  return settings;
}

/**
 * Starts code-server on a free loopback port, in its own process group. Resolves once it prints
 * that it listens. Its output goes to `logFile`. `stop()` ends the whole group.
 */
export async function startCodeServer({ codeServer, folder, userDataDir, extensionsDir, logFile, env = {}, timeoutMs = 90_000 }) {
  const port = await freePort();
  mkdirSync(userDataDir, { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  const args = [
    codeServer.entry,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--extensions-dir', extensionsDir,
    '--user-data-dir', userDataDir,
    folder,
  ];
  writeFileSync(logFile, `$ node ${args.join(' ')}\n`);
  const child = spawn(process.execPath, args, {
    cwd: folder,
    detached: true,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let exited;
  const exitedP = new Promise((resolve) => {
    child.on('close', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });
  child.on('error', (e) => appendFileSync(logFile, `spawn error: ${e.message}\n`));
  const onData = (d) => {
    const s = d.toString();
    output += s;
    if (output.length > 200_000) output = output.slice(-100_000);
    appendFileSync(logFile, s);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);

  const stop = async () => {
    if (exited) return;
    const group = (sig) => {
      try {
        process.kill(-child.pid, sig);
      } catch {
        // gone
      }
    };
    group('SIGTERM');
    const t = Date.now();
    while (!exited && Date.now() - t < 5000) await sleep(50);
    // The extension host and friends are in the group too: make sure all of it is gone.
    group('SIGKILL');
    await Promise.race([exitedP, sleep(3000)]);
  };

  const end = Date.now() + timeoutMs;
  while (!/HTTP server listening on/.test(output)) {
    if (exited || Date.now() > end) {
      await stop();
      const tail = output.split('\n').slice(-30).join('\n');
      throw new Error(`code-server did not start${exited ? ` (exit ${exited.code ?? exited.signal})` : ` within ${timeoutMs / 1000}s`}:\n${tail}`);
    }
    await sleep(100);
  }
  return {
    port,
    pid: child.pid,
    origin: `http://127.0.0.1:${port}`,
    exited: () => exited,
    output: () => output,
    stop,
  };
}

/**
 * The workbench URL that opens `folder` with the extension under development loaded from
 * `extensionDevelopmentPath`, and, with `extensionTestsPath`, runs that module's `run()` in the
 * extension host (the `payload` query parameter of the web workbench).
 */
export function workbenchUrl(port, { folder, extensionDevelopmentPath, extensionTestsPath }) {
  const remote = (p) => `vscode-remote://127.0.0.1:${port}${p.split(path.sep).join('/')}`;
  const payload = [];
  if (extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(extensionDevelopmentPath)]);
  if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  const q = [`folder=${encodeURIComponent(folder)}`];
  if (payload.length) q.push(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
  return `http://127.0.0.1:${port}/?${q.join('&')}`;
}

// ------------------------------------------------------------------ chromium

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

/** Debian's chromium ($OPSDECK_CHROMIUM overrides), headless, through playwright-core. */
export async function launchChromium() {
  const executablePath = process.env.OPSDECK_CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`no chromium at ${executablePath}: install Debian's \`chromium\` (node scripts/setup-system.mjs does) or set OPSDECK_CHROMIUM`);
  }
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

// ------------------------------------------------------------------ the stack under test

/** Run-time state of an example folder, never copied. */
const RUNTIME = ['data', '.opsdeck', 'node_modules', '.vscode'];

/**
 * The suite kills services on purpose (kill -9, restarts, a config error) several times within
 * the example's restart window; on a loaded machine a slow start or a missed liveness probe adds
 * restarts of its own, and the example's budget (5 within 2 minutes) then ends in `failed` and
 * every later test waits for nothing. The copy gets this budget instead; the policy is the same.
 */
export const WORKSPACE_MAX_RETRIES = 50;

/**
 * A copy of examples/<name> in `parent` (default: a new temp folder): its loopback ports remapped
 * to free ones in the copy's opsdeck.yaml, its `restart.max_retries` raised to
 * WORKSPACE_MAX_RETRIES, and a `node_modules` symlink to the repository's so the services find
 * node-sqlite3-wasm (as test/integration/default-stack.test.ts does).
 */
export async function prepareWorkspace({ example = 'default', ports = [7101, 7102, 7103], parent } = {}) {
  const src = path.join(ROOT, 'examples', example);
  const dir = parent ? path.join(parent, 'workspace') : mkdtempSync(path.join(os.tmpdir(), `opsdeck-vscode-${example}-`));
  mkdirSync(dir, { recursive: true });
  cpSync(src, dir, {
    recursive: true,
    filter: (from) => {
      const rel = path.relative(src, from);
      return !RUNTIME.some((r) => rel === r || rel.startsWith(r + path.sep));
    },
  });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const file = path.join(dir, 'opsdeck.yaml');
  let text = readFileSync(file, 'utf8');
  const map = new Map();
  for (const port of ports) {
    const re = new RegExp(`\\b${port}\\b`, 'g');
    if (!re.test(text)) throw new Error(`examples/${example}/opsdeck.yaml no longer mentions port ${port}: update the port list`);
    let free;
    do free = await freePort();
    while ([...map.values()].includes(free) || ports.includes(free));
    map.set(port, free);
    text = text.replace(re, String(free));
  }
  const retries = /^(\s+max_retries:\s*)\d+/m;
  if (!retries.test(text)) throw new Error(`examples/${example}/opsdeck.yaml has no restart.max_retries line: update prepareWorkspace`);
  text = text.replace(new RegExp(retries.source, 'gm'), `$1${WORKSPACE_MAX_RETRIES}`);
  writeFileSync(file, text);
  return { dir, ports: map, socket: path.join(dir, '.opsdeck', 'run', 'engine.sock') };
}

function commandOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** Our own pid and its ancestors: never reported or killed by the sweep. */
function selfAndAncestors() {
  const out = new Set([process.pid]);
  let pid = process.pid;
  for (let i = 0; i < 64 && pid > 1; i++) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.add(pid);
    } catch {
      break;
    }
  }
  return out;
}

/**
 * Live processes working in one of `dirs` (current directory inside it, or mentioned on their
 * command line): what a finished run must not leave behind. Linux only (/proc).
 */
export function processesUsing(dirs) {
  if (!existsSync('/proc')) return [];
  const skip = selfAndAncestors();
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (skip.has(pid)) continue;
    let cwd = '';
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      // gone, or not ours to inspect
    }
    const cmd = commandOf(pid);
    let state = '';
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    } catch {
      continue;
    }
    if (state === 'Z') continue;
    if (dirs.some((d) => cwd === d || cwd.startsWith(d + path.sep) || cmd.includes(d))) out.push({ pid, cwd, cmd });
  }
  return out;
}

/**
 * Kills (SIGKILL, by pid) every process still working in one of `dirs` and returns what it
 * found, so the caller can report a leak. These are the processes of this run: the temp folders
 * are its own.
 */
export async function killProcessesUsing(dirs) {
  const found = processesUsing(dirs);
  for (const p of found) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (found.length) await sleep(200);
  return found;
}

// ------------------------------------------------------------------ building

/** `npm run build`: dist/extension.js and dist/cli.js. */
export function buildExtension() {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`npm run build failed (exit ${r.status ?? r.signal})`);
}

export const IN_HOST_DIR = path.join(ROOT, 'test', 'vscode');

/** The in-host suite's test files, sorted (relative to test/vscode). */
export function inHostTestFiles() {
  return readdirSync(IN_HOST_DIR, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => f.split(path.sep).join('/'))
    .sort();
}

/**
 * Bundles test/vscode/index.ts and every test/vscode/**\/*.test.ts into `outDir/index.js`
 * (CommonJS, `vscode` external, mocha bundled): the `extensionTestsPath` module. index.ts
 * imports the list of test files from the virtual module `opsdeck:in-host-tests`.
 */
export async function bundleInHostTests(outDir) {
  const esbuild = await import('esbuild');
  const files = inHostTestFiles();
  if (!files.length) throw new Error('no test/vscode/**/*.test.ts files');
  const virtual = {
    name: 'in-host-test-files',
    setup(build) {
      build.onResolve({ filter: /^opsdeck:in-host-tests$/ }, () => ({ path: 'in-host-tests', namespace: 'opsdeck-tests' }));
      build.onLoad({ filter: /.*/, namespace: 'opsdeck-tests' }, () => ({
        resolveDir: IN_HOST_DIR,
        loader: 'js',
        // Each file is required only when index.ts asks (after mocha's globals exist).
        contents:
          'module.exports.testFiles = [\n' +
          files.map((f) => `  { file: ${JSON.stringify(f)}, load: () => require(${JSON.stringify('./' + f)}) },`).join('\n') +
          '\n];\n',
      }));
    },
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'package.json'), JSON.stringify({ type: 'commonjs' }) + '\n');
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [path.join(IN_HOST_DIR, 'index.ts')],
    outfile: path.join(outDir, 'index.js'),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    sourcesContent: false,
    external: ['vscode'],
    logLevel: 'warning',
    // mocha's parallel mode (not used here) resolves worker files at run time.
    logOverride: { 'require-resolve-not-external': 'silent' },
    // Code shared with src/ may read import.meta.url, which CommonJS lacks (as in scripts/build.mjs).
    define: { 'import.meta.url': '__opsdeck_import_meta_url', 'import.meta.dirname': '__dirname' },
    banner: { js: 'var __opsdeck_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
    plugins: [virtual],
  });
  return { index: path.join(outDir, 'index.js'), files };
}

// ------------------------------------------------------------------ the in-host report

// ------------------------------------------------------------------ source maps

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Decodes a source map's `mappings` into, per generated line, [genCol, source, line, col] segments. */
function decodeMappings(mappings) {
  const lines = [];
  let src = 0;
  let srcLine = 0;
  let srcCol = 0;
  for (const lineText of mappings.split(';')) {
    const segs = [];
    let genCol = 0;
    for (const seg of lineText.split(',')) {
      if (!seg) continue;
      const vals = [];
      let value = 0;
      let shift = 0;
      for (const ch of seg) {
        const digit = B64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          vals.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      genCol += vals[0];
      if (vals.length >= 4) {
        src += vals[1];
        srcLine += vals[2];
        srcCol += vals[3];
        segs.push([genCol, src, srcLine, srcCol]);
      }
    }
    lines.push(segs);
  }
  return lines;
}

/**
 * A function that rewrites `bundle:LINE:COL` positions in a stack trace to the TypeScript source
 * (relative to the repository) using the bundle's source map. The extension host replaces
 * Error.prepareStackTrace, so Node's own source map support does not apply there.
 */
export function stackRemapper(bundleFile) {
  let map;
  try {
    map = JSON.parse(readFileSync(`${bundleFile}.map`, 'utf8'));
  } catch {
    return (text) => text;
  }
  const lines = decodeMappings(map.mappings);
  const mapDir = path.dirname(bundleFile);
  const sources = map.sources.map((s) => path.relative(ROOT, path.resolve(mapDir, map.sourceRoot ?? '', s)));
  const escaped = bundleFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`${escaped}:(\\d+):(\\d+)`, 'g');
  return (text) =>
    text.replace(re, (whole, l, c) => {
      const segs = lines[Number(l) - 1];
      if (!segs?.length) return whole;
      const col = Number(c) - 1;
      let best = segs[0];
      for (const seg of segs) if (seg[0] <= col) best = seg;
      return `${sources[best[1]]}:${best[2] + 1}:${best[3] + 1}`;
    });
}

/**
 * Prints the in-host suite's report events (NDJSON written by test/vscode/index.ts) like mocha's
 * spec reporter. Returns `onEvent(e)` and `summary()` ({passes, failures, pending, tests}).
 * `remap` rewrites stack traces (see stackRemapper).
 */
export function createReportPrinter({ write = (s) => process.stdout.write(s), remap = (t) => t } = {}) {
  const failures = [];
  const seen = { passes: 0, failures: 0, pending: 0, tests: 0 };
  let stats;
  const indent = (depth) => '  '.repeat(Math.max(0, depth));
  const onEvent = (e) => {
    if (e.type === 'pass') seen.passes++;
    if (e.type === 'fail') seen.failures++;
    if (e.type === 'pending') seen.pending++;
    if (e.type === 'pass' || e.type === 'fail' || e.type === 'pending') seen.tests++;
    switch (e.type) {
      case 'start':
        write(`\n  running ${e.total} tests in the extension host (VS Code ${e.vscode}, Node ${e.node})\n`);
        break;
      case 'suite':
        write(`\n${indent(e.depth + 1)}${e.title}\n`);
        break;
      case 'pass': {
        const slow = e.duration > (e.slow ?? 75) ? ` (${e.duration}ms)` : '';
        write(`${indent(e.depth)}  ✔ ${e.title}${slow}\n`);
        break;
      }
      case 'pending':
        write(`${indent(e.depth)}  - ${e.title}\n`);
        break;
      case 'fail':
        failures.push(e);
        write(`${indent(e.depth)}  ${failures.length}) ${e.title}\n`);
        break;
      case 'log':
        write(`${indent(e.depth ?? 1)}    ${e.text}\n`);
        break;
      case 'end': {
        stats = e.stats;
        const ms = stats.duration ?? 0;
        write(`\n\n  ${stats.passes} passing (${ms < 1000 ? `${ms}ms` : `${Math.round(ms / 1000)}s`})\n`);
        if (stats.pending) write(`  ${stats.pending} pending\n`);
        if (stats.failures) write(`  ${stats.failures} failing\n`);
        failures.forEach((f, i) => {
          write(`\n  ${i + 1}) ${f.fullTitle}:\n`);
          // Mocha's own frames say nothing about the failure.
          const stack = remap(f.err?.stack || f.err?.message || '')
            .split('\n')
            .filter((l) => !/^\s+at .*(node_modules[/\\]mocha[/\\]|node:internal)/.test(l));
          write(stack.map((l) => `     ${l}`).join('\n') + '\n');
          if (f.err?.diff) write(f.err.diff.split('\n').map((l) => `      ${l}`).join('\n') + '\n');
        });
        write('\n');
        break;
      }
    }
  };
  return {
    onEvent,
    ended: () => stats !== undefined,
    /** Counts of the tests reported so far (a run that did not finish). */
    partial: () => ({ ...seen }),
    summary: () =>
      stats
        ? { passes: stats.passes, failures: stats.failures, pending: stats.pending, tests: stats.tests }
        : undefined,
  };
}

/** Follows an NDJSON file as it grows; `poll()` hands every new complete line's event to `onEvent`. */
export function followNdjson(file, onEvent) {
  let offset = 0;
  let rest = '';
  return function poll() {
    if (!existsSync(file)) return;
    const buf = readFileSync(file);
    if (buf.length <= offset) return;
    rest += buf.subarray(offset).toString('utf8');
    offset = buf.length;
    const lines = rest.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        onEvent(JSON.parse(line));
      } catch {
        // not one of ours
      }
    }
  };
}

/** The last `n` lines of a text file ('' when missing). */
export function tail(file, n = 40) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
}

/** Files under `dir` whose name matches `re` (recursive), e.g. the extension host logs. */
export function findFiles(dir, re) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => re.test(path.basename(f)))
    .map((f) => path.join(dir, f));
}

/** Parses `--name value` / `--flag` options; unknown ones are an error with a hint. */
export function parseArgs(argv, spec, usage) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const key = a.replace(/^--/, '');
    if (!a.startsWith('--') || !(key in spec)) {
      console.error(`error: unknown argument ${a}\n${usage}`);
      process.exit(2);
    }
    if (spec[key] === 'flag') out[key] = true;
    else {
      const v = argv[++i];
      if (v === undefined) {
        console.error(`error: ${a} needs a value\n${usage}`);
        process.exit(2);
      }
      out[key] = v;
    }
  }
  return out;
}
