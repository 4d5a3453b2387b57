/**
 * Applying a changed opsdeck.yaml from the editor. When the stack's file is saved (or changed on
 * disk) while an engine is connected, the engine's `reload` dry run says what would change; an
 * empty plan is applied at once (the engine then knows the file: new services are listed), any
 * other is offered in one notification listing the services added, removed and restarted and why,
 * with "Apply" / "Not now". Apply reloads the engine, embedded or not, without a window reload.
 * The command `opsdeck.applyConfig` applies without asking. A file with errors is never applied:
 * its problems are in the Problems panel (config-diagnostics.ts).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import { isOpsError, type PlanResult, type PlanStep } from '../core/contract';
import { CONFIG_FILE } from '../core/host';
import type { EngineConnection } from './engine-connection';

export const APPLY_CONFIG_COMMAND = 'opsdeck.applyConfig';
export type ConfigAnswer = 'Apply' | 'Not now';

export interface ConfigApplyOptions {
  connection: EngineConnection;
  output: vscode.LogOutputChannel;
  /** Show the file's problems again (the engine refused it): their count. */
  showProblems: () => Promise<number>;
}

/** A plan step in a few words: `restart api (env changed)`, `start worker (added)`, `stop web (removed)`. */
export function describeStep(step: PlanStep): string {
  const why = step.reason
    .replace(/^changed in opsdeck\.yaml: (.*)$/, '$1 changed')
    .replace(/^added to opsdeck\.yaml$/, 'added')
    .replace(/^removed from opsdeck\.yaml$/, 'removed');
  return `${step.action} ${step.service} (${why})`;
}

export class ConfigApply implements vscode.Disposable {
  /** Answers the prompt instead of a user (the in-host tests, through test-api.ts). */
  autoAnswer: ((message: string) => ConfigAnswer | undefined) | undefined;
  /** Every prompt shown so far, oldest first (the test API). */
  readonly prompts: string[] = [];
  private readonly subscriptions: vscode.Disposable[];
  /** The file's text last offered (or applied): the same text is not offered twice. */
  private offeredText: string | undefined;
  private offering: Promise<void> | undefined;
  private offerAgain = false;

  constructor(private readonly opts: ConfigApplyOptions) {
    this.subscriptions = [
      vscode.commands.registerCommand(APPLY_CONFIG_COMMAND, () => this.applyCommand()),
      vscode.workspace.onDidSaveTextDocument((d) => {
        if (this.isStackFile(d.uri)) this.fileChanged();
      }),
    ];
  }

  /** The stack's opsdeck.yaml changed on disk (saved here or elsewhere): offer what it changes. */
  fileChanged(): void {
    if (this.offering) {
      this.offerAgain = true;
      return;
    }
    this.offering = (async () => {
      do {
        this.offerAgain = false;
        await this.offer().catch((e: unknown) => this.opts.output.warn(`${CONFIG_FILE} changed: ${(e as Error).message}`));
      } while (this.offerAgain);
    })().finally(() => (this.offering = undefined));
  }

  /** Resolves when no offer is in progress (tests). */
  async settled(): Promise<void> {
    while (this.offering) await this.offering;
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }

  private isStackFile(uri: vscode.Uri): boolean {
    const dir = this.opts.connection.stackDir;
    return uri.scheme === 'file' && dir !== undefined && uri.fsPath === path.join(dir, CONFIG_FILE);
  }

  private async offer(): Promise<void> {
    const { connection, output } = this.opts;
    const client = connection.client;
    const dir = connection.stackDir;
    if (!client || !dir) return; // no engine: the next one reads the file as it is
    const text = await readFile(path.join(dir, CONFIG_FILE), 'utf8').catch(() => undefined);
    if (text === undefined || text === this.offeredText) return;
    this.offeredText = text;
    let dry: PlanResult;
    try {
      dry = await client.reload(true);
    } catch (e) {
      return this.refused(e);
    }
    if (!dry.plan.length) {
      await client.reload(false);
      output.info(`${CONFIG_FILE} changed; reloaded by the engine (nothing to start, stop or restart)`);
      await connection.refresh();
      return;
    }
    const message = `${CONFIG_FILE} changed: ${dry.plan.map(describeStep).join(', ')}.`;
    output.info(`${message} Waiting for Apply.`);
    this.prompts.push(message);
    const answer = this.autoAnswer ? this.autoAnswer(message) : await vscode.window.showInformationMessage(message, 'Apply', 'Not now');
    if (answer !== 'Apply') {
      output.info(`${CONFIG_FILE}: not applied now (Opsdeck: Apply opsdeck.yaml Changes applies it)`);
      return;
    }
    await this.apply().catch((e: unknown) => this.refused(e));
  }

  /** The command: reload now, whatever the plan. */
  private async applyCommand(): Promise<PlanResult | undefined> {
    try {
      return await this.apply();
    } catch (e) {
      await this.refused(e, { asked: true });
      return undefined;
    }
  }

  private async apply(): Promise<PlanResult> {
    const { connection, output } = this.opts;
    const client = connection.requireClient();
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Opsdeck: applying ${CONFIG_FILE}` }, () => client.reload(false));
    output.info(result.plan.length ? `${CONFIG_FILE} applied: ${result.plan.map(describeStep).join(', ')}` : `${CONFIG_FILE} applied: nothing to start, stop or restart`);
    if (connection.stackDir) this.offeredText = await readFile(path.join(connection.stackDir, CONFIG_FILE), 'utf8').catch(() => undefined);
    await connection.refresh();
    return result;
  }

  /** The engine did not take the file: its problems (CONFIG_INVALID) are diagnostics; anything else is said once. */
  private async refused(e: unknown, opts: { asked?: boolean } = {}): Promise<void> {
    const { output } = this.opts;
    if (isOpsError(e) && e.code === 'CONFIG_INVALID') {
      const count = await this.opts.showProblems();
      const problems = `${count || 'some'} problem${count === 1 ? '' : 's'}`;
      output.error(`${CONFIG_FILE} not applied: it has ${problems} (see Problems)`);
      // Saved with problems: the diagnostics announced them. Asked for by the command: answer it.
      if (opts.asked) {
        void vscode.window.showErrorMessage(`Opsdeck: ${CONFIG_FILE} has ${problems}; nothing was applied.`, 'Show Problems').then((pick) => {
          if (pick) void vscode.commands.executeCommand('workbench.actions.view.problems');
        });
      }
      return;
    }
    if (isOpsError(e) && e.code === 'NOT_FOUND') {
      output.info(`${CONFIG_FILE} changed; this engine cannot reload it (an older Opsdeck): it applies it when it starts again`);
      return;
    }
    const message = e instanceof Error ? e.message : String(e);
    output.error(`${CONFIG_FILE} not applied: ${message}`);
    void vscode.window.showErrorMessage(`Opsdeck: ${CONFIG_FILE} not applied: ${message}`, 'Show Engine Output').then((pick) => {
      if (pick) void vscode.commands.executeCommand('opsdeck.showEngineOutput');
    });
  }
}
