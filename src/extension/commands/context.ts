/**
 * What the extension's command groups get from the composition root (container.ts), and the
 * shape of a group: command ids with their handlers, registered by index.ts.
 */
import type * as vscode from 'vscode';
import type { StackHealth } from '../../core/contract';
import type { DoctorResults } from '../doctor/doctor-results';
import type { BootUnits } from '../boot-units';
import type { EngineConnection } from '../engine-connection';
import type { MemorySearch } from '../memory-search';
import type { Notice, NotificationKind } from '../notify-policy';
import type { ServiceLogs } from '../service-logs';

export interface CommandContext {
  connection: EngineConnection;
  memory: MemorySearch;
  logs: ServiceLogs;
  output: vscode.LogOutputChannel;
  /** Show a health check's result, service by service (notifications.ts). */
  showHealth(health: StackHealth): void;
  /** Run a command that reports its own result: the engine events of `kinds` it causes are not notified again. */
  reportsItself<T>(kinds: NotificationKind[], work: () => PromiseLike<T>): Promise<T>;
  /** Show a command's result as a notification (with its actions, recorded for the test API). */
  showResult(n: Notice): void;
  /** Write an opsdeck.yaml into a workspace folder and use it. */
  createStack(folder?: vscode.Uri): Promise<vscode.Uri | undefined>;
  /** The doctor's results: Run Diagnostics shows them (doctor/doctor-results.ts). */
  doctor: DoctorResults;
  /** The extension's global state (answers like "Don't ask again"). */
  globalState: vscode.Memento;
  /** The stack's start-at-login units (`opsdeck units`, boot-units.ts). */
  bootUnits: BootUnits;
  /** Read the running release again (release-state.ts), after an update or rollback. */
  refreshRelease(): void;
}

/** A group of commands: id → handler, called with the command's arguments. */
export type CommandHandlers = Record<string, (...args: unknown[]) => Promise<unknown>>;
