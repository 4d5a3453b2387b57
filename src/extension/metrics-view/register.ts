/**
 * Registers the Metrics webview view (`opsdeck.metrics`, built in this folder) over the
 * extension's StackStore (status, metrics sample, profiles, backups: the snapshot the status bar
 * and the tree render too) and the engine connection (the chart history from the connection's
 * current client, restart marks from its event stream: no second stream), running the view's
 * requests through the extension's own commands.
 */
import * as vscode from 'vscode';
import type { EngineConnection } from '../engine-connection';
import type { StackStore } from '../state/stack-store';
import { metricsSourceFromClient } from './api-metrics-source';
import { commandRunner } from './contract-commands';
import type { MetricsSource } from './metrics-source';
import { MetricsViewProvider } from './metrics-view-provider';

export function metricsSource(connection: EngineConnection): MetricsSource {
  const run = commandRunner((id, ...args) => vscode.commands.executeCommand(id, ...args));
  const onEvent: MetricsSource['onEvent'] = (listener) => connection.onDidReceiveEvent(listener);
  return {
    history: (sinceMs, spanMs) => metricsSourceFromClient(connection.requireClient(), { run, onEvent }).history(sinceMs, spanMs),
    onEvent,
    run,
  };
}

/** The registered view: dispose it to unregister; `provider.lastState` is what its header shows. */
export function registerMetricsView(context: vscode.ExtensionContext, connection: EngineConnection, store: StackStore, output: vscode.LogOutputChannel): { provider: MetricsViewProvider; disposable: vscode.Disposable } {
  const provider = new MetricsViewProvider(context.extensionUri, store, metricsSource(connection), { log: (line) => output.warn(`metrics view: ${line}`) });
  return { provider, disposable: vscode.Disposable.from(provider, vscode.window.registerWebviewViewProvider(MetricsViewProvider.viewType, provider)) };
}
