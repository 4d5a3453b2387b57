/**
 * Registers every command of the extension (docs/extension-contract.md), one group per file:
 * the stack, a service, profiles, memory search, backups, maintenance, the doctor, and the views of the engine's output.
 * Each is callable with arguments so tests and other commands need no UI (a service name, a
 * profile name, a query…), and prompts for what is missing otherwise. Work against the engine
 * goes through the connection's ApiClient; long operations show a progress notification. A
 * failure shows an error with an action (Show Logs for a service, else Show Engine Output); when
 * the command was called with a string argument (programmatically) the error is also rethrown to
 * the caller.
 */
import * as vscode from 'vscode';
import { apiTokenCommands } from './api-token';
import { backupCommands } from './backups';
import type { CommandContext, CommandHandlers } from './context';
import { doctorCommands } from './doctor';
import { exportCommands } from './export';
import { isCancel, showFailure } from './failure';
import { maintenanceCommands } from './maintenance';
import { memoryCommands } from './memory';
import { outputCommands } from './output';
import { profileCommands } from './profile';
import { reportCommands } from './report';
import { serviceCommands } from './service';
import { serviceName, servicesOf } from './service-args';
import { stackCommands } from './stack';
import { unitsCommands } from './units';
import { releaseCommands } from './releases';

export type { CommandContext } from './context';

/** Commands whose first argument is not a service (a query, a profile): their failures offer no Show Logs. */
const NOT_ABOUT_A_SERVICE: ReadonlySet<string> = new Set(['opsdeck.searchMemory', 'opsdeck.switchProfile', 'opsdeck.runMaintenance', 'opsdeck.cleanUp', 'opsdeck.startAtBoot', 'opsdeck.showReport', 'opsdeck.copyApiToken', 'opsdeck.updateStack', 'opsdeck.rollBack', 'opsdeck.showReleaseReport']);

export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  const handlers: CommandHandlers = {
    ...memoryCommands(ctx),
    ...profileCommands(ctx),
    ...stackCommands(ctx),
    ...serviceCommands(ctx),
    ...backupCommands(ctx),
    ...maintenanceCommands(ctx),
    ...outputCommands(ctx),
    ...doctorCommands(ctx),
    ...unitsCommands(ctx),
    ...exportCommands(ctx),
    ...reportCommands(ctx),
    ...apiTokenCommands(ctx),
    ...releaseCommands(ctx),
  };
  return Object.entries(handlers).map(([id, fn]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (e) {
        if (isCancel(e)) return undefined;
        const service = NOT_ABOUT_A_SERVICE.has(id) ? undefined : serviceName(args[0]);
        void showFailure(ctx.output, e, service && servicesOf(ctx.connection).some((s) => s.name === service) ? service : undefined);
        if (typeof args[0] === 'string') throw e;
        return undefined;
      }
    }),
  );
}
