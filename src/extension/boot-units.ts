/**
 * The stack's start-at-login units as the extension sees them: `opsdeck units …` run with the
 * extension's own CLI (dist/cli.js, on VS Code's Node: ELECTRON_RUN_AS_NODE), answering JSON;
 * the status read when the stack is opened and after an install, into the StackStore (shown in
 * the Services view's message and the status bar tooltip).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import type { UnitsStatus } from '../core/contract';
import type { StackStore, UnitsSummary } from './state/stack-store';

/** One line for the views: `Starts at login (systemd, engine mode)`, with a drift warning. */
export function unitsLine(u: UnitsSummary): string {
  const what = `Starts at login (${u.target}, ${u.mode} mode)`;
  return u.drifted ? `${what}, but its units differ from opsdeck.yaml: run "Opsdeck: Start at Login / Boot…" to update them.` : `${what}.`;
}

export class BootUnits {
  constructor(
    private readonly extensionPath: string,
    private readonly stackDir: () => string | undefined,
    private readonly store: StackStore,
    private readonly log: (line: string) => void,
  ) {}

  /** `opsdeck --stack DIR units ARGS… --json`: its JSON answer, or its error (message and hint). */
  run<T>(args: string[]): Promise<T> {
    return this.runCli<T>(['units', ...args]);
  }

  /** `opsdeck --stack DIR ARGS… --json` (any command that answers JSON, e.g. `export`). */
  runCli<T>(args: string[]): Promise<T> {
    const dir = this.stackDir();
    if (!dir) return Promise.reject(new Error('no opsdeck.yaml is open: create or open a stack first'));
    const cli = path.join(this.extensionPath, 'dist', 'cli.js');
    return new Promise((resolve, reject) =>
      execFile(process.execPath, [cli, '--stack', dir, ...args, '--json'], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, timeout: 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        let answer: { ok?: boolean; error?: { message: string; hint: string | null } } | undefined;
        try {
          answer = JSON.parse(stdout) as typeof answer;
        } catch {
          answer = undefined;
        }
        if (answer?.ok === false && answer.error) return reject(new Error(answer.error.hint ? `${answer.error.message} (${answer.error.hint})` : answer.error.message));
        if (!answer) return reject(new Error(stderr.trim() || err?.message || `opsdeck ${args[0]} gave no answer`));
        resolve(answer as T);
      }),
    );
  }

  /** Read the units' status into the store (a failure is logged, not shown: the status is a detail). */
  async refresh(): Promise<UnitsStatus | undefined> {
    try {
      const s = await this.run<UnitsStatus>(['status']);
      this.store.setUnits({ target: s.target, mode: s.mode, installed: s.installed, drifted: s.drifted });
      return s;
    } catch (e) {
      this.log(`boot units: ${(e as Error).message}`);
      this.store.setUnits(undefined);
      return undefined;
    }
  }
}
