/**
 * The three status bar items: stack status (`$(pulse) 3/3`), IPC score (`IPC 12`) and active
 * profile (`$(layers) dev`), rendered from the state model's snapshot (state/stack-store.ts): a
 * new status, a metrics sample (the IPC score follows every sample) or a lost engine (then every
 * item says so, and why). Each can be hidden by a setting.
 */
import * as vscode from 'vscode';
import { unitsLine } from './boot-units';
import { releaseLine } from './release-state';
import type { IpcLevel } from '../core/contract';
import { settings, onSettingChange } from './settings';
import { currentIpc, type StackSnapshot, type StackStore } from './state/stack-store';
import { effectiveIpcLevel, statusBarModel, type ItemModel } from './status-model';
import { activationTimings, markActivation } from './timings';

export interface StatusBarSnapshot {
  id: string;
  text: string;
  tooltip: string;
  /** The accessibility label (plain words). */
  accessibility: string;
  backgroundColor?: string;
  /** The store snapshot it was rendered from. */
  seq: number;
}

/** The IPC level shown changed (with settings' thresholds, when they override the profile's). */
export interface IpcLevelChange {
  from: IpcLevel;
  to: IpcLevel;
  score: number;
  summary: string;
}

/** Commands of this extension that tooltips may link to. */
const TOOLTIP_COMMANDS = ['opsdeck.services.focus', 'opsdeck.runHealthCheck', 'opsdeck.viewLogs', 'opsdeck.openDashboard', 'opsdeck.switchProfile', 'opsdeck.showEngineOutput'];

export class StatusBar implements vscode.Disposable {
  private readonly items: Record<'status' | 'ipc' | 'profile', { item: vscode.StatusBarItem; model?: ItemModel; visible: () => boolean }>;
  private readonly subscriptions: vscode.Disposable[] = [];
  private ipcLevel: IpcLevel = 'ok';
  private readonly ipcLevelEmitter = new vscode.EventEmitter<IpcLevelChange>();
  private seq = -1;
  /** The IPC level shown changed (with settings' thresholds, when they override the profile's). */
  readonly onDidChangeIpcLevel = this.ipcLevelEmitter.event;

  constructor(
    private readonly store: StackStore,
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
      store.onDidChange(() => this.update()),
      onSettingChange(['statusBar', 'ipc'], () => this.update()),
      this.ipcLevelEmitter,
    );
    this.update();
  }

  update(): void {
    const snap: StackSnapshot = this.store.snapshot;
    const { status } = snap;
    const ipc = currentIpc(snap);
    if (ipc) {
      const level = effectiveIpcLevel(ipc, settings.ipcOverride(), this.ipcLevel);
      if (level !== this.ipcLevel) {
        const from = this.ipcLevel;
        this.ipcLevel = level;
        this.ipcLevelEmitter.fire({ from, to: level, score: ipc.score, summary: ipc.summary });
      }
    }
    const model = statusBarModel(status, snap.connection, {
      ipcLevel: this.ipcLevel,
      ...(ipc ? { ipc } : {}),
      ...(snap.profiles ? { profiles: snap.profiles } : {}),
    });
    if (snap.units) model.status.tooltip += `\n\n${unitsLine(snap.units)}`;
    if (snap.release) model.status.tooltip += `\n\n${releaseLine(snap.release)}`;
    this.seq = snap.seq;
    for (const key of ['status', 'ipc', 'profile'] as const) {
      const entry = this.items[key];
      const m = model[key];
      entry.model = m;
      entry.item.text = m.text;
      const tooltip = new vscode.MarkdownString(m.tooltip, true);
      tooltip.isTrusted = { enabledCommands: TOOLTIP_COMMANDS };
      entry.item.tooltip = tooltip;
      entry.item.accessibilityInformation = { label: m.accessibility };
      entry.item.backgroundColor = m.backgroundColor ? new vscode.ThemeColor(m.backgroundColor) : undefined;
      // Without a stack in the workspace there is nothing to show; without an engine every item says so.
      if (this.hasStack() && entry.visible()) {
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
      if (!model || !this.hasStack() || !visible()) continue;
      out.push({ id: item.id, text: model.text, tooltip: model.tooltip, accessibility: model.accessibility, seq: this.seq, ...(model.backgroundColor ? { backgroundColor: model.backgroundColor } : {}) });
    }
    return out;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    for (const { item } of Object.values(this.items)) item.dispose();
  }
}
