/**
 * Bench: the VS Code extension. Three figures, in code-server 4.100.3 (VS Code 1.100.3) driven by
 * Debian's chromium through playwright-core, as the VS Code suites run it (docs/testing.md):
 *
 *   1. activation time: from `activate()` being called to the first `show()` of the
 *      `opsdeck.status` status bar item with an engine's status (real data), measured inside the
 *      extension host (`timings()` of the test API, performance.now()); also when that item
 *      appears in the workbench's DOM. Median over --runs fresh workbench loads (a fresh
 *      code-server, user data and copy of examples/default each time), interleaved with loads of
 *      a trivial baseline extension that shows a status bar item as soon as it is activated.
 *   2. size: dist/extension.js of a development and of a production build, and the VSIX
 *      (`npm run package`), against the 2 MB VSIX target; where the bundle's bytes come from.
 *   3. extension host CPU over --idle seconds (utime + stime of code-server's extension host
 *      process, /proc/<pid>/stat) with the stack running and idle, sidebar hidden (Explorer shown)
 *      then visible (Services + Metrics): with the engine embedded (auto mode, no other owner),
 *      attached to an external `opsdeck up --detach` daemon (whose own CPU is read too: the
 *      engine's supervision work), and without the extension (VS Code's own floor).
 *      Target: under 1 % of one core with the sidebar hidden.
 *
 *   npx tsx bench/extension/extension.ts [--runs 5] [--warmup 1] [--idle 60] [--settle 15]
 *                                        [--sample 5] [--profile 30] [--only activation|size|cpu]
 *                                        [--keep] [--no-save]
 *
 * After the measured windows, the extension host (engine embedded, sidebar hidden) is profiled
 * for --profile seconds (bench/extension/exthost-profile.ts; 0 skips it) to show where its CPU
 * goes. In every load VS Code's remote port finder is off (`remote.autoForwardPortsSource:
 * output`): it scans /proc from the extension host and would hide the extension's share; one
 * window without the extension measures it.
 *
 * Builds from a snapshot of the work tree (tracked and untracked files, not ignored ones) copied
 * to a temporary folder with a node_modules symlink, so neither dist/ nor opsdeck.vsix of the
 * repository is touched and what others edit meanwhile does not change the build under
 * measurement. The activation and CPU runs load that production build. Each load stops the stack
 * (`opsdeck down` with the copy's dist/cli.js), closes the page and stops code-server (its whole
 * process group); everything started carries a marker in its environment (OPSDECK_BENCH_RUN) and
 * whatever still runs at the end of a load, or on error or Ctrl-C, is killed and reported (the
 * run is then a FAIL). Results: bench/results/extension.{json,md} (only a run with the default
 * options writes them).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  ensureCodeServer,
  killProcessesUsing,
  launchChromium,
  prepareWorkspace,
  startCodeServer,
  workbenchUrl,
  writeUserSettings,
  type CodeServerInstall,
  type RunningCodeServer,
} from '../../scripts/vscode/lib.mjs';
import { parseProcStat } from '../../src/core/os/process-info';
import { until, Workbench } from '../../test/e2e/workbench';
import {
  NODE, REPO, RESULTS, clockTicks, cpuTicks, gitRevision, intArg, killMarked, machine, memoryStatus, r2, requireLinux, run, sleep, stats, waitGone,
  type Stats,
} from '../lib/common';

const VSIX_TARGET_BYTES = 2_000_000; // "under 2 MB"
const CPU_TARGET_PERCENT = 1;
const OPSDECK_ID = 'opsdeck.opsdeck';
const BASELINE_ID = 'opsdeck-bench.baseline';
const SERVICES = ['storage', 'messaging', 'api'];
const PORT_SCAN_OFF = { 'remote.autoForwardPortsSource': 'output' };
const PORT_SCAN_ON = { 'remote.autoForwardPortsSource': 'process' };

// ---------------------------------------------------------------- arguments

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    idle: { type: 'string', default: '60' },
    settle: { type: 'string', default: '15' },
    sample: { type: 'string', default: '5' },
    profile: { type: 'string', default: '30' },
    only: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'no-save': { type: 'boolean', default: false },
  },
});
const RUNS = intArg(args.runs, '--runs');
const WARMUP = intArg(args.warmup, '--warmup', 0);
const IDLE_S = intArg(args.idle, '--idle');
const SETTLE_S = intArg(args.settle, '--settle', 0);
const SAMPLE_S = intArg(args.sample, '--sample');
const PROFILE_S = intArg(args.profile, '--profile', 0);
const ONLY = args.only;
if (ONLY !== undefined && !['activation', 'size', 'cpu'].includes(ONLY)) {
  console.error(`error: --only must be activation, size or cpu, got "${ONLY}"`);
  process.exit(2);
}
const DEFAULTS = RUNS === 5 && WARMUP === 1 && IDLE_S === 60 && SETTLE_S === 15 && SAMPLE_S === 5 && PROFILE_S === 30 && ONLY === undefined;
const command = [
  'npx tsx bench/extension/extension.ts',
  RUNS !== 5 ? `--runs ${RUNS}` : '',
  WARMUP !== 1 ? `--warmup ${WARMUP}` : '',
  IDLE_S !== 60 ? `--idle ${IDLE_S}` : '',
  SETTLE_S !== 15 ? `--settle ${SETTLE_S}` : '',
  SAMPLE_S !== 5 ? `--sample ${SAMPLE_S}` : '',
  PROFILE_S !== 30 ? `--profile ${PROFILE_S}` : '',
  ONLY ? `--only ${ONLY}` : '',
].filter(Boolean).join(' ');
const want = (part: 'activation' | 'size' | 'cpu') => ONLY === undefined || ONLY === part;

requireLinux('extension');

// Everything this bench starts (code-server and its extension host, the engine daemon, services) carries this.
const MARKER = `OPSDECK_BENCH_RUN=extension-${process.pid}-${randomBytes(4).toString('hex')}`;
const MARK_ENV = { [MARKER.split('=')[0]!]: MARKER.split('=')[1]! };
const env = { ...process.env, ...MARK_ENV, NO_COLOR: '1' };

const log = (text: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${text}`);

// ---------------------------------------------------------------- cleanup (also on error and ^C)

let ROOT_TMP: string | undefined;
let browser: Browser | undefined;
/** Stops of what is running now (page, code-server, stack), newest first. */
const stoppers: (() => Promise<void>)[] = [];
const leftovers: { pid: number; cmd: string; when: string }[] = [];

/** Synchronous last resort: nothing the bench started may outlive it. */
function cleanupSync(): void {
  killMarked(MARKER);
  if (ROOT_TMP && !args.keep) rmSync(ROOT_TMP, { recursive: true, force: true });
  else if (ROOT_TMP) console.error(`kept ${ROOT_TMP}`);
  ROOT_TMP = undefined;
}

