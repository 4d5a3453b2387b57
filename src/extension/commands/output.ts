/** Commands that open a view of the engine: the engine's output channel and the Metrics view (dashboard). */
import * as vscode from 'vscode';
import type { CommandContext, CommandHandlers } from './context';

export function outputCommands({ output }: CommandContext): CommandHandlers {
  return {
    'opsdeck.openDashboard': async () => vscode.commands.executeCommand('opsdeck.metrics.focus'),

    'opsdeck.showEngineOutput': async () => {
      output.show(true);
      return undefined;
    },
  };
}
