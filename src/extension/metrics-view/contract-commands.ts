/**
 * The view's requests as the extension's own commands (docs/extension-contract.md), so a
 * request from the sidebar behaves exactly like the same command from the palette: same
 * confirmation, progress and error handling. (No vscode import: the caller passes
 * `vscode.commands.executeCommand`.)
 */
import type { SidebarCommand } from '../../shared/protocol';

/** The command id and arguments that carry out a sidebar request. */
export function contractCommand(command: SidebarCommand): [id: string, ...args: unknown[]] {
  switch (command.type) {
    case 'switchProfile':
      return ['opsdeck.switchProfile', command.name];
    case 'backupNow':
      return ['opsdeck.backupNow'];
    case 'startStack':
      return ['opsdeck.startStack'];
    case 'stopStack':
      return ['opsdeck.stopStack'];
    case 'startService':
      return ['opsdeck.service.start', command.name];
    case 'restartService':
      return ['opsdeck.restartService', command.name];
    case 'openLogs':
      return ['opsdeck.viewLogs', command.name];
  }
}

/**
 * A `MetricsSource.run` that executes the matching `opsdeck.*` command:
 * `run: commandRunner(vscode.commands.executeCommand)`.
 */
export function commandRunner(execute: (id: string, ...args: unknown[]) => PromiseLike<unknown>): (command: SidebarCommand) => Promise<void> {
  return async (command) => {
    const [id, ...args] = contractCommand(command);
    await execute(id, ...args);
  };
}
