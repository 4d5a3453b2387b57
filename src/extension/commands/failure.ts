/**
 * How a command's failure is shown: logged to the Opsdeck output, and an error message with an
 * action (Show Logs for a service, else Show Engine Output). A cancelled command is no failure.
 */
import * as vscode from 'vscode';
import { isOpsError } from '../../core/contract';

export async function showFailure(output: vscode.LogOutputChannel, e: unknown, service: string | undefined): Promise<void> {
  const message = e instanceof Error ? e.message : String(e);
  const hint = isOpsError(e) ? e.hint : (e as { hint?: string } | undefined)?.hint;
  output.error(`${message}${hint ? ` (hint: ${hint})` : ''}`);
  const action = service ? 'Show Logs' : 'Show Engine Output';
  const pick = await vscode.window.showErrorMessage(`Opsdeck: ${message}${hint ? ` — ${hint}` : ''}`, action);
  if (pick) await vscode.commands.executeCommand(service ? 'opsdeck.service.logs' : 'opsdeck.showEngineOutput', ...(service ? [service] : []));
}

export function isCancel(e: unknown): boolean {
  return e instanceof vscode.CancellationError || (e instanceof Error && e.name === 'AbortError');
}