async function cleanup(): Promise<void> {
  while (stoppers.length) await stoppers.pop()!().catch((e: Error) => console.error(`warning: ${e.message}`));
  await browser?.close().catch(() => undefined);
  browser = undefined;
  if (ROOT_TMP) await sweep(ROOT_TMP, 'at the end');
  cleanupSync();
}

/** Kill and record whatever the bench started that still runs (by marker, and by working in `dir`). */
async function sweep(dir: string, when: string): Promise<void> {
  await sleep(200);
  const found = new Map<number, string>();
  for (const p of killMarked(MARKER)) found.set(p.pid, p.cmd);
  for (const p of await killProcessesUsing([dir])) found.set(p.pid, p.cmd);
  for (const [pid, cmd] of found) {
    leftovers.push({ pid, cmd: cmd.slice(0, 200), when });
    console.error(`warning: killed leftover pid ${pid} (${when}): ${cmd.slice(0, 160)}`);
  }
}

process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------- the build under measurement

/** A snapshot of the work tree (tracked + untracked, not ignored) in `dest`, node_modules linked. */
function snapshotWorkTree(dest: string): number {
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: REPO, encoding: 'utf8', maxBuffer: 64 << 20 })
    .split('\0')
    .filter(Boolean);
  let n = 0;
  for (const f of files) {
    const from = join(REPO, f);
    if (!existsSync(from) || !statSync(from).isFile()) continue; // deleted in the work tree
    mkdirSync(dirname(join(dest, f)), { recursive: true });
    copyFileSync(from, join(dest, f));
    n++;
  }
  symlinkSync(join(REPO, 'node_modules'), join(dest, 'node_modules'), 'dir');
  return n;
}

const size = (file: string) => statSync(file).size;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const mb = (bytes: number) => `${(bytes / 1_000_000).toFixed(2)} MB`;

function distSizes(dir: string) {
  const dist = join(dir, 'dist');
  const all = readdirSync(dist, { recursive: true })
    .map(String)
    .filter((f) => statSync(join(dist, f)).isFile());
  const ext = readFileSync(join(dist, 'extension.js'));
  return {
    extensionJs: ext.length,
    extensionJsGzip: gzipSync(ext, { level: 9 }).length,
    extensionJsMap: existsSync(join(dist, 'extension.js.map')) ? size(join(dist, 'extension.js.map')) : 0,
    cliJs: size(join(dist, 'cli.js')),
    distWithoutMaps: all.filter((f) => !f.endsWith('.map')).reduce((a, f) => a + size(join(dist, f)), 0),
    files: Object.fromEntries(all.filter((f) => !f.endsWith('.map')).sort().map((f) => [f, size(join(dist, f))])),
  };
}

/** Entries of a zip (the VSIX) with their sizes, from `unzip -Z -l` (Debian's unzip). */
function zipEntries(file: string): { name: string; size: number; compressed: number }[] {
  const text = execFileSync('unzip', ['-Z', '-l', file], { encoding: 'utf8' });
  const out: { name: string; size: number; compressed: number }[] = [];
  for (const line of text.split('\n')) {
    // -rw-r--r--  2.0 unx  2107743 b- 512345 defN 24-Nov-26 23:34 extension/dist/extension.js
    const m = /^\S{10}\s+\S+\s+\S+\s+(\d+)\s+\S+\s+(\d+)\s+\S+\s+\S+\s+\S+\s+(.+)$/.exec(line);
    if (m) out.push({ name: m[3]!, size: Number(m[1]), compressed: Number(m[2]) });
  }
  return out;
}

/**
 * Where the production extension bundle's bytes come from: the same entry and options as
 * scripts/build.mjs's extension target (minified), built again in memory with a metafile, bytes
 * grouped by package (node_modules/<name>) or by folder of src/.
 */
async function bundleBreakdown(dir: string): Promise<{ total: number; groups: { from: string; bytes: number }[] }> {
  const esbuild = await import('esbuild');
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
  const result = await esbuild.build({
    absWorkingDir: dir,
    entryPoints: { extension: 'src/extension/extension.ts' },
    outdir: 'dist',
    write: false,
    metafile: true,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    minify: true,
    logLevel: 'silent',
    external: ['vscode'],
    define: { 'import.meta.url': '__opsdeck_import_meta_url', __OPSDECK_VERSION__: JSON.stringify(pkg.version) },
  });
  const out = Object.values(result.metafile.outputs).find((o) => o.entryPoint);
  const groups = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(out?.inputs ?? {})) {
    const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
    const key = nm ? nm[1]! : input.startsWith('src/') ? input.split('/').slice(0, input.startsWith('src/core/') ? 3 : 2).join('/') : input;
    groups.set(key, (groups.get(key) ?? 0) + bytesInOutput);
  }
  return {
    total: out?.bytes ?? 0,
    groups: [...groups].map(([from, bytes]) => ({ from, bytes })).sort((a, b) => b.bytes - a.bytes),
  };
}

async function measureSize(buildDir: string) {
  log('size: development build (node scripts/build.mjs) of the snapshot');
  const dev = await run(NODE, ['scripts/build.mjs'], { cwd: buildDir, env, timeoutMs: 300_000 });
  if (dev.code !== 0) throw new Error(`development build failed:\n${dev.stdout}\n${dev.stderr}`);
  const devSizes = distSizes(buildDir);
  log('size: production build and VSIX (npm run package, which runs vscode:prepublish = build --production)');
  const npm = await run('npm', ['run', 'package'], { cwd: buildDir, env, timeoutMs: 600_000 });
  if (npm.code !== 0) throw new Error(`npm run package failed:\n${npm.stdout.slice(-3000)}\n${npm.stderr.slice(-3000)}`);
  const prodSizes = distSizes(buildDir);
  const vsixFile = join(buildDir, 'opsdeck.vsix');
  const vsix = size(vsixFile);
  const entries = zipEntries(vsixFile).sort((a, b) => b.compressed - a.compressed);
  const breakdown = await bundleBreakdown(buildDir);
  return { dev: devSizes, production: prodSizes, vsix: { bytes: vsix, entries, pass: vsix < VSIX_TARGET_BYTES }, breakdown };
}

/** The build under measurement must be the production one with the timings of the test API. */
function checkBuild(buildDir: string): void {
  const js = readFileSync(join(buildDir, 'dist', 'extension.js'), 'utf8');
  if (!js.includes('statusBarShownMs')) throw new Error('dist/extension.js of the snapshot has no activation timings (src/extension/timings.ts)');
}

// ---------------------------------------------------------------- the baseline extension and the probe

