/** Switch Profile: to the named profile, or one picked from the stack's profiles; what runs is reconciled. */
import * as vscode from 'vscode';
import type { CommandContext, CommandHandlers } from './context';
import { describePlan } from './plan';
import { withProgress } from './progress';

export function profileCommands({ connection }: CommandContext): CommandHandlers {
  return {
    'opsdeck.switchProfile': async (arg) => {
      let name = typeof arg === 'string' ? arg : undefined;
      if (!name) {
        const info = await connection.requireClient().profiles();
        if (info.profiles.length === 0) {
          void vscode.window.showInformationMessage('Opsdeck: this stack defines no profiles (every service runs).');
          return undefined;
        }
        const picked = await vscode.window.showQuickPick(
          info.profiles.map((p) => ({
            label: p.name,
            description: `${p.name === info.active ? '(active) ' : ''}${p.services.join(', ')}`,
            ...(p.description ? { detail: p.description } : {}),
            picked: p.name === info.active,
          })),
          { title: 'Opsdeck: Switch Profile', placeHolder: 'Profile to switch to (what runs is reconciled)' },
        );
        name = picked?.label;
      }
      if (!name) return undefined;
      const target = name;
      const result = await withProgress(`switching to profile ${target}…`, () => connection.requireClient().useProfile(target));
      await connection.refresh();
      vscode.window.setStatusBarMessage(`Opsdeck: profile ${target} (${describePlan(result)})`, 5000);
      return result;
    },
  };
}
