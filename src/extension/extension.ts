/**
 * Entry point of the VS Code extension. For now a placeholder that proves the bundle loads in
 * the extension host; the status bar, commands, services tree and sidebar come in later issues.
 */
import * as vscode from 'vscode';

let output: vscode.OutputChannel | undefined;

export function activate(context: vscode.ExtensionContext): void {
  output = vscode.window.createOutputChannel('Opsdeck');
  context.subscriptions.push(output);
  output.appendLine(`Opsdeck ${String(context.extension.packageJSON.version ?? '')} activated`.trimEnd());
}

export function deactivate(): void {
  output = undefined;
}
