/**
 * opsdeck.yaml's problems in the editor: every opsdeck.yaml is validated in-process by the
 * engine's own loader (src/core/host `parseConfig`) on activation, when opened, saved, or edited
 * (debounced), and each ConfigIssue becomes a VS Code diagnostic: in the Problems panel, a squiggle
 * at its line:column, its hint as related information. Fixed problems are cleared. One short
 * notification ("opsdeck.yaml has N problems", Show Problems) per new set of problems found on
 * activation or save, never one per keystroke; the output channel logs them at error level.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import { isOpsError } from '../core/contract';
import { CONFIG_FILE, formatIssues, parseConfig, type ConfigIssue } from '../core/host';

/** Wait this long after the last keystroke before validating an edited document. */
const EDIT_DEBOUNCE_MS = 300;
/** What a problem's squiggle covers after its column: a key or a value, up to YAML punctuation. */
const TOKEN = /[^\s:,[\]{}#"']+|"[^"]*"?|'[^']*'?/y;

export interface ConfigDiagnosticsOptions {
  output: vscode.LogOutputChannel;
  /** The stack folder (its opsdeck.yaml is validated on activation), if any. */
  stackDir: () => string | undefined;
}

type Trigger = 'activation' | 'open' | 'save' | 'edit';

export class ConfigDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('opsdeck');
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly debounce = new Map<string, NodeJS.Timeout>();
  /** The problems last announced per file (notification and log), so the same ones are not announced again. */
  private readonly announced = new Map<string, string>();

  constructor(private readonly opts: ConfigDiagnosticsOptions) {
    this.subscriptions.push(
      this.collection,
      vscode.workspace.onDidOpenTextDocument((d) => this.check(d, 'open')),
      vscode.workspace.onDidSaveTextDocument((d) => this.check(d, 'save')),
      vscode.workspace.onDidChangeTextDocument((e) => this.edited(e.document)),
      // Closed without saving: what counts again is the file on disk.
      vscode.workspace.onDidCloseTextDocument((d) => isConfigFile(d.uri) && void this.validateFile(d.uri, 'open')),
    );
    for (const d of vscode.workspace.textDocuments) this.check(d, 'open');
    void this.validateStack();
  }

  /** Validate the stack's opsdeck.yaml (from its open document, else from disk), e.g. when the engine could not start. */
  async validateStack(trigger: Trigger = 'activation'): Promise<number> {
    const dir = this.opts.stackDir();
    if (!dir) return 0;
    return this.validateFile(vscode.Uri.file(path.join(dir, CONFIG_FILE)), trigger);
  }

  dispose(): void {
    for (const t of this.debounce.values()) clearTimeout(t);
    this.debounce.clear();
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }

  private check(doc: vscode.TextDocument, trigger: Trigger): void {
    if (!isConfigFile(doc.uri)) return;
    this.cancelDebounce(doc.uri);
    this.validate(doc.uri, doc.getText(), trigger);
  }

  private edited(doc: vscode.TextDocument): void {
    if (!isConfigFile(doc.uri)) return;
    this.cancelDebounce(doc.uri);
    this.debounce.set(
      doc.uri.toString(),
      setTimeout(() => {
        this.debounce.delete(doc.uri.toString());
        this.validate(doc.uri, doc.getText(), 'edit');
      }, EDIT_DEBOUNCE_MS),
    );
  }

  private cancelDebounce(uri: vscode.Uri): void {
    const key = uri.toString();
    clearTimeout(this.debounce.get(key));
    this.debounce.delete(key);
  }

  private async validateFile(uri: vscode.Uri, trigger: Trigger): Promise<number> {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open) return this.validate(uri, open.getText(), trigger);
    let text: string;
    try {
      text = await readFile(uri.fsPath, 'utf8');
    } catch {
      this.collection.delete(uri); // no file, no problems to show in it
      return 0;
    }
    return this.validate(uri, text, trigger);
  }

  /** Validate `text` as the content of `uri`, show its problems; returns how many. */
  private validate(uri: vscode.Uri, text: string, trigger: Trigger): number {
    const issues = issuesOf(uri.fsPath, () => parseConfig(text, uri.fsPath));
    const key = uri.toString();
    if (!issues.length) {
      this.collection.delete(uri);
      if (this.announced.delete(key)) this.opts.output.info(`${CONFIG_FILE}: no problems any more (${uri.fsPath})`);
      return 0;
    }
    const lines = text.split(/\r?\n/);
    this.collection.set(uri, issues.map((i) => toDiagnostic(uri, i, lines)));
    const signature = JSON.stringify(issues.map((i) => [i.line, i.column, i.message]));
    if (trigger !== 'edit' && this.announced.get(key) !== signature) {
      this.announced.set(key, signature);
      this.announce(issues);
    }
    return issues.length;
  }

  /** One short notification that leads to the Problems panel; the whole text in the output channel. */
  private announce(issues: ConfigIssue[]): void {
    const count = `${issues.length} problem${issues.length === 1 ? '' : 's'}`;
    this.opts.output.error(`${CONFIG_FILE} has ${count}:\n${formatIssues(issues)}`);
    void vscode.window.showWarningMessage(`${CONFIG_FILE} has ${count}.`, 'Show Problems').then((answer) => {
      if (answer === 'Show Problems') void vscode.commands.executeCommand('workbench.actions.view.problems');
    });
  }
}

export const isConfigFile = (uri: vscode.Uri) => uri.scheme === 'file' && path.basename(uri.fsPath) === CONFIG_FILE;

/** The ConfigIssues `load` throws (CONFIG_INVALID; any other error as one issue at 1:1), none when it loads. */
function issuesOf(file: string, load: () => unknown): ConfigIssue[] {
  try {
    load();
    return [];
  } catch (e) {
    const issues = isOpsError(e) ? (e.details as { issues?: ConfigIssue[] } | undefined)?.issues : undefined;
    if (issues) return issues;
    return [{ file, line: 1, column: 1, path: '', message: e instanceof Error ? e.message : String(e), hint: isOpsError(e) ? (e.hint ?? '') : '' }];
  }
}

/** The key or value at a 1-based line:column of opsdeck.yaml's `lines`, as the range a squiggle covers (also the doctor's findings: doctor/doctor-diagnostics.ts). */
export function keyRange(lines: readonly string[], line1: number, column1: number): vscode.Range {
  const line = Math.max(0, line1 - 1);
  const column = Math.max(0, column1 - 1);
  const text = lines[line] ?? '';
  TOKEN.lastIndex = column;
  const token = TOKEN.exec(text)?.[0] ?? '';
  const end = token ? column + token.length : Math.min(text.length, column + 1);
  return new vscode.Range(line, column, line, Math.max(end, column + (text.length > column ? 1 : 0)));
}

/** A ConfigIssue as a diagnostic: the key or value at its line:column underlined, the hint as related information. */
function toDiagnostic(uri: vscode.Uri, issue: ConfigIssue, lines: string[]): vscode.Diagnostic {
  const range = keyRange(lines, issue.line, issue.column);
  const diagnostic = new vscode.Diagnostic(range, issue.path ? `${issue.path}: ${issue.message}` : issue.message, vscode.DiagnosticSeverity.Error);
  diagnostic.source = 'opsdeck';
  if (issue.hint) diagnostic.relatedInformation = [new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, range), `hint: ${issue.hint}`)];
  return diagnostic;
}
