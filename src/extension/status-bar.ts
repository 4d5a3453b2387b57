/**
 * The three status bar items: stack status (`$(pulse) 3/3`), IPC score (`IPC 12`) and active
 * profile (`$(layers) dev`). They change only when the connection reports a new status (pushed
 * engine events trigger it), never on a timer. Each can be hidden by a setting.
 */
import * as vscode from 'vscode';
import type { EngineStatus, IpcLevel } from '../core/contract';
import type { EngineConnection } from './engine-connection';
import { settings, onSettingChange } from './settings';
import { effectiveIpcLevel, statusBarModel, type ItemModel } from './status-model';
import { activationTimings, markActivation } from './timings';

export interface StatusBarSnapshot {
  id: string;
  text: string;
  tooltip: string;
  backgroundColor?: string;
}

/** Commands of this extension that tooltips may link to. */
const TOOLTIP_COMMANDS = ['opsdeck.services.focus', 'opsdeck.runHealthCheck', 'opsdeck.viewLogs', 'opsdeck.openDashboard', 'opsdeck.switchProfile', 'opsdeck.showEngineOutput'];

export class StatusBar implements vscode.Disposable {
  private readonly items: Record<'status' | 'ipc' | 'profile', { item: vscode.StatusBarItem; model?: ItemModel; visible: () => boolean }>;
  private readonly subscriptions: vscode.Disposable[] = [];
  private ipcLevel: IpcLevel = 'ok';
  private readonly ipcLevelEmitter = new vscode.EventEmitter<{ from: IpcLevel; to: IpcLevel; status: EngineStatus }>();
  /** The IPC level shown changed (with settings' thresholds, when they override the profile's). */
  readonly onDidChangeIpcLevel = this.ipcLevelEmitter.event;

  constructor(
    private readonly connection: EngineConnection,
    private readonly hasStack: () => boolean,
  ) {
    const make = (id: string, name: string, priority: number, command: string) => {
      const item = vscode.window.createStatusBarItem(id, vscode.StatusBarAlignment.Left, priority);
      item.name = name;
      item.command = command;
      return item;
    };
    this.items = {
      status: { item: make('opsdeck.status', 'Opsdeck Status', 50, 'opsdeck.services.focus'), visible: settings.showStatus },
      ipc: { item: make('opsdeck.ipc', 'Opsdeck IPC Score', 49, 'opsdeck.openDashboard'), visible: settings.showIpc },
      profile: { item: make('opsdeck.profile', 'Opsdeck Profile', 48, 'opsdeck.switchProfile'), visible: settings.showProfile },
    };
    this.subscriptions.push(
      connection.onDidChangeStatus(() => this.update()),
      connection.onDidChangeProfiles(() => this.update()),
      connection.onDidChangeMode(() => this.update()),
      onSettingChange(['statusBar', 'ipc'], () => this.update()),
      this.ipcLevelEmitter,
    );
    this.update();
  }

  update(): void {
    const status = this.connection.status;
    if (status) {
      const level = effectiveIpcLevel(status, settings.ipcOverride(), this.ipcLevel);
      if (level !== this.ipcLevel) {
        const from = this.ipcLevel;
        this.ipcLevel = level;
        this.ipcLevelEmitter.fire({ from, to: level, status });
      }
    }
    const model = statusBarModel(status, this.connection.info, {
      ipcLevel: this.ipcLevel,
      ...(this.connection.profiles ? { profiles: this.connection.profiles } : {}),
    });
    for (const key of ['status', 'ipc', 'profile'] as const) {
      const entry = this.items[key];
      const m = model[key];
      entry.model = m;
      entry.item.text = m.text;
      const tooltip = new vscode.MarkdownString(m.tooltip, true);
      tooltip.isTrusted = { enabledCommands: TOOLTIP_COMMANDS };
      entry.item.tooltip = tooltip;
      entry.item.backgroundColor = m.backgroundColor ? new vscode.ThemeColor(m.backgroundColor) : undefined;
      // Without a stack in the workspace there is nothing to show; IPC and profile need an engine.
      const show = this.hasStack() && entry.visible() && (key === 'status' || status !== undefined);
      if (show) {
        entry.item.show();
        if (key === 'status') this.markShown(status !== undefined, m.text);
      } else entry.item.hide();
    }
  }

  /** Activation timings (bench/extension/): the first show, and the first with an engine's status. */
  private markShown(real: boolean, text: string): void {
    if (activationTimings.statusBarShownMs !== undefined) return;
    markActivation('statusBarFirstShownMs');
    if (!real) return;
    markActivation('statusBarShownMs');
    activationTimings.statusBarText = text;
  }

  /** The visible items as the test API reports them. */
  snapshot(): StatusBarSnapshot[] {
    const out: StatusBarSnapshot[] = [];
    for (const key of ['status', 'ipc', 'profile'] as const) {
      const { item, model, visible } = this.items[key];
      if (!model || !this.hasStack() || !visible() || (key !== 'status' && !this.connection.status)) continue;
      out.push({ id: item.id, text: model.text, tooltip: model.tooltip, ...(model.backgroundColor ? { backgroundColor: model.backgroundColor } : {}) });
    }
    return out;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    for (const { item } of Object.values(this.items)) item.dispose();
  }
}
