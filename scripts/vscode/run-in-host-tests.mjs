#!/usr/bin/env node
/**
 * Runs the in-host suite (test/vscode/**\/*.test.ts, mocha inside VS Code's extension host)
 * under code-server 4.100.3 (VS Code 1.100.3) with headless Debian chromium:
 *
 *   1. installs code-server into its cache folder if missing (install-code-server.mjs);
 *   2. `npm run build` (dist/extension.js), and bundles the suite into one CommonJS file;
 *   3. copies examples/default into a temp folder with free ports (and a node_modules link);
 *   4. starts code-server on a free port and opens the workbench in chromium with the payload
 *      extensionDevelopmentPath = this repository, extensionTestsPath = the bundle;
 *   5. follows the report the suite writes from the extension host and prints it like mocha's
 *      spec reporter; then closes chromium, stops code-server and kills whatever is left in the
 *      temp folders (the stack's services included).
 *
 *   node scripts/vscode/run-in-host-tests.mjs [--grep RE] [--no-build] [--keep] [--summary FILE]
 *
 * --summary FILE writes {passes, failures, pending, tests} (the format of
 * scripts/mocha-summary-reporter.cjs) for scripts/run-tests.mjs. --keep leaves the temp folder
 * (logs: code-server.log, browser.log, the extension host logs under user-data/logs).
 * Env: OPSDECK_VSCODE_TEST_TIMEOUT_S (whole run, default 720: under the 15 min
 * scripts/run-tests.mjs allows the suite, so the runner still cleans up), OPSDECK_CODE_SERVER_DIR,
 * OPSDECK_CHROMIUM. Exit code 0 when every test passed. See docs/testing.md.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  buildExtension,
  bundleInHostTests,
  createReportPrinter,
  ensureCodeServer,
  findFiles,
  followNdjson,
  killProcessesUsing,
  launchChromium,
  parseArgs,
  prepareWorkspace,
  processesUsing,
  ROOT,
  stackRemapper,
  startCodeServer,
  tail,
  workbenchUrl,
  writeUserSettings,
} from './lib.mjs';

const USAGE = 'usage: node scripts/vscode/run-in-host-tests.mjs [--grep RE] [--no-build] [--keep] [--summary FILE]';
const opts = parseArgs(process.argv.slice(2), { grep: 'value', 'no-build': 'flag', keep: 'flag', summary: 'value', help: 'flag' }, USAGE);
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}

const TOTAL_TIMEOUT_MS = (Number(process.env.OPSDECK_VSCODE_TEST_TIMEOUT_S) || 720) * 1000;
/** From opening the workbench to the suite's first report line. */
const START_TIMEOUT_MS = 180_000;

const t0 = Date.now();
const since = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const step = (m) => console.log(`[vscode ${since()}] ${m}`);

const run = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-vscode-'));
const files = {
  tests: path.join(run, 'tests'),
  report: path.join(run, 'report.ndjson'),
  userData: path.join(run, 'user-data'),
  extensions: path.join(run, 'extensions'),
  codeServerLog: path.join(run, 'code-server.log'),
  browserLog: path.join(run, 'browser.log'),
};

let codeServer;
let browser;
let interrupted = false;
let printer = createReportPrinter();
const problems = [];

const never = () => new Promise(() => {});

async function cleanup() {
  await browser?.close().catch(() => undefined);
  browser = undefined;
  await codeServer?.stop().catch(() => undefined);
  codeServer = undefined;
  // The stack's services run in process groups of their own: whatever the suite's after hooks
  // did not stop is still working in the workspace copy.
  const left = await killProcessesUsing([run]);
  return left;
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    console.log(`\n${sig}: stopping code-server, chromium and the stack`);
    cleanup().finally(() => {
      if (!opts.keep) rmSync(run, { recursive: true, force: true });
      process.exit(130);
    });
  });
}