/** A trivial extension: on the same activation event, shows a status bar item at once. */
function writeBaselineExtension(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      {
        name: 'baseline',
        publisher: 'opsdeck-bench',
        version: '0.0.0',
        engines: { vscode: '^1.90.0' },
        main: './extension.js',
        activationEvents: ['workspaceContains:**/opsdeck.yaml'],
      },
      null,
      2,
    ),
  );
  writeFileSync(
    join(dir, 'extension.js'),
    `'use strict';
// bench/extension: the least an extension can do on activation (timings shaped like Opsdeck's test API).
const vscode = require('vscode');
const t = { timeOrigin: performance.timeOrigin };
exports.activate = function activate() {
  t.activateStartMs = performance.now();
  const item = vscode.window.createStatusBarItem('baseline.status', vscode.StatusBarAlignment.Left, 50);
  item.text = '$(pulse) 0/3';
  item.show();
  t.statusBarFirstShownMs = t.statusBarShownMs = performance.now();
  t.statusBarText = item.text;
  t.activateEndMs = performance.now();
  return { timings: () => ({ ...t }) };
};
`,
  );
}

async function bundleProbe(outDir: string): Promise<string> {
  const esbuild = await import('esbuild');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'package.json'), JSON.stringify({ type: 'commonjs' }) + '\n');
  const outfile = join(outDir, 'probe.js');
  await esbuild.build({
    absWorkingDir: REPO,
    entryPoints: [join(REPO, 'bench', 'extension', 'probe.ts')],
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['vscode'],
    logLevel: 'warning',
  });
  return outfile;
}

// ---------------------------------------------------------------- processes

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const ppid = Number(parseProcStat(readFileSync(`/proc/${name}/stat`, 'utf8')).field(4));
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone
    }
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    for (const c of children.get(todo.pop()!) ?? []) {
      out.push(c);
      todo.push(c);
    }
  }
  return out;
}

/** code-server's extension host: its descendant `bootstrap-fork --type=extensionHost` (exactly one). */
function extensionHostPid(codeServerPid: number): number {
  const hosts = descendants(codeServerPid).filter((p) => / --type=extensionHost\b/.test(cmdline(p)));
  if (hosts.length !== 1) throw new Error(`expected one extension host under code-server (pid ${codeServerPid}), found ${hosts.length}`);
  return hosts[0]!;
}

/** code-server's server process (the one that serves the workbench and relays to the extension host). */
function serverPid(codeServerPid: number): number | undefined {
  return descendants(codeServerPid).find((p) => /out\/node\/entry(\.js)?\b/.test(cmdline(p)) && !/--type=/.test(cmdline(p)));
}

// ---------------------------------------------------------------- one workbench load

interface Load {
  dir: string;
  workspace: string;
  socket: string;
  server: RunningCodeServer;
  context: BrowserContext;
  page: Page;
  wb: Workbench;
  report: string;
  stop: () => Promise<void>;
}

let CODE_SERVER: CodeServerInstall;
let BUILD_DIR = '';
let PROBE = '';
let BASELINE_DIR = '';
let loadCount = 0;

/** In the page, before the workbench loads: when the status item (id ending in `suffix`) first appears, and first shows `n/m`. */
const domObserver = (suffix: string) => `(() => {
  const st = { navStart: performance.timeOrigin, firstAt: undefined, realAt: undefined, text: undefined };
  window.__benchStatus = st;
  const sel = '.statusbar-item[id$="${suffix}"]';
  let bar;
  const check = () => {
    const el = bar.querySelector(sel);
    if (!el) return;
    const now = performance.timeOrigin + performance.now();
    if (st.firstAt === undefined) st.firstAt = now;
    const text = (el.textContent || '').replace(/\\s+/g, ' ').trim();
    if (/\\d+\\/\\d+/.test(text)) { st.realAt = now; st.text = text; inner.disconnect(); }
  };
  const inner = new MutationObserver(check);
  // Watch the document only until the status bar exists, then only the status bar.
  const outer = new MutationObserver(() => {
    bar = document.querySelector('.part.statusbar');
    if (!bar) return;
    outer.disconnect();
    inner.observe(bar, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['id'] });
    check();
  });
  outer.observe(document, { subtree: true, childList: true });
})();`;

/**
 * A fresh code-server (own user data, fresh copy of examples/default with free ports) and a page
 * on its workbench. `extension`: which extension is loaded (none, Opsdeck's build, the baseline).
 */
async function openWorkbench(opts: {
  extension: 'none' | 'opsdeck' | 'baseline';
  probe?: boolean;
  settings?: Record<string, unknown>;
  workspace?: { dir: string; socket: string };
  label: string;
}): Promise<Load> {
  const dir = mkdtempSync(join(ROOT_TMP!, `load${++loadCount}-`));
  const ws = opts.workspace ?? (await prepareWorkspace({ parent: dir }));
  const report = join(dir, 'report.ndjson');
  const userData = join(dir, 'user-data');
  // VS Code's remote port finder (code-server is a remote: ExtHostTunnelService) scans /proc
  // from the extension host every 2 s or more (`ls -l /proc/[0-9]*/fd/[0-9]*`, readlink of every
  // process's cwd and cmdline) unless ports are found from terminal output only. It costs the
  // extension host a few % of a core by itself, whatever the extensions do, and a desktop VS Code
  // does not run it: off, except where a load asks for it (PORT_SCAN_ON).
  writeUserSettings(userData, { ...PORT_SCAN_OFF, ...(opts.settings ?? {}) });
  const server = await startCodeServer({
    codeServer: CODE_SERVER,
    folder: ws.dir,
    userDataDir: userData,
    extensionsDir: join(dir, 'extensions'),
    logFile: join(dir, 'code-server.log'),
    env: {
      ...MARK_ENV,
      OPSDECK_BENCH_REPORT: report,
      OPSDECK_BENCH_EXTENSION: opts.extension === 'baseline' ? BASELINE_ID : OPSDECK_ID,
    },
  });
  const context = await browser!.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const wb = new Workbench(page);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await context.close().catch(() => undefined);
    if (opts.extension === 'opsdeck' && !opts.workspace) await stackDown(ws.dir, `${opts.label}: `);
    await server.stop();
    if (!opts.workspace) await sweep(dir, opts.label);
    // The folder stays until the end (logs); a shared workspace is the caller's.
  };
  stoppers.push(stop);
  if (opts.extension !== 'none') {
    await page.addInitScript(domObserver(opts.extension === 'baseline' ? 'baseline.status' : 'opsdeck.status'));
  }
  const extPath = opts.extension === 'opsdeck' ? BUILD_DIR : opts.extension === 'baseline' ? BASELINE_DIR : undefined;
  const url = workbenchUrl(server.port, {
    folder: ws.dir,
    ...(extPath ? { extensionDevelopmentPath: extPath } : {}),
    ...(opts.probe ? { extensionTestsPath: PROBE } : {}),
  });
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await wb.waitReady();
  return { dir, workspace: ws.dir, socket: ws.socket, server, context, page, wb, report, stop };
}

