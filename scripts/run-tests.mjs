#!/usr/bin/env node
/**
 * `npm test`: every check and every test suite, then one summary.
 *
 *   node scripts/run-tests.mjs              everything, the system set-up first
 *   node scripts/run-tests.mjs unit lint    only the named steps and suites
 *   node scripts/run-tests.mjs --no-setup   everything but the system set-up (also:
 *                                           OPSDECK_SKIP_SYSTEM_SETUP=1)
 *
 * The first step, `setup`, is scripts/setup-system.mjs: it installs the system packages and
 * code-server the suites need when they are missing (apt-get as root, or `sudo -n`), or says
 * the exact command to run (docs/testing.md). Steps (setup, typecheck, lint, cycles, build, schema)
 * count as one passed or one failed each; mocha suites count their tests. Everything runs even
 * after a failure, so one run shows all problems. The last line printed is always
 * `N passed, N failed`; the exit code is 1 if anything failed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Test suites: a folder of `*.test.ts` files run by mocha. Add new suites here. A suite with
 * `cmd` runs that command instead of mocha; it gets `--summary FILE` and must write the counts
 * there in the summary reporter's format ({passes, failures, pending, tests}).
 */
const SUITES = [
  { name: 'unit', dir: 'test/unit', mocha: ['test/unit/**/*.test.ts'], timeoutMin: 15 },
  { name: 'integration', dir: 'test/integration', mocha: ['test/integration/**/*.test.ts'], timeoutMin: 30 },
  // In-host suite: mocha inside VS Code's extension host, under code-server (docs/testing.md).
  { name: 'vscode', dir: 'test/vscode', cmd: [process.execPath, 'scripts/vscode/run-in-host-tests.mjs'], timeoutMin: 15 },
  // UI e2e: playwright-core and Debian's chromium driving code-server's workbench.
  { name: 'e2e', dir: 'test/e2e', mocha: ['test/e2e/**/*.test.ts'], timeoutMin: 15 },
  // Real boots: Debian machines booted with systemd-nspawn, as root (docs/testing.md); the first
  // run builds their root file system with debootstrap (minutes, then cached outside the repo).
  { name: 'boot', dir: 'test/boot', mocha: ['test/boot/**/*.test.ts'], timeoutMin: 30 },
];

const argv = process.argv.slice(2);
/** Why the system set-up is skipped, if it is (docs/testing.md). */
const skipSetup = argv.includes('--no-setup')
  ? '--no-setup'
  : process.env.OPSDECK_SKIP_SYSTEM_SETUP && process.env.OPSDECK_SKIP_SYSTEM_SETUP !== '0'
    ? `OPSDECK_SKIP_SYSTEM_SETUP=${process.env.OPSDECK_SKIP_SYSTEM_SETUP}`
    : undefined;

/** Checks that run before the suites; `when` returns a reason to skip, or nothing. */
const STEPS = [
  // The system packages and code-server the suites need (scripts/setup-system.mjs).
  {
    name: 'setup',
    cmd: [process.execPath, 'scripts/setup-system.mjs'],
    when: () => skipSetup && `${skipSetup} (the suites that need the system packages fail without them)`,
    hint: 'the `setup` step failed: its output above says what to install and how (scripts/setup-system.mjs); ' +
      'OPSDECK_SKIP_SYSTEM_SETUP=1 npm test (or --no-setup) skips it',
  },
  { name: 'typecheck', cmd: ['npm', 'run', '--silent', 'typecheck'] },
  { name: 'lint', cmd: ['npm', 'run', '--silent', 'lint'] },
  // No import circle under src/, type-only imports included (docs/architecture.md).
  { name: 'cycles', cmd: [process.execPath, binOf('tsx'), 'scripts/check-import-cycles.ts'] },
  { name: 'build', cmd: ['npm', 'run', '--silent', 'build'] },
  {
    name: 'schema',
    cmd: [process.execPath, binOf('tsx'), 'scripts/gen-schema.ts', '--check'],
    when: () => (existsSync(path.join(ROOT, 'scripts/gen-schema.ts')) ? undefined : 'scripts/gen-schema.ts does not exist yet'),
  },
  { name: 'openapi', cmd: [process.execPath, binOf('tsx'), 'scripts/gen-openapi.ts', '--check'] },
  // docs/api.md's reference part, from docs/openapi.json and the recorded docs/api-examples.json.
  { name: 'api-docs', cmd: [process.execPath, binOf('tsx'), 'scripts/gen-api-docs.ts', '--check'] },
];

/** After mocha reports its last test, how long it may take to exit before we call it a leak. */
const EXIT_GRACE_MS = 30_000;

const REPORTER = path.join(ROOT, 'scripts/mocha-summary-reporter.cjs');

/** The JavaScript file of a dev dependency's executable, run with this Node. */
function binOf(pkg, name = pkg) {
  const dir = path.join(ROOT, 'node_modules', pkg);
  const { bin } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  return path.join(dir, typeof bin === 'string' ? bin : bin[name]);
}

function hasTestFiles(dir) {
  const abs = path.join(ROOT, dir);
  if (!existsSync(abs)) return false;
  return readdirSync(abs, { recursive: true }).some((f) => String(f).endsWith('.test.ts'));
}

const children = new Set();

/**
 * Runs a command with inherited stdio in its own process group. Resolves with its exit code
 * (or a description of how it was stopped). `watch` may kill it early by returning a reason.
 */
