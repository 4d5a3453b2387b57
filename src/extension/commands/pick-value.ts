/** A QuickPick of values: the chosen item's value, or a cancellation when the pick is dismissed. */
import * as vscode from 'vscode';

export async function pickValue<T>(items: (vscode.QuickPickItem & { value: T })[], placeHolder: string): Promise<T> {
  const chosen = await vscode.window.showQuickPick(items, { placeHolder, ignoreFocusOut: true });
  if (!chosen) throw new vscode.CancellationError();
  return chosen.value;
}