/** `opsdeck down` with the snapshot's CLI, when an engine owns the stack. */
async function stackDown(dir: string, what = ''): Promise<void> {
  const cli = join(BUILD_DIR, 'dist', 'cli.js');
  const r = await run(NODE, [cli, '-C', dir, 'down'], { env, timeoutMs: 60_000 }).catch((e: Error) => e);
  if (r instanceof Error) console.error(`warning: ${what}opsdeck down: ${r.message}`);
  else if (r.code !== 0 && !/not running|no engine/i.test(r.stderr + r.stdout)) console.error(`warning: ${what}opsdeck down exited ${r.code}: ${r.stderr.trim()}`);
}

async function cliStatus(dir: string): Promise<{ running: boolean; engine?: { pid: number; owner?: string }; services: { name: string; state: string }[] }> {
  const r = await run(NODE, [join(BUILD_DIR, 'dist', 'cli.js'), '-C', dir, 'status', '--json'], { env, timeoutMs: 30_000 });
  return JSON.parse(r.stdout);
}

function readReport(file: string): { type: string; [k: string]: unknown }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string });
}

// ---------------------------------------------------------------- 1. activation

interface Timings {
  pid: number;
  timeOrigin: number;
  activateStartMs: number;
  activateEndMs: number;
  stackFoundMs?: number;
  engineStartMs?: number;
  engineStartedMs?: number;
  statusBarFirstShownMs: number;
  statusBarShownMs: number;
  statusBarText: string;
}

interface ActivationSample {
  kind: 'opsdeck' | 'baseline';
  /** extension host start (its performance.timeOrigin) → activate() called */
  hostStartToActivateMs: number;
  /** activate() called → first show() of the status item with real data (in the extension host) */
  activateToShownMs: number;
  /** activate() called → first show() of the status item at all (placeholder) */
  activateToFirstShownMs: number;
  /** activate() called → activate() returned */
  activateMs: number;
  /** activate() called → the item shows `n/m` in the workbench's DOM */
  activateToDomMs: number;
  /** page navigation start → the item shows `n/m` in the DOM */
  pageToDomMs: number;
  text: string;
  domText: string;
  /** Opsdeck only: where activate → shown goes */
  phases?: Record<Phase, number>;
}

const PHASES = ['findStackMs', 'buildPartsMs', 'engineHostStartMs', 'firstStatusMs'] as const;
type Phase = (typeof PHASES)[number];
const PHASE_LABELS: Record<Phase, string> = {
  findStackMs: 'activate → opsdeck.yaml found',
  buildPartsMs: '→ parts built, engine start begins (status bar, tree, views, commands)',
  engineHostStartMs: '→ EngineHost.start done (config, stack lock, memory store, API socket)',
  firstStatusMs: '→ status shown (OpenAPI doc, event stream, first status over the socket)',
};

async function activationLoad(kind: 'opsdeck' | 'baseline', label: string): Promise<ActivationSample> {
  const load = await openWorkbench({ extension: kind, probe: true, label });
  try {
    const t = await until(
      `${label}: the probe's timings`,
      () => {
        const lines = readReport(load.report);
        const err = lines.find((l) => l.type === 'error');
        if (err) throw new Error(`probe: ${String(err.message)}`);
        return lines.find((l) => l.type === 'timings') as unknown as Timings | undefined;
      },
      120_000,
      100,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${readReport(load.report).map((l) => JSON.stringify(l)).join('\n')}`);
    });
    if (!/ --type=extensionHost\b/.test(cmdline(t.pid))) throw new Error(`${label}: the probe's pid ${t.pid} is not an extension host: ${cmdline(t.pid)}`);
    const dom = await until(
      `${label}: the status item showing n/m in the DOM`,
      async () => {
        const s = (await load.page.evaluate('window.__benchStatus')) as { navStart: number; firstAt?: number; realAt?: number; text?: string } | undefined;
        return s?.realAt ? s : undefined;
      },
      30_000,
      50,
    );
    const activateEpoch = t.timeOrigin + t.activateStartMs;
    return {
      kind,
      hostStartToActivateMs: r2(t.activateStartMs),
      activateToShownMs: r2(t.statusBarShownMs - t.activateStartMs),
      activateToFirstShownMs: r2(t.statusBarFirstShownMs - t.activateStartMs),
      activateMs: r2(t.activateEndMs - t.activateStartMs),
      activateToDomMs: r2(dom.realAt! - activateEpoch),
      pageToDomMs: r2(dom.realAt! - dom.navStart),
      text: t.statusBarText,
      domText: dom.text!,
      ...(t.stackFoundMs !== undefined && t.engineStartMs !== undefined && t.engineStartedMs !== undefined
        ? {
            phases: {
              findStackMs: r2(t.stackFoundMs - t.activateStartMs),
              buildPartsMs: r2(t.engineStartMs - t.stackFoundMs),
              engineHostStartMs: r2(t.engineStartedMs - t.engineStartMs),
              firstStatusMs: r2(t.statusBarShownMs - t.engineStartedMs),
            },
          }
        : {}),
    };
  } finally {
    await load.stop();
    stoppers.splice(stoppers.indexOf(load.stop), 1);
  }
}

const ACTIVATION_FIELDS = ['activateToShownMs', 'activateToFirstShownMs', 'activateMs', 'activateToDomMs', 'hostStartToActivateMs', 'pageToDomMs'] as const;

async function measureActivation() {
  const samples: ActivationSample[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const warm = i < WARMUP;
    const order: ('opsdeck' | 'baseline')[] = i % 2 ? ['baseline', 'opsdeck'] : ['opsdeck', 'baseline'];
    for (const kind of order) {
      const label = `${warm ? 'warm-up' : `run ${i - WARMUP + 1}`} ${kind}`;
      const s = await activationLoad(kind, label);
      log(
        `${label.padEnd(18)} activate→shown ${s.activateToShownMs.toFixed(1).padStart(7)} ms (in host), ` +
          `→DOM ${s.activateToDomMs.toFixed(1).padStart(7)} ms, activate() ${s.activateMs.toFixed(1).padStart(7)} ms, ` +
          `host start→activate ${s.hostStartToActivateMs.toFixed(0).padStart(5)} ms, page→DOM ${s.pageToDomMs.toFixed(0).padStart(5)} ms  "${s.text}"` +
          (s.phases ? `  [${PHASES.map((p) => s.phases![p].toFixed(1)).join(' + ')}]` : ''),
      );
      if (!warm) samples.push(s);
    }
  }
  const of = (kind: 'opsdeck' | 'baseline') => {
    const list = samples.filter((s) => s.kind === kind);
    return Object.fromEntries(ACTIVATION_FIELDS.map((f) => [f, stats(list.map((s) => s[f]))])) as Record<(typeof ACTIVATION_FIELDS)[number], Stats>;
  };
  const withPhases = samples.filter((s) => s.phases);
  const phases = withPhases.length ? (Object.fromEntries(PHASES.map((p) => [p, stats(withPhases.map((s) => s.phases![p]))])) as Record<Phase, Stats>) : undefined;
  log(`activation: require() of the bundles in plain Node (vscode stubbed), ${BUNDLE_LOADS} fresh processes each, interleaved`);
  const bundleLoad = await bundleLoadTimes();
  return { samples, opsdeck: of('opsdeck'), baseline: of('baseline'), phases, bundleLoad };
}

const BUNDLE_LOADS = 10;

/**
 * How long `require()` of the production dist/extension.js takes (parsing and running its top
 * level, before activate() can be called), in a fresh Node process with a stub for `vscode`,
 * next to the baseline extension's extension.js. Not inside VS Code: an estimate of the part of
 * "extension host start → activate" that is the bundle's own.
 */
async function bundleLoadTimes(): Promise<{ opsdeck: Stats; baseline: Stats; samples: { opsdeck: number[]; baseline: number[] } }> {
  const script = `
const Module = require('node:module');
// Any member of the stub is a constructible, callable stub; the module's prototype answers every
// name too, since esbuild's __toESM copies own properties and keeps the prototype.
const stub = () => new Proxy(function () {}, { get: (_t, k) => (k === 'prototype' ? {} : k === Symbol.toPrimitive ? () => '' : stub()), construct: () => stub(), apply: () => stub() });
const anything = new Proxy({}, { get: (_t, k) => (typeof k === 'symbol' ? undefined : stub()) });
const vscode = new Proxy({}, { get: (_t, k) => (typeof k === 'symbol' || k === '__esModule' ? undefined : stub()), getPrototypeOf: () => anything });
const load = Module._load;
Module._load = function (request, ...rest) { return request === 'vscode' ? vscode : load.call(this, request, ...rest); };
const t0 = performance.now();
const m = require(process.argv[1]);
const ms = performance.now() - t0;
if (typeof m.activate !== 'function') throw new Error('no activate() exported');
process.stdout.write(String(ms));
`;
  const files = { opsdeck: join(BUILD_DIR, 'dist', 'extension.js'), baseline: join(BASELINE_DIR, 'extension.js') };
  const samples = { opsdeck: [] as number[], baseline: [] as number[] };
  for (let i = 0; i < BUNDLE_LOADS + 1; i++) {
    for (const kind of (i % 2 ? ['baseline', 'opsdeck'] : ['opsdeck', 'baseline']) as ('opsdeck' | 'baseline')[]) {
      const r = await run(NODE, ['-e', script, files[kind]], { env, timeoutMs: 60_000 });
      const ms = Number(r.stdout);
      if (r.code !== 0 || !Number.isFinite(ms)) throw new Error(`require(${files[kind]}) failed (exit ${r.code}): ${r.stderr.trim().slice(0, 500)}`);
      if (i > 0) samples[kind].push(r2(ms)); // the first round warms the file cache
    }
  }
  return { opsdeck: stats(samples.opsdeck), baseline: stats(samples.baseline), samples };
}

// ---------------------------------------------------------------- 3. CPU

interface CpuWindow {
  setup: string;
  sidebar: 'hidden' | 'visible';
  extensionHostPid: number;
  /** % of one core over the window */
  extensionHostPercent: number;
  slicesPercent: number[];
  extensionHostRssMb: number;
  /** every core together, busy (all processes): what else ran during the window */
  machineBusyPercent: number;
  serverPercent?: number;
  /** the external engine daemon (attach setup) */
  daemonPercent?: number;
  daemonSlicesPercent?: number[];
}

/** All cores together, from /proc/stat: busy and total ticks (to see what else ran meanwhile). */
function machineTicks(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0); // user nice system idle iowait irq softirq steal
  return { busy: total - f[3]! - f[4]!, total };
}

