/**
 * Switch Profile: to the named profile, or one picked from the stack's profiles; what runs is
 * reconciled. A switch that stops services asks first (Switch / Cancel / Don't Ask Again, the
 * last kept in the extension's global state); `{ ask: false }` as second argument skips the
 * question (tests, callers that asked already).
 */
import * as vscode from 'vscode';
import { profileSwitchQuestion } from '../status-model';
import type { CommandContext, CommandHandlers } from './context';
import { describePlan } from './plan';
import { withProgress } from './progress';

/** The global state key of "Don't ask again" before a switch that stops services. */
export const DONT_ASK_PROFILE_SWITCH = 'opsdeck.profileSwitch.dontAsk';

export function profileCommands({ connection, globalState }: CommandContext): CommandHandlers {
  /** Whether to go ahead: asks when the switch stops services (unless told not to ask). */
  const confirm = async (target: string, ask: boolean): Promise<boolean> => {
    if (!ask || globalState.get<boolean>(DONT_ASK_PROFILE_SWITCH)) return true;
    const question = profileSwitchQuestion(target, await connection.requireClient().useProfile(target, true));
    if (!question) return true;
    const SWITCH = 'Switch';
    const NEVER = "Switch, Don't Ask Again";
    const answer = await vscode.window.showWarningMessage(question, { modal: true, detail: 'They stay listed in the Services tree, greyed, with "Start (not in profile)".' }, SWITCH, NEVER);
    if (answer === NEVER) await globalState.update(DONT_ASK_PROFILE_SWITCH, true);
    return answer === SWITCH || answer === NEVER;
  };

  return {
    'opsdeck.switchProfile': async (arg, opts) => {
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
      if (!(await confirm(target, (opts as { ask?: boolean } | undefined)?.ask !== false))) return undefined;
      const result = await withProgress(`switching to profile ${target}…`, () => connection.requireClient().useProfile(target));
      await connection.refresh();
      vscode.window.setStatusBarMessage(`Opsdeck: profile ${target} (${describePlan(result)})`, 5000);
      return result;
    },
  };
}
