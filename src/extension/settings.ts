/** The extension's settings (package.json `contributes.configuration`), read in one place. */
import * as vscode from 'vscode';
import type { IpcThresholds } from '../core/contract';
import type { EngineModeSetting } from './engine-connection';
import { NOTIFICATION_KINDS, type NotificationKind, type NotificationLevel } from './notify-policy';

const section = () => vscode.workspace.getConfiguration('opsdeck');

export const settings = {
  engineMode(): EngineModeSetting {
    const v = section().get<string>('engine.mode', 'auto');
    return v === 'embedded' || v === 'attach' ? v : 'auto';
  },
  showStatus: () => section().get<boolean>('statusBar.showStatus', true),
  showIpc: () => section().get<boolean>('statusBar.showIpc', true),
  showProfile: () => section().get<boolean>('statusBar.showProfile', true),
  notificationLevel(): NotificationLevel {
    const v = section().get<string>('notifications.level', 'all');
    return v === 'errors' || v === 'none' ? v : 'all';
  },
  silenced: (): NotificationKind[] => (section().get<string[]>('notifications.silenced', []) ?? []).filter((k): k is NotificationKind => (NOTIFICATION_KINDS as readonly string[]).includes(k)),
  /** The IPC thresholds set in settings (overriding the active profile's), if any. */
  ipcOverride(): Partial<IpcThresholds> | undefined {
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
    const warn = num(section().get('ipc.warn'));
    const critical = num(section().get('ipc.critical'));
    if (warn === undefined && critical === undefined) return undefined;
    return { ...(warn !== undefined ? { warn } : {}), ...(critical !== undefined ? { critical } : {}) };
  },
};

/** Fires `fn` when a setting under `opsdeck.<key>` changes. */
export function onSettingChange(keys: string[], fn: () => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (keys.some((k) => e.affectsConfiguration(`opsdeck.${k}`))) fn();
  });
}