async function cpuWindow(setup: string, sidebar: 'hidden' | 'visible', load: Load, daemonPid?: number): Promise<CpuWindow> {
  const host = extensionHostPid(load.server.pid);
  const server = serverPid(load.server.pid);
  const hz = clockTicks();
  const m0 = machineTicks();
  const read = () => ({ t: performance.now(), host: cpuTicks(host), server: server ? cpuTicks(server) : 0, daemon: daemonPid ? cpuTicks(daemonPid) : 0 });
  const pct = (ticks: number, ms: number) => r2((ticks / hz / (ms / 1000)) * 100);
  const first = read();
  let last = first;
  const slices: number[] = [];
  const daemonSlices: number[] = [];
  while (last.t - first.t < IDLE_S * 1000 - 1) {
    await sleep(Math.min(SAMPLE_S * 1000, IDLE_S * 1000 - (last.t - first.t)));
    const now = read();
    slices.push(pct(now.host - last.host, now.t - last.t));
    if (daemonPid) daemonSlices.push(pct(now.daemon - last.daemon, now.t - last.t));
    last = now;
  }
  const ms = last.t - first.t;
  const m1 = machineTicks();
  const w: CpuWindow = {
    setup,
    sidebar,
    extensionHostPid: host,
    extensionHostPercent: pct(last.host - first.host, ms),
    slicesPercent: slices,
    extensionHostRssMb: r2(memoryStatus(host).rssKb / 1024),
    machineBusyPercent: r2(((m1.busy - m0.busy) / (m1.total - m0.total)) * 100),
    ...(server ? { serverPercent: pct(last.server - first.server, ms) } : {}),
    ...(daemonPid ? { daemonPercent: pct(last.daemon - first.daemon, ms), daemonSlicesPercent: daemonSlices } : {}),
  };
  log(
    `  ${setup}, sidebar ${sidebar}: extension host ${w.extensionHostPercent.toFixed(2)} % of a core (slices ${slices.map((x) => x.toFixed(2)).join(' ')})` +
      (w.daemonPercent !== undefined ? `; engine daemon ${w.daemonPercent.toFixed(2)} %` : ''),
  );
  return w;
}

async function showExplorer(load: Load): Promise<void> {
  await load.wb.runCommand('View: Show Explorer');
  await until('the Explorer in the sidebar', async () => (await load.page.locator('.part.sidebar .composite.title').first().innerText().catch(() => '')).toUpperCase().includes('EXPLORER'), 15_000);
  if (await load.wb.pane('Services').isVisible().catch(() => false)) throw new Error('the Opsdeck Services view is still visible');
}

async function showOpsdeck(load: Load): Promise<void> {
  await load.wb.openOpsdeckSidebar();
  await load.wb.expandPane('Services');
  await load.wb.expandPane('Metrics');
  await until('service rows in the Services view', async () => {
    const rows = await load.wb.treeRows('Services');
    return SERVICES.every((s) => rows.some((r) => r.includes(s)));
  }, 30_000);
  await until('the Metrics webview with the services', async () => {
    const frame = load.wb.webviewFrame(OPSDECK_ID);
    const text = frame ? await load.wb.frameText(frame) : '';
    return SERVICES.every((s) => text.includes(s));
  }, 30_000);
}