function run(cmd, { timeoutMs, watch } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd[0], cmd.slice(1), { cwd: ROOT, stdio: 'inherit', detached: true });
    children.add(child);
    let stopped;
    const kill = (reason) => {
      if (stopped) return;
      stopped = reason;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timers = [];
    if (timeoutMs) timers.push(setTimeout(() => kill(`timed out after ${Math.round(timeoutMs / 60000)} min`), timeoutMs));
    if (watch) timers.push(setInterval(() => { const r = watch(); if (r) kill(r); }, 500));
    child.on('error', (err) => {
      stopped ??= `could not start: ${err.message}`;
    });
    child.on('close', (code, signal) => {
      timers.forEach((t) => clearTimeout(t));
      children.delete(child);
      resolve({ code: code ?? 1, stopped: stopped ?? (signal ? `killed by ${signal}` : undefined) });
    });
  });
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const c of children) {
      try {
        process.kill(-c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    process.exit(130);
  });
}

/** A command line as a person would type it: `node` for this Node, paths relative to the repo. */
function show(cmd) {
  return cmd.map((a) => (a === process.execPath ? 'node' : a.startsWith(ROOT + path.sep) ? path.relative(ROOT, a) : a)).join(' ');
}

function header(title) {
  console.log(`\n=== ${title} ${'='.repeat(Math.max(3, 72 - title.length))}`);
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)}s`;

async function runStep(step) {
  const skip = step.when?.();
  header(`${step.name}: ${show(step.cmd)}`);
  if (skip) {
    console.log(`skipped: ${skip}`);
    return { name: step.name, result: 'skipped', passed: 0, failed: 0, pending: 0, ms: 0 };
  }
  const t0 = Date.now();
  const { code, stopped } = await run(step.cmd, { timeoutMs: 15 * 60_000 });
  const ok = code === 0 && !stopped;
  if (!ok) console.log(`\n${step.name} FAILED${stopped ? ` (${stopped})` : ` (exit ${code})`}`);
  return { name: step.name, result: ok ? 'ok' : 'FAILED', passed: ok ? 1 : 0, failed: ok ? 0 : 1, pending: 0, ms: Date.now() - t0 };
}

async function runSuite(suite, tmp) {
  header(`${suite.name} tests: ${suite.cmd ? show(suite.cmd) : `mocha ${suite.mocha.join(' ')}`}`);
  if (!hasTestFiles(suite.dir)) {
    console.log(`skipped: no *.test.ts files in ${suite.dir}`);
    return { name: suite.name, result: 'skipped', passed: 0, failed: 0, pending: 0, ms: 0 };
  }
  const summaryFile = path.join(tmp, `${suite.name}.json`);
  let doneAt;
  const watch = () => {
    if (doneAt === undefined && existsSync(summaryFile)) doneAt = Date.now();
    if (doneAt !== undefined && Date.now() - doneAt > EXIT_GRACE_MS)
      return `mocha did not exit ${EXIT_GRACE_MS / 1000}s after its last test: a test left a process, server or timer running`;
    return undefined;
  };
  const t0 = Date.now();
  const cmd = suite.cmd
    ? [...suite.cmd, '--summary', summaryFile]
    : [
        process.execPath,
        binOf('mocha'),
        '--config', '.mocharc.json',
        '--forbid-only',
        '--reporter', REPORTER,
        '--reporter-option', `summary=${summaryFile}`,
        ...suite.mocha,
      ];
  const { code, stopped } = await run(cmd, { timeoutMs: suite.timeoutMin * 60_000, watch });
  const ms = Date.now() - t0;
  let counts;
  try {
    counts = JSON.parse(readFileSync(summaryFile, 'utf8'));
  } catch {
    counts = undefined;
  }
  let passed = counts?.passes ?? 0;
  let failed = counts?.failures ?? 0;
  const notes = [];
  if (!counts) {
    // Mocha stopped before reporting (a test file failed to load, a crash, a timeout).
    failed += 1;
    notes.push(stopped ?? `mocha exited with ${code} before running the tests`);
  } else if (stopped) {
    failed += 1;
    notes.push(stopped);
  } else if (code !== 0 && failed === 0) {
    failed += 1;
    notes.push(`mocha exited with ${code} although no test failed`);
  }
  for (const n of notes) console.log(`\n${suite.name}: FAILED (${n})`);
  return { name: suite.name, result: failed ? 'FAILED' : 'ok', passed, failed, pending: counts?.pending ?? 0, ms };
}

function table(rows) {
  const cols = ['name', 'result', 'passed', 'failed', 'pending', 'time'];
  const cells = rows.map((r) => [r.name, r.result, String(r.passed), String(r.failed), String(r.pending), r.result === 'skipped' ? '-' : seconds(r.ms)]);
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (row) => row.map((v, i) => (i < 2 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  console.log(line(cols));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of cells) console.log(line(row));
}

const only = new Set(argv.filter((a) => a !== '--no-setup'));
const known = new Set([...STEPS, ...SUITES].map((s) => s.name));
for (const name of only) {
  if (!known.has(name)) {
    console.error(`error: unknown step or suite "${name}"\nhint: choose from ${[...known].join(', ')} (and --no-setup)`);
    console.log('0 passed, 1 failed');
    process.exit(2);
  }
}
const selected = (s) => only.size === 0 || only.has(s.name);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-tests-'));
const rows = [];
const t0 = Date.now();
try {
  for (const step of STEPS.filter(selected)) rows.push(await runStep(step));
  for (const suite of SUITES.filter(selected)) rows.push(await runSuite(suite, tmp));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const passed = rows.reduce((n, r) => n + r.passed, 0);
const failed = rows.reduce((n, r) => n + r.failed, 0);
header(`summary (${seconds(Date.now() - t0)})`);
table(rows);
for (const step of STEPS) if (step.hint && rows.some((r) => r.name === step.name && r.result === 'FAILED')) console.log(`\n${step.hint}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
