/**
 * Registers the Metrics webview view (`opsdeck.metrics`, built in this folder) over
 * the engine connection: a MetricsSource that always uses the connection's current client,
 * shares the connection's event stream (no second stream), and runs the view's requests
 * through the extension's own commands.
 */
import * as vscode from 'vscode';
import { metricsSourceFromClient } from './api-metrics-source';
import { commandRunner } from './contract-commands';
import type { MetricsSource } from './metrics-source';
import { MetricsViewProvider } from './metrics-view-provider';
import type { BackupsInfo } from '../../shared/protocol';
import type { EngineConnection } from '../engine-connection';

export function metricsSource(connection: EngineConnection): MetricsSource {
  const run = commandRunner((id, ...args) => vscode.commands.executeCommand(id, ...args));
  const onEvent: MetricsSource['onEvent'] = (listener) => connection.onDidReceiveEvent(listener);
  const current = () => metricsSourceFromClient(connection.requireClient(), { run, onEvent });
  return {
    status: () => current().status(),
    profiles: () => current().profiles(),
    metrics: () => current().metrics(),
    history: (sinceMs) => current().history(sinceMs),
    onEvent,
    run,
    backups: () => backupsInfo(connection),
  };
}

/** Last backup per service against its RPO, from the engine's backup status (when it has one). */
async function backupsInfo(connection: EngineConnection): Promise<BackupsInfo> {
  const api = connection.backups;
  if (!api?.available) return { available: false, reason: 'This engine keeps no backups yet.' };
  try {
    const status = await api.serviceStatus();
    if (!status) return { available: false, reason: 'This engine reports no backup status.' };
    return {
      available: true,
      at: Date.now(),
      services: status.services.map((s) => {
        const last = s.newest ? Date.parse(s.newest.time) : NaN;
        return {
          service: s.service,
          ...(Number.isFinite(last) ? { lastBackupAt: last } : {}),
          ...(typeof s.rpoMs === 'number' && s.rpoMs > 0 ? { rpoMs: s.rpoMs } : {}),
        };
      }),
    };
  } catch (e) {
    return { available: false, reason: (e as Error).message };
  }
}

export function registerMetricsView(context: vscode.ExtensionContext, connection: EngineConnection, output: vscode.LogOutputChannel): vscode.Disposable {
  const provider = new MetricsViewProvider(context.extensionUri, metricsSource(connection), { log: (line) => output.warn(`metrics view: ${line}`) });
  return vscode.Disposable.from(provider, vscode.window.registerWebviewViewProvider(MetricsViewProvider.viewType, provider));
}