const waitStatus33 = (load: Load) =>
  load.wb.waitForStatus('opsdeck.status', '$(pulse) 3/3', (s) => s.icons.includes('pulse') && /\b3\/3\b/.test(s.text), 90_000);

async function allReady(dir: string): Promise<boolean> {
  const s = await cliStatus(dir);
  return s.running && s.services.length === SERVICES.length && s.services.every((x) => x.state === 'ready');
}

async function extensionWindows(setup: string, load: Load, daemonPid?: number): Promise<CpuWindow[]> {
  await showExplorer(load);
  await sleep(SETTLE_S * 1000);
  const hidden = await cpuWindow(setup, 'hidden', load, daemonPid);
  await showOpsdeck(load);
  await sleep(SETTLE_S * 1000);
  const visible = await cpuWindow(setup, 'visible', load, daemonPid);
  return [hidden, visible];
}

interface ProfileSummary {
  pid: number;
  profiledMs: number;
  busyMs: number;
  busyPercent: number;
  byCategoryMs: Record<string, number>;
}

/** A CPU profile of the extension host (bench/extension/exthost-profile.ts), after the measured windows. */
async function profileExtensionHost(pid: number): Promise<ProfileSummary | undefined> {
  log(`cpu: profiling the extension host (embedded engine, sidebar hidden) for ${PROFILE_S} s`);
  const out = join(ROOT_TMP!, 'exthost-embedded-hidden.cpuprofile');
  const r = await run(NODE, ['--experimental-websocket', '--no-warnings', '--import', 'tsx', join(REPO, 'bench', 'extension', 'exthost-profile.ts'), String(pid), String(PROFILE_S), out], {
    env,
    timeoutMs: (PROFILE_S + 60) * 1000,
  });
  if (r.code !== 0) {
    console.error(`warning: no profile of the extension host: ${r.stderr.trim()}`);
    return undefined;
  }
  const p = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ProfileSummary;
  log(`  busy ${p.busyMs} ms of ${p.profiledMs} ms: ${Object.entries(p.byCategoryMs).map(([k, v]) => `${k} ${v}`).join('; ')}`);
  return p;
}

let profile: ProfileSummary | undefined;

async function measureCpu() {
  const windows: CpuWindow[] = [];

  // A. Embedded: auto mode with no other owner, so the engine runs in the extension host.
  {
    log(`cpu: embedded engine (opsdeck.engine.mode auto); start the stack from the palette`);
    const load = await openWorkbench({ extension: 'opsdeck', label: 'cpu embedded' });
    try {
      await load.wb.waitForStatus('opsdeck.status', 'n/m', (s) => /\d+\/\d+/.test(s.text), 90_000);
      await load.wb.runCommand('Opsdeck: Start Stack');
      await until('every service ready', () => allReady(load.workspace), 120_000, 1000);
      await waitStatus33(load);
      const host = extensionHostPid(load.server.pid);
      const status = await cliStatus(load.workspace);
      if (status.engine?.pid !== host) throw new Error(`the engine runs in pid ${status.engine?.pid}, not in the extension host (${host}): not embedded`);
      windows.push(...(await extensionWindows('embedded', load)));
      if (PROFILE_S > 0) {
        await showExplorer(load);
        await sleep(SETTLE_S * 1000);
        profile = await profileExtensionHost(host);
      }
    } finally {
      await load.stop();
      stoppers.splice(stoppers.indexOf(load.stop), 1);
    }
  }

  // B. External daemon (`opsdeck up --detach`): VS Code without the extension, then the extension attached.
  {
    const dir = mkdtempSync(join(ROOT_TMP!, 'daemon-'));
    const ws = await prepareWorkspace({ parent: dir });
    const cli = join(BUILD_DIR, 'dist', 'cli.js');
    log(`cpu: external engine daemon (opsdeck up --detach)`);
    let daemonPid: number | undefined;
    const down = async () => {
      await stackDown(ws.dir, 'daemon: ');
      if (daemonPid !== undefined && (await waitGone([daemonPid], 15_000)).length) console.error(`warning: the engine daemon (pid ${daemonPid}) did not exit after down`);
      await sweep(dir, 'daemon');
    };
    stoppers.push(down);
    try {
      const up = await run(NODE, [cli, '-C', ws.dir, 'up', '--detach', '--json', '--timeout', '90s'], { env, timeoutMs: 120_000 });
      const upJson = JSON.parse(up.stdout || '{}') as { ok?: boolean; status?: { engine?: { pid: number } } };
      daemonPid = upJson.status?.engine?.pid;
      if (up.code !== 0 || !upJson.ok || !daemonPid) throw new Error(`opsdeck up --detach failed (exit ${up.code}): ${up.stdout.slice(0, 500)} ${up.stderr.trim()}`);

      for (const [setup, settings] of [
        ['no extension', {}],
        ['no extension, port finder on', PORT_SCAN_ON],
      ] as const) {
        const none = await openWorkbench({ extension: 'none', workspace: ws, settings, label: `cpu ${setup}` });
        try {
          await showExplorer(none);
          await sleep(SETTLE_S * 1000);
          windows.push(await cpuWindow(setup, 'hidden', none, daemonPid));
        } finally {
          await none.stop();
          stoppers.splice(stoppers.indexOf(none.stop), 1);
        }
      }

      const load = await openWorkbench({ extension: 'opsdeck', workspace: ws, settings: { 'opsdeck.engine.mode': 'attach' }, label: 'cpu attach' });
      try {
        await waitStatus33(load);
        windows.push(...(await extensionWindows('attach', load, daemonPid)));
      } finally {
        await load.stop();
        stoppers.splice(stoppers.indexOf(load.stop), 1);
      }
    } finally {
      await down();
      stoppers.splice(stoppers.indexOf(down), 1);
    }
  }
  return windows;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  ROOT_TMP = mkdtempSync(join(os.tmpdir(), 'opsdeck-bench-extension-'));
  const m = machine();
  log(`extension bench: ${m.cores} cores, ${m.cpu}, node ${process.version}; temp ${ROOT_TMP}`);
  BUILD_DIR = join(ROOT_TMP, 'build');
  const files = snapshotWorkTree(BUILD_DIR);
  log(`snapshot of the work tree (${gitRevision()}): ${files} files in ${relative(os.tmpdir(), BUILD_DIR)}`);

  let sizes: Awaited<ReturnType<typeof measureSize>> | undefined;
  if (want('size') || want('activation') || want('cpu')) {
    // The activation and CPU runs load the production build that npm run package leaves in dist/.
    sizes = await measureSize(BUILD_DIR);
    log(
      `size: dist/extension.js ${kb(sizes.production.extensionJs)} production (${kb(sizes.production.extensionJsGzip)} gzip), ` +
        `${kb(sizes.dev.extensionJs)} development; VSIX ${mb(sizes.vsix.bytes)} (${sizes.vsix.pass ? 'PASS' : 'FAIL'} < 2 MB)`,
    );
  }
  checkBuild(BUILD_DIR);
  const extSha = execFileSync('sha256sum', [join(BUILD_DIR, 'dist', 'extension.js')], { encoding: 'utf8' }).slice(0, 12);

  let activation: Awaited<ReturnType<typeof measureActivation>> | undefined;
  let cpu: CpuWindow[] | undefined;
  if (want('activation') || want('cpu')) {
    CODE_SERVER = await ensureCodeServer({ log: (msg) => log(msg) });
    PROBE = await bundleProbe(join(ROOT_TMP, 'probe'));
    BASELINE_DIR = join(ROOT_TMP, 'baseline-extension');
    writeBaselineExtension(BASELINE_DIR);
    browser = await launchChromium();
    if (want('activation')) {
      log(`activation: ${RUNS} runs (+${WARMUP} warm-up) of Opsdeck and of the baseline extension, interleaved, each a fresh code-server`);
      activation = await measureActivation();
    }
    if (want('cpu')) {
      log(`cpu: ${IDLE_S} s windows, ${SETTLE_S} s settle, ${SAMPLE_S} s slices`);
      cpu = await measureCpu();
    }
  }
  await cleanup();

  report({ sizes, activation, cpu, extSha, files });
}

