/**
 * The in-host suite's runner: the module VS Code loads from `extensionTestsPath` and whose
 * `run()` it calls in the extension host, under code-server (scripts/vscode/run-in-host-tests.mjs)
 * and under desktop VS Code with @vscode/test-electron (scripts/vscode/run-electron-tests.mjs).
 *
 * scripts/vscode/lib.mjs bundles this file, mocha and every test/vscode/**\/*.test.ts into one
 * CommonJS file; the test files come from the virtual module `opsdeck:in-host-tests` and are
 * loaded only once mocha's globals (describe, it, ...) exist.
 *
 * Results leave the extension host as one JSON event per line (NDJSON) appended to
 * $OPSDECK_TEST_REPORT (default: report.ndjson next to the bundle), which the runner follows
 * and prints like mocha's spec reporter; every line is also written to the extension host's
 * console (its log). Env: OPSDECK_TEST_GREP (only matching tests), OPSDECK_TEST_TIMEOUT_MS.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import { testFiles } from 'opsdeck:in-host-tests';

type ReportEvent = Record<string, unknown> & { type: string };

const reportFile = process.env.OPSDECK_TEST_REPORT || path.join(__dirname, 'report.ndjson');

function emit(e: ReportEvent): void {
  try {
    appendFileSync(reportFile, JSON.stringify(e) + '\n');
  } catch (err) {
    console.error(`[opsdeck tests] cannot write ${reportFile}: ${String(err)}`);
  }
}

/** Depth of a runnable below the root suite (root suite = 0, its child suites = 1, ...). */
function depthOf(r: Mocha.Runnable | Mocha.Suite): number {
  let d = 0;
  for (let p = r.parent; p && !p.root; p = p.parent) d++;
  return d;
}

function errorInfo(err: unknown): { message: string; stack: string; diff?: string } {
  const e = err as { message?: unknown; stack?: unknown; actual?: unknown; expected?: unknown; generatedMessage?: boolean } | undefined;
  const message = String(e?.message ?? err);
  const stack = typeof e?.stack === 'string' ? e.stack : message;
  let diff: string | undefined;
  // node:assert puts a diff in the messages it writes; with a message of the test's own, show
  // what was compared.
  const compared = e && 'expected' in e && 'actual' in e;
  const okCall = (e as { operator?: string } | undefined)?.operator === '==' && e?.expected === true;
  if (compared && e.generatedMessage === false && !okCall && !/\+ actual - expected/.test(message)) {
    diff = `actual:   ${inspect(e.actual, { depth: 4, breakLength: 120 })}\nexpected: ${inspect(e.expected, { depth: 4, breakLength: 120 })}`;
  }
  return { message, stack, diff };
}

/** A mocha reporter that emits NDJSON events and mirrors them, readable, to the console. */
class InHostReporter extends Mocha.reporters.Base {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    const C = Mocha.Runner.constants;
    const log = (s: string) => console.log(`[opsdeck tests] ${s}`);
    runner.on(C.EVENT_SUITE_BEGIN, (s: Mocha.Suite) => {
      if (s.root || !s.title) return;
      emit({ type: 'suite', title: s.title, depth: depthOf(s) });
      log(s.fullTitle());
    });
    runner.on(C.EVENT_TEST_PASS, (t: Mocha.Test) => {
      emit({ type: 'pass', title: t.title, fullTitle: t.fullTitle(), depth: depthOf(t), duration: t.duration ?? 0, slow: t.slow() });
      log(`  ✔ ${t.title} (${t.duration ?? 0}ms)`);
    });
    runner.on(C.EVENT_TEST_PENDING, (t: Mocha.Test) => {
      emit({ type: 'pending', title: t.title, fullTitle: t.fullTitle(), depth: depthOf(t) });
      log(`  - ${t.title}`);
    });
    runner.on(C.EVENT_TEST_FAIL, (t: Mocha.Test, err: unknown) => {
      const info = errorInfo(err);
      emit({ type: 'fail', title: t.title, fullTitle: t.fullTitle(), depth: depthOf(t), err: info });
      log(`  ✘ ${t.fullTitle()}: ${info.stack}`);
    });
    runner.once(C.EVENT_RUN_END, () => {
      const s = this.stats;
      const stats = { passes: s.passes, failures: s.failures, pending: s.pending, tests: s.tests, duration: s.duration ?? 0 };
      emit({ type: 'end', stats });
      log(`${stats.passes} passing, ${stats.failures} failing, ${stats.pending} pending`);
    });
  }
}

/** Called by VS Code in the extension host; rejects when a test failed. */
export async function run(): Promise<void> {
  // Stack traces point into the .ts files (the bundle has a linked source map).
  process.setSourceMapsEnabled?.(true);
  writeFileSync(reportFile, '');
  const mocha = new Mocha({
    ui: 'bdd',
    timeout: Number(process.env.OPSDECK_TEST_TIMEOUT_MS) || 60_000,
    color: false,
    forbidOnly: true, // as scripts/run-tests.mjs runs mocha
    reporter: InHostReporter as unknown as Mocha.ReporterConstructor,
  });
  if (process.env.OPSDECK_TEST_GREP) mocha.grep(process.env.OPSDECK_TEST_GREP);
  // What `mocha.addFile` + `loadFiles` do, for modules that are already bundled: give each file
  // the bdd globals, then evaluate it.
  for (const f of testFiles) {
    mocha.suite.emit(Mocha.Suite.constants.EVENT_FILE_PRE_REQUIRE, globalThis, f.file, mocha);
    try {
      f.load();
    } catch (err) {
      // A test file that throws while loading is a failure the report must show, not a hang.
      mocha.suite.addTest(
        new Mocha.Test(`loads ${f.file}`, () => {
          throw err;
        }),
      );
    }
    mocha.suite.emit(Mocha.Suite.constants.EVENT_FILE_REQUIRE, {}, f.file, mocha);
    mocha.suite.emit(Mocha.Suite.constants.EVENT_FILE_POST_REQUIRE, globalThis, f.file, mocha);
  }
  emit({ type: 'start', total: mocha.suite.total(), vscode: vscode.version, node: process.versions.node, files: testFiles.map((f) => f.file) });
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures > 0) throw new Error(`${failures} in-host test(s) failed`);
}