async function main() {
  step(`temp folder ${run}`);
  const cs = await ensureCodeServer({ log: (m) => step(m) });
  step(`code-server ${cs.version}`);
  if (!opts['no-build']) {
    step('npm run build');
    buildExtension();
  }
  const bundle = await bundleInHostTests(files.tests);
  printer = createReportPrinter({ remap: stackRemapper(bundle.index) });
  step(`bundled ${bundle.files.length} test files: ${bundle.files.join(', ')}`);

  const workspace = await prepareWorkspace({ parent: run });
  step(`workspace ${workspace.dir} (ports ${[...workspace.ports].map(([a, b]) => `${a}→${b}`).join(', ')})`);
  writeUserSettings(files.userData);

  codeServer = await startCodeServer({
    codeServer: cs,
    folder: workspace.dir,
    userDataDir: files.userData,
    extensionsDir: files.extensions,
    logFile: files.codeServerLog,
    // Inherited by the extension host: where the suite writes its report.
    env: {
      OPSDECK_TEST_REPORT: files.report,
      ...(opts.grep ? { OPSDECK_TEST_GREP: opts.grep } : {}),
    },
  });
  step(`code-server listening on ${codeServer.origin} (pid ${codeServer.pid})`);

  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const logBrowser = (line) => appendFileSync(files.browserLog, line + '\n');
  page.on('console', (m) => logBrowser(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => logBrowser(`[pageerror] ${e.message}`));
  const url = workbenchUrl(codeServer.port, { folder: workspace.dir, extensionDevelopmentPath: ROOT, extensionTestsPath: bundle.index });
  step('opening the workbench in chromium');
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });

  let started = false;
  const poll = followNdjson(files.report, (e) => {
    if (e.type === 'start') {
      started = true;
      step(`the extension host runs the suite (VS Code ${e.vscode}, Node ${e.node})`);
    }
    printer.onEvent(e);
  });
  const opened = Date.now();
  for (;;) {
    if (interrupted) await never(); // the signal handler cleans up and exits
    poll();
    if (printer.ended()) break;
    if (codeServer.exited()) throw new Error(`code-server exited (${JSON.stringify(codeServer.exited())}) before the suite finished`);
    if (!started && Date.now() - opened > START_TIMEOUT_MS) {
      throw new Error(`the extension host did not start the suite within ${START_TIMEOUT_MS / 1000}s of opening the workbench`);
    }
    if (Date.now() - t0 > TOTAL_TIMEOUT_MS) throw new Error(`the suite did not finish within ${TOTAL_TIMEOUT_MS / 1000}s`);
    await new Promise((r) => setTimeout(r, 250));
  }
  step('suite finished');
}

function showLogs() {
  console.log(`\n--- code-server.log (last lines; full logs in ${run} with --keep)\n${tail(files.codeServerLog, 40)}`);
  for (const f of findFiles(files.userData, /^(remoteexthost|exthost)\.log$/)) {
    console.log(`\n--- ${path.relative(run, f)} (last lines)\n${tail(f, 60)}`);
  }
  const b = tail(files.browserLog, 40);
  if (b) console.log(`\n--- browser console (last lines)\n${b}`);
}

let failedRun;
try {
  await main();
} catch (e) {
  failedRun = e instanceof Error ? e.message : String(e);
}
if (interrupted) await never();
const left = await cleanup();
if (left.length) {
  console.log(`\nkilled ${left.length} process(es) still running in the run's folders after the suite:`);
  for (const p of left) console.log(`  ${p.pid} (cwd ${p.cwd}): ${p.cmd.slice(0, 200)}`);
}
// After the sweep nothing may be left.
const still = processesUsing([run]);
if (still.length) problems.push(`processes left after cleanup: ${still.map((p) => p.pid).join(', ')}`);
if (failedRun) problems.push(failedRun);

// Counts of the tests that did report when the suite did not finish.
const summary = printer.summary() ?? printer.partial();
if (problems.length) {
  for (const p of problems) console.log(`\nvscode in-host suite: FAILED (${p})`);
  if (!printer.ended() || failedRun) showLogs();
  summary.failures += problems.length;
}
if (opts.summary) writeFileSync(opts.summary, JSON.stringify(summary) + '\n');
if (opts.keep || (problems.length && process.env.CI !== 'true')) console.log(`\nlogs kept in ${run}`);
else rmSync(run, { recursive: true, force: true });
console.log(`[vscode ${since()}] ${summary.passes} passed, ${summary.failures} failed, ${summary.pending} pending`);
process.exitCode = summary.failures > 0 ? 1 : 0;
