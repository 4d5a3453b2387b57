/**
 * Registers the Metrics webview view (`opsdeck.metrics`, built in this folder) over the engine
 * connection: a MetricsSource that always uses the connection's current client, shares the
 * connection's event stream (no second stream), and runs the view's requests through the
 * extension's own commands.
 */
import * as vscode from 'vscode';
import type { EngineConnection } from '../engine-connection';
import { metricsSourceFromClient } from './api-metrics-source';
import { commandRunner } from './contract-commands';
import { BACKUPS_UNAVAILABLE } from './metrics-feed';
import type { MetricsSource } from './metrics-source';
import { MetricsViewProvider } from './metrics-view-provider';
import { backupsFromStatus } from './shape';

export function metricsSource(connection: EngineConnection): MetricsSource {
  const run = commandRunner((id, ...args) => vscode.commands.executeCommand(id, ...args));
  const onEvent: MetricsSource['onEvent'] = (listener) => connection.onDidReceiveEvent(listener);
  const current = () => metricsSourceFromClient(connection.requireClient(), { run, onEvent });
  // Last backup per service against its RPO, from the engine's backup status (when it serves backups).
  const backups = backupsFromStatus(() => connection.requireClient().backupStatus());
  return {
    status: () => current().status(),
    profiles: () => current().profiles(),
    metrics: () => current().metrics(),
    history: (sinceMs) => current().history(sinceMs),
    onEvent,
    run,
    backups: async () => (connection.backupsAvailable ? backups() : BACKUPS_UNAVAILABLE),
  };
}

export function registerMetricsView(context: vscode.ExtensionContext, connection: EngineConnection, output: vscode.LogOutputChannel): vscode.Disposable {
  const provider = new MetricsViewProvider(context.extensionUri, metricsSource(connection), { log: (line) => output.warn(`metrics view: ${line}`) });
  return vscode.Disposable.from(provider, vscode.window.registerWebviewViewProvider(MetricsViewProvider.viewType, provider));
}