// ---------------------------------------------------------------- report

function report(r: {
  sizes: Awaited<ReturnType<typeof measureSize>> | undefined;
  activation: Awaited<ReturnType<typeof measureActivation>> | undefined;
  cpu: CpuWindow[] | undefined;
  extSha: string;
  files: number;
}): void {
  const lines: string[] = [];
  const verdicts: string[] = [];
  const { sizes, activation, cpu } = r;

  if (activation) {
    const { opsdeck: o, baseline: b } = activation;
    const LABELS: Record<(typeof ACTIVATION_FIELDS)[number], string> = {
      activateToShownMs: 'activate → status shown (real data), in host',
      activateToFirstShownMs: 'activate → status item first shown (placeholder)',
      activateMs: 'activate() call → return',
      activateToDomMs: 'activate → status `n/m` in the workbench DOM',
      hostStartToActivateMs: 'extension host start → activate',
      pageToDomMs: 'page load → status `n/m` in the DOM',
    };
    const row = (f: (typeof ACTIVATION_FIELDS)[number]) =>
      `| ${LABELS[f]} | ${o[f].median.toFixed(1)} | ${o[f].p90.toFixed(1)} | ${o[f].min.toFixed(1)} | ${o[f].max.toFixed(1)} | ${b[f].median.toFixed(1)} |`;
    lines.push(
      '## Activation',
      '',
      `${RUNS} fresh workbench loads of each (+${WARMUP} warm-up dropped), Opsdeck and a trivial baseline extension interleaved; ms.`,
      '',
      '| ms | Opsdeck median | p90 | min | max | baseline median |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...ACTIVATION_FIELDS.map(row),
      '',
      `Status text at that first real show: ${[...new Set(activation.samples.filter((s) => s.kind === 'opsdeck').map((s) => `\`${s.text}\``))].join(', ')}.`,
      '',
    );
    if (activation.phases) {
      const ph = activation.phases;
      lines.push(
        'Where Opsdeck\'s activate → status shown goes (marks of the test API in the extension host; medians of each step):',
        '',
        '| step | median ms | p90 | min | max |',
        '| --- | ---: | ---: | ---: | ---: |',
        ...PHASES.map((p) => `| ${PHASE_LABELS[p]} | ${ph[p].median.toFixed(1)} | ${ph[p].p90.toFixed(1)} | ${ph[p].min.toFixed(1)} | ${ph[p].max.toFixed(1)} |`),
        '',
      );
    }
    const bl = activation.bundleLoad;
    lines.push(
      `Before activate() is called, the extension host loads the bundle: \`require()\` of the production dist/extension.js in plain Node 20 ` +
        `(\`vscode\` stubbed, ${BUNDLE_LOADS} fresh processes) takes **${bl.opsdeck.median.toFixed(1)} ms** median (p90 ${bl.opsdeck.p90.toFixed(1)}), ` +
        `the baseline extension's ${bl.baseline.median.toFixed(1)} ms.`,
      '',
    );
    verdicts.push(
      `activation: ${o.activateToShownMs.median.toFixed(1)} ms median from activate() to the status bar item shown with real data (in the extension host; p90 ${o.activateToShownMs.p90.toFixed(1)} ms), ` +
        `${o.activateToDomMs.median.toFixed(1)} ms to it showing in the workbench (baseline extension: ${b.activateToDomMs.median.toFixed(1)} ms) — no target set`,
    );
  }

  if (sizes) {
    const { dev, production: p, vsix, breakdown } = sizes;
    lines.push(
      '## Size',
      '',
      '| file | development build | production build |',
      '| --- | ---: | ---: |',
      `| dist/extension.js | ${kb(dev.extensionJs)} | ${kb(p.extensionJs)} |`,
      `| dist/extension.js, gzip -9 | ${kb(dev.extensionJsGzip)} | ${kb(p.extensionJsGzip)} |`,
      `| dist/cli.js | ${kb(dev.cliJs)} | ${kb(p.cliJs)} |`,
      `| dist/ without source maps | ${kb(dev.distWithoutMaps)} | ${kb(p.distWithoutMaps)} |`,
      '',
      `VSIX (\`npm run package\`): **${vsix.bytes} bytes (${mb(vsix.bytes)}, ${kb(vsix.bytes)})**, target under 2 MB: **${vsix.pass ? 'PASS' : 'FAIL'}**. Largest entries (compressed / size):`,
      '',
      '| entry | compressed | size |',
      '| --- | ---: | ---: |',
      ...vsix.entries.slice(0, 8).map((e) => `| ${e.name} | ${kb(e.compressed)} | ${kb(e.size)} |`),
      `| (${vsix.entries.length} entries in all) | ${kb(vsix.entries.reduce((a, e) => a + e.compressed, 0))} | ${kb(vsix.entries.reduce((a, e) => a + e.size, 0))} |`,
      '',
      `Where the production dist/extension.js's ${kb(breakdown.total)} come from (esbuild metafile, same options, minified):`,
      '',
      '| from | bytes | share |',
      '| --- | ---: | ---: |',
      ...breakdown.groups.slice(0, 12).map((g) => `| ${g.from} | ${kb(g.bytes)} | ${((g.bytes / breakdown.total) * 100).toFixed(1)} % |`),
      '',
    );
    verdicts.push(
      `size: dist/extension.js ${kb(p.extensionJs)} in a production build (${kb(dev.extensionJs)} development); VSIX ${mb(vsix.bytes)}: ${vsix.pass ? 'PASS' : 'FAIL'} (< 2 MB)`,
    );
  }

  if (cpu) {
    const get = (setup: string, sidebar: string) => cpu.find((w) => w.setup === setup && w.sidebar === sidebar);
    const emb = get('embedded', 'hidden');
    const att = get('attach', 'hidden');
    const none = get('no extension', 'hidden');
    lines.push(
      '## Extension host CPU',
      '',
      `Stack running and idle (3 services ready), ${IDLE_S} s windows after ${SETTLE_S} s settling; % of one core (utime + stime of the process alone, /proc/<pid>/stat). ` +
        "VS Code's remote port finder is off (`remote.autoForwardPortsSource: output`) except in the row that says so. " +
        '"machine busy" is every core together, all processes: what else ran meanwhile.',
      '',
      `| setup | sidebar | extension host % | busiest ${SAMPLE_S} s slice % | engine daemon % | code-server server % | machine busy % | ext. host RSS MB |`,
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...cpu.map(
        (w) =>
          `| ${w.setup} | ${w.sidebar} | **${w.extensionHostPercent.toFixed(2)}** | ${Math.max(...w.slicesPercent).toFixed(2)} | ${w.daemonPercent?.toFixed(2) ?? '–'} | ${w.serverPercent?.toFixed(2) ?? '–'} | ${w.machineBusyPercent.toFixed(1)} | ${w.extensionHostRssMb.toFixed(0)} |`,
      ),
      '',
      `Setups: **embedded** = \`opsdeck.engine.mode\` auto with no other owner, so the engine (supervision, probes, metrics, memory, API) runs in the extension host; ` +
        `**attach** = the extension attached to an engine daemon (\`opsdeck up --detach\`) whose own CPU is the "engine daemon" column; ` +
        '**no extension** = the same workbench with no extension under development (VS Code alone).',
      '',
    );
    if (emb && att && none) {
      lines.push(
        `Split of the embedded, sidebar-hidden ${emb.extensionHostPercent.toFixed(2)} %: VS Code's own extension host work (no extension) ${none.extensionHostPercent.toFixed(2)} %, ` +
          `the extension without the engine (attach − no extension) ${r2(att.extensionHostPercent - none.extensionHostPercent).toFixed(2)} %, ` +
          `the embedded engine (embedded − attach) ${r2(emb.extensionHostPercent - att.extensionHostPercent).toFixed(2)} % ` +
          `(the same engine as a daemon: ${att.daemonPercent?.toFixed(2)} %). Differences below about 0.3 % are within the noise of ${IDLE_S} s windows on a shared machine.`,
        '',
      );
    }
    if (profile) {
      lines.push(
        `Where it goes: a ${PROFILE_S} s CPU profile of the extension host (embedded, sidebar hidden, after the windows; V8 sampling profiler through the inspector, which adds some cost of its own): ` +
          `busy ${profile.busyMs.toFixed(0)} ms of ${profile.profiledMs.toFixed(0)} ms (${profile.busyPercent.toFixed(2)} %).`,
        '',
        '| on the stack | ms | share of busy |',
        '| --- | ---: | ---: |',
        ...Object.entries(profile.byCategoryMs).map(([k, v]) => `| ${k} | ${v.toFixed(1)} | ${((v / profile!.busyMs) * 100).toFixed(0)} % |`),
        '',
      );
    }
    if (emb) {
      const pass = emb.extensionHostPercent < CPU_TARGET_PERCENT;
      const close = Math.abs(emb.extensionHostPercent - CPU_TARGET_PERCENT) < 0.3 ? ', within the noise of the target' : '';
      verdicts.push(
        `extension host CPU, sidebar hidden: ${emb.extensionHostPercent.toFixed(2)} % of a core with the engine embedded: ${pass ? 'PASS' : 'FAIL'} (< ${CPU_TARGET_PERCENT} %${close})` +
          (att ? `; ${att.extensionHostPercent.toFixed(2)} % attached to a daemon (${att.extensionHostPercent < CPU_TARGET_PERCENT ? 'PASS' : 'FAIL'}; the daemon itself ${att.daemonPercent?.toFixed(2)} %)` : '') +
          (none ? `; ${none.extensionHostPercent.toFixed(2)} % without the extension` : ''),
      );
    }
  }
  if (leftovers.length) verdicts.push(`FAIL: ${leftovers.length} process(es) left running were killed: ${leftovers.map((p) => `${p.pid} (${p.when})`).join(', ')}`);

  console.log(`\n${lines.join('\n')}\n${verdicts.map((v) => `**${v}**`).join('\n')}\n\nreproduce: ${command}`);
  if (args['no-save'] || !DEFAULTS) {
    if (!args['no-save']) console.log('(not saved: only a run with the default options writes bench/results/extension.*)');
    return;
  }
  const date = new Date().toISOString();
  const m = machine();
  mkdirSync(RESULTS, { recursive: true });
  const revision = gitRevision();
  const json = {
    bench: 'extension',
    date,
    command,
    node: process.version,
    revision,
    extensionJsSha256: r.extSha,
    machine: m,
    loadAverage: os.loadavg().map(r2),
    setup: {
      runs: RUNS,
      warmup: WARMUP,
      idleS: IDLE_S,
      settleS: SETTLE_S,
      sampleS: SAMPLE_S,
      profileS: PROFILE_S,
      portFinder: PORT_SCAN_OFF,
      codeServer: CODE_SERVER?.version,
      workspace: 'examples/default (copy, free ports)',
      snapshotFiles: r.files,
    },
    activation,
    sizes,
    cpu,
    profile,
    leftovers,
    verdicts,
  };
  writeFileSync(join(RESULTS, 'extension.json'), `${JSON.stringify(json, null, 2)}\n`);
  const md = [
    '# VS Code extension: activation, size, extension host CPU',
    '',
    'code-server (VS Code 1.100.3) in headless chromium (playwright-core), the production build of a snapshot of the work tree',
    'loaded as the extension under development, on fresh copies of examples/default. See bench/README.md.',
    '',
    `- command: \`${command}\``,
    `- date: ${date}`,
    `- node: ${process.version}, ${m.platform} ${m.arch}; code-server ${CODE_SERVER?.version ?? '–'}`,
    `- machine: ${m.cores} cores, ${m.cpu}; load average at the end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`,
    `- opsdeck: work tree at ${revision}; production dist/extension.js sha256 ${r.extSha}`,
    '',
    ...verdicts.map((v) => `**${v}**`).flatMap((v) => [v, '']),
    ...lines,
  ].join('\n');
  writeFileSync(join(RESULTS, 'extension.md'), md);
  console.log(`\nwrote bench/results/extension.json and bench/results/extension.md`);
}

main().then(
  () => process.exit(leftovers.length ? 1 : 0),
  async (e: Error) => {
    console.error(`error: ${e.stack ?? e.message}`);
    await cleanup();
    process.exit(1);
  },
);
