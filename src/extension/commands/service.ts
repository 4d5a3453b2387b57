/**
 * One service's commands, from the palette or the Services tree: View Logs, Restart Service and
 * the tree items' Start / Stop / Restart / Logs actions (and Start (not in profile) for a service
 * outside the active profile). Without a service argument they ask
 * which (the services the action fits listed first).
 */
import * as vscode from 'vscode';
import type { PlanResult } from '../../core/contract';
import { isRunning } from '../status-model';
import type { CommandContext, CommandHandlers } from './context';
import { withProgress } from './progress';
import { pickService, serviceName, type ServiceStatus } from './service-args';

export function serviceCommands({ connection, logs }: CommandContext): CommandHandlers {
  /** Act on the service of `arg` (or one picked, `prefer`red first), then refresh the status. */
  const act =
    (verb: string, placeHolder: string, prefer: (s: ServiceStatus) => boolean, call: (name: string) => Promise<PlanResult>) =>
    async (arg: unknown) => {
      const name = serviceName(arg) ?? (await pickService(connection, placeHolder, prefer));
      if (!name) return undefined;
      const result = await withProgress(`${verb} ${name}…`, () => call(name));
      await connection.refresh();
      return result;
    };
  return {
    'opsdeck.viewLogs': async (arg) => {
      const name = serviceName(arg) ?? (await pickService(connection, 'Service whose log to follow'));
      if (!name) return undefined;
      logs.show(name);
      return undefined;
    },

    'opsdeck.restartService': act('restarting', 'Service to restart', isRunning, (name) => connection.requireClient().restart(name)),
    'opsdeck.service.start': act('starting', 'Service to start', (s) => !isRunning(s), (name) => connection.requireClient().start(name)),
    'opsdeck.service.stop': act('stopping', 'Service to stop', isRunning, (name) => connection.requireClient().stop(name)),
    // The tree's action on a service outside the active profile: it runs until stopped or the profile changes.
    'opsdeck.service.startOutsideProfile': async (arg) => vscode.commands.executeCommand('opsdeck.service.start', serviceName(arg)),
    'opsdeck.service.restart': async (arg) => vscode.commands.executeCommand('opsdeck.restartService', serviceName(arg)),
    'opsdeck.service.logs': async (arg) => vscode.commands.executeCommand('opsdeck.viewLogs', serviceName(arg)),
  };
}
