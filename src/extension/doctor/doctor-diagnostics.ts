/**
 * The doctor's config findings in the editor: each check with a place in opsdeck.yaml (`at`)
 * becomes a diagnostic on that line (a warning, or an error for a failure; source `opsdeck
 * doctor`, code the check's id), in a collection of its own so that validation (config-
 * diagnostics.ts) and the doctor never clear each other's. A finding whose fix is a command gets
 * a quick fix that runs it in a terminal ("Run: kill 4242").
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import type { DoctorCheck, DoctorReport } from '../../core/contract';
import { CONFIG_FILE } from '../../core/host';
import { keyRange } from '../config-diagnostics';

export const DOCTOR_SOURCE = 'opsdeck doctor';

/** The check behind each diagnostic, for the quick fixes. */
const checkOf = new WeakMap<vscode.Diagnostic, DoctorCheck>();

export class DoctorDiagnostics implements vscode.Disposable, vscode.CodeActionProvider {
  private readonly collection = vscode.languages.createDiagnosticCollection('opsdeck-doctor');
  private readonly subscriptions: vscode.Disposable[] = [this.collection];

  constructor() {
    this.subscriptions.push(
      vscode.languages.registerCodeActionsProvider({ scheme: 'file', pattern: `**/${CONFIG_FILE}` }, this, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }),
      vscode.commands.registerCommand('opsdeck.doctor.runFix', (command: string) => {
        const terminal = vscode.window.createTerminal({ name: 'Opsdeck fix' });
        terminal.show();
        terminal.sendText(command, false); // typed, not run: the user presses Enter
      }),
    );
  }

  /** Show `report`'s config findings on the lines of its opsdeck.yaml (replacing the last ones). */
  async show(report: DoctorReport): Promise<vscode.Diagnostic[]> {
    const uri = vscode.Uri.file(path.join(report.dir, CONFIG_FILE));
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    const text = open ? open.getText() : await readFile(uri.fsPath, 'utf8').catch(() => '');
    const lines = text.split(/\r?\n/);
    const diagnostics = report.checks
      .filter((c) => c.at && c.status !== 'ok')
      .map((c) => {
        const d = new vscode.Diagnostic(keyRange(lines, c.at!.line, c.at!.column), `${c.title}: ${c.found}`, c.status === 'fail' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
        d.source = DOCTOR_SOURCE;
        d.code = c.id;
        if (c.fix) d.relatedInformation = [new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, d.range), `fix: ${c.fix.text}${c.fix.command ? ` ($ ${c.fix.command})` : ''}`)];
        checkOf.set(d, c);
        return d;
      });
    this.collection.set(uri, diagnostics);
    return diagnostics;
  }

  provideCodeActions(_doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    return context.diagnostics.flatMap((d) => {
      const c = d.source === DOCTOR_SOURCE ? checkOf.get(d) : undefined;
      if (!c?.fix?.command) return [];
      const action = new vscode.CodeAction(`Run: ${c.fix.command}`, vscode.CodeActionKind.QuickFix);
      action.diagnostics = [d];
      action.isPreferred = true;
      action.command = { command: 'opsdeck.doctor.runFix', title: action.title, arguments: [c.fix.command] };
      return [action];
    });
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }
}
