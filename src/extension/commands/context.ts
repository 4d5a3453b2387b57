/**
 * What the extension's command groups get from the composition root (container.ts), and the
 * shape of a group: command ids with their handlers, registered by index.ts.
 */
import type * as vscode from 'vscode';
import type { StackHealth } from '../../core/contract';
import type { EngineConnection } from '../engine-connection';
import type { MemorySearch } from '../memory-search';
import type { ServiceLogs } from '../service-logs';

export interface CommandContext {
  connection: EngineConnection;
  memory: MemorySearch;
  logs: ServiceLogs;
  output: vscode.LogOutputChannel;
  /** Show a health check's result (notifications.ts: deduplicated like other notifications). */
  showHealth(health: StackHealth): void;
  /** Write an opsdeck.yaml into a workspace folder and use it. */
  createStack(folder?: vscode.Uri): Promise<vscode.Uri | undefined>;
  /** The extension's global state (answers like "Don't ask again"). */
  globalState: vscode.Memento;
}

/** A group of commands: id → handler, called with the command's arguments. */
export type CommandHandlers = Record<string, (...args: unknown[]) => Promise<unknown>>;
