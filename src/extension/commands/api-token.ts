/**
 * "Opsdeck: Copy API Token" (opsdeck.copyApiToken): copy a bearer token of the control API's TCP
 * listener (docs/api.md, "TCP listener and tokens") to the clipboard, asked of the engine over its
 * unix socket. `('full' | 'read')` skips the pick. The message says where the listener is, or
 * that `api.listen` is not set. Returns `{ scope, url }` (never the token itself).
 */
import * as vscode from 'vscode';
import type { TokenScope } from '../../core/contract';
import type { CommandContext, CommandHandlers } from './context';

export function apiTokenCommands({ connection }: CommandContext): CommandHandlers {
  return {
    'opsdeck.copyApiToken': async (arg) => {
      const client = connection.requireClient();
      const access = await client.apiAccess();
      const where = access.url ? `the API at ${access.url}` : 'the API (no TCP listener yet: set api.listen in opsdeck.yaml and restart the engine)';
      let scope: TokenScope;
      if (arg === 'full' || arg === 'read') scope = arg;
      else {
        const chosen = await vscode.window.showQuickPick(
          [
            { label: 'Read-only token', detail: 'GET and HEAD only: status, health, /metrics for a Prometheus scrape', scope: 'read' as const },
            { label: 'Full token', detail: 'every route: start, stop, back up, restore…', scope: 'full' as const },
          ],
          { placeHolder: `Copy a bearer token for ${where}`, ignoreFocusOut: true },
        );
        if (!chosen) throw new vscode.CancellationError();
        scope = chosen.scope;
      }
      const tokens = await client.apiTokens();
      await vscode.env.clipboard.writeText(tokens[scope]);
      void vscode.window.showInformationMessage(`Opsdeck: copied the ${scope === 'read' ? 'read-only' : 'full'} token for ${where}. Rotate it with \`opsdeck api token rotate\`.`);
      return { scope, url: access.url };
    },
  };
}
