#!/usr/bin/env node
/**
 * Runs the in-host suite (test/vscode/**\/*.test.ts, the same files and runner index as
 * run-in-host-tests.mjs) in a desktop VS Code with @vscode/test-electron: for a developer's
 * machine, where VS Code is installed or can be downloaded.
 *
 *   VSCODE_EXECUTABLE_PATH=/usr/share/code/code node scripts/vscode/run-electron-tests.mjs
 *   node scripts/vscode/run-electron-tests.mjs --download [--vscode-version 1.100.3]
 *
 *   options: [--grep RE] [--no-build] [--keep] [--summary FILE]
 *
 * VSCODE_EXECUTABLE_PATH is the VS Code executable (`code` on Linux,
 * `.../Visual Studio Code.app/Contents/MacOS/Electron` on macOS, `Code.exe` on Windows).
 * Without it, --download lets @vscode/test-electron download VS Code from Microsoft's update
 * server into the cache folder (not reachable on the CI machines: they use code-server, see
 * docs/testing.md). On Linux without a display, run it under `xvfb-run -a`.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  buildExtension,
  bundleInHostTests,
  createReportPrinter,
  followNdjson,
  killProcessesUsing,
  parseArgs,
  prepareWorkspace,
  processesUsing,
  ROOT,
  stackRemapper,
  writeUserSettings,
} from './lib.mjs';

const USAGE =
  'usage: VSCODE_EXECUTABLE_PATH=... node scripts/vscode/run-electron-tests.mjs [--grep RE] [--no-build] [--keep] [--summary FILE]\n' +
  '       node scripts/vscode/run-electron-tests.mjs --download [--vscode-version VERSION] [...]';
const opts = parseArgs(
  process.argv.slice(2),
  { grep: 'value', 'no-build': 'flag', keep: 'flag', summary: 'value', download: 'flag', 'vscode-version': 'value', help: 'flag' },
  USAGE,
);
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}

const executable = process.env.VSCODE_EXECUTABLE_PATH;
if (!executable && !opts.download) {
  console.error(
    'error: no desktop VS Code: set VSCODE_EXECUTABLE_PATH to its executable, or pass --download\n' +
      'hint: on machines without one (CI), run the same suite under code-server: node scripts/vscode/run-in-host-tests.mjs',
  );
  if (opts.summary) writeFileSync(opts.summary, JSON.stringify({ passes: 0, failures: 1, pending: 0, tests: 0 }) + '\n');
  process.exit(2);
}
if (executable && !existsSync(executable)) {
  console.error(`error: VSCODE_EXECUTABLE_PATH=${executable} does not exist`);
  process.exit(2);
}

const t0 = Date.now();
const step = (m) => console.log(`[vscode-electron ${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
const run = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-vscode-electron-'));
const report = path.join(run, 'report.ndjson');
let printer = createReportPrinter();
const problems = [];

async function main() {
  const { runTests } = await import('@vscode/test-electron');
  if (!opts['no-build']) {
    step('npm run build');
    buildExtension();
  }
  const bundle = await bundleInHostTests(path.join(run, 'tests'));
  printer = createReportPrinter({ remap: stackRemapper(bundle.index) });
  step(`bundled ${bundle.files.length} test files`);
  const workspace = await prepareWorkspace({ parent: run });
  step(`workspace ${workspace.dir}`);
  const userData = path.join(run, 'user-data');
  writeUserSettings(userData);

  const poll = followNdjson(report, (e) => printer.onEvent(e));
  const timer = setInterval(poll, 250);
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  // @vscode/test-electron adds --no-sandbox, --skip-welcome, --skip-release-notes,
  // --disable-workspace-trust and --disable-updates itself.
  const launchArgs = [
    workspace.dir,
    '--user-data-dir', userData,
    '--extensions-dir', path.join(run, 'extensions'),
    '--disable-extensions', // other installed extensions; the one under development still loads
    '--disable-gpu',
  ];
  try {
    await runTests({
      ...(executable ? { vscodeExecutablePath: executable } : { version: opts['vscode-version'] || 'stable', cachePath: path.join(cache, 'opsdeck-test', 'vscode-desktop') }),
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: bundle.index,
      extensionTestsEnv: { OPSDECK_TEST_REPORT: report, ...(opts.grep ? { OPSDECK_TEST_GREP: opts.grep } : {}) },
      launchArgs,
    });
  } catch (e) {
    // A failing test makes VS Code exit non-zero; the report says which. Anything else is ours.
    if (!printer.ended()) throw e;
  } finally {
    clearInterval(timer);
    poll();
  }
  if (!printer.ended()) throw new Error('VS Code exited before the suite reported its end');
}

try {
  await main();
} catch (e) {
  problems.push(e instanceof Error ? e.message : String(e));
}
const left = await killProcessesUsing([run]);
if (left.length) console.log(`\nkilled ${left.length} process(es) still running in the run's folders after the suite`);
if (processesUsing([run]).length) problems.push('processes left after cleanup');

const summary = printer.summary() ?? printer.partial();
for (const p of problems) console.log(`\nvscode (electron): FAILED (${p})`);
summary.failures += problems.length;
if (opts.summary) writeFileSync(opts.summary, JSON.stringify(summary) + '\n');
if (opts.keep) console.log(`kept ${run}`);
else rmSync(run, { recursive: true, force: true });
console.log(`${summary.passes} passed, ${summary.failures} failed, ${summary.pending} pending`);
process.exitCode = summary.failures > 0 ? 1 : 0;
