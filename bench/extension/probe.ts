/**
 * Runs inside VS Code's extension host during the activation runs of bench/extension/extension.ts:
 * the `extensionTestsPath` module (bundled to CommonJS with `vscode` external). It does not
 * activate anything itself: it waits until the extension under measurement (id in
 * $OPSDECK_BENCH_EXTENSION) has been activated by its own activation event
 * (`workspaceContains:**\/opsdeck.yaml`), then waits for the first status bar show with real data
 * and appends the extension's activation timings (its test API's `timings()`) as one JSON line to
 * $OPSDECK_BENCH_REPORT. Then it stays pending, so the extension host stays as it is until the
 * bench stops code-server.
 */
import { appendFileSync } from 'node:fs';
import * as vscode from 'vscode';

interface Timings {
  timeOrigin: number;
  activateStartMs?: number;
  activateEndMs?: number;
  statusBarFirstShownMs?: number;
  statusBarShownMs?: number;
  statusBarText?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function run(): Promise<void> {
  const report = process.env.OPSDECK_BENCH_REPORT;
  const id = process.env.OPSDECK_BENCH_EXTENSION;
  if (!report || !id) throw new Error('OPSDECK_BENCH_REPORT and OPSDECK_BENCH_EXTENSION must be set');
  const write = (o: object) => appendFileSync(report, `${JSON.stringify(o)}\n`);
  write({ type: 'probe', pid: process.pid, probeStartMs: performance.now(), timeOrigin: performance.timeOrigin, vscode: vscode.version, node: process.version });
  try {
    const deadline = Date.now() + 90_000;
    let ext: vscode.Extension<{ timings(): Timings }> | undefined;
    // Polled (20 ms) rather than activated: the extension must come up by its own activation event.
    while (!(ext = vscode.extensions.getExtension(id))?.isActive) {
      if (Date.now() > deadline) throw new Error(`${id} was not activated within 90 s (installed: ${ext ? 'yes' : 'no'})`);
      await sleep(20);
    }
    let t: Timings;
    while ((t = ext.exports.timings()).statusBarShownMs === undefined) {
      if (Date.now() > deadline) throw new Error(`${id} did not show its status bar item with real data within 90 s: ${JSON.stringify(t)}`);
      await sleep(20);
    }
    write({ type: 'timings', pid: process.pid, ...t });
  } catch (e) {
    write({ type: 'error', message: (e as Error).message });
  }
  await new Promise(() => undefined);
}
