/** The progress notification long commands show while they work (cancellable when asked). */
import * as vscode from 'vscode';

export type ProgressSink = vscode.Progress<{ message?: string; increment?: number }>;

export function withProgress<T>(title: string, work: (p: ProgressSink, token: vscode.CancellationToken) => Promise<T>, cancellable = false): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Opsdeck: ${title}`, cancellable }, work);
}
