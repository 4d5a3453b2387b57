/**
 * Notifications: engine events (pushed over the API) and engine problems become VS Code
 * messages of matching severity, with actions (Show Logs, Restart, Open Dashboard…) and
 * "Don't show again". What to show and when is decided by the vscode-free NotifyPolicy
 * (notify-policy.ts: level setting, silenced kinds, cooldown); this file only shows.
 */
import * as vscode from 'vscode';
import type { EngineEvent, IpcLevel, StackHealth } from '../core/contract';
import type { EngineConnection } from './engine-connection';
import { engineErrorNotice, healthNotice, noticeFor, NotifyPolicy, type Notice, type NoticeAction, type NotificationKind, type Severity } from './notify-policy';
import { settings } from './settings';

export interface ShownNotification {
  kind: NotificationKind;
  severity: Severity;
  message: string;
}

const ACTION_LABEL: Record<NoticeAction, string> = {
  'show-logs': 'Show Logs',
  restart: 'Restart',
  'open-dashboard': 'Open Dashboard',
  'show-engine-output': 'Show Engine Output',
  'backup-now': 'Backup Now',
};
const DONT_SHOW = "Don't Show Again";
const HISTORY = 200;

export class Notifications implements vscode.Disposable {
  readonly policy: NotifyPolicy;
  private readonly shown: ShownNotification[] = [];
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    connection: EngineConnection,
    private readonly log: vscode.LogOutputChannel,
    opts: { now?: () => number; cooldownMs?: number } = {},
  ) {
    this.policy = new NotifyPolicy({ level: settings.notificationLevel, silenced: settings.silenced, ...opts });
    this.subscriptions.push(
      connection.onDidReceiveEvent((e) => this.onEvent(e)),
      connection.onDidFail((p) => this.notify(engineErrorNotice(p.message, p.key, p.severity))),
      connection.onDidChangeMode(() => this.policy.reset()),
    );
  }

  /** An engine event. */
  onEvent(e: EngineEvent): void {
    // With IPC thresholds overridden in settings, the status bar's level changes decide instead.
    if (e.type === 'ipc' && settings.ipcOverride()) return;
    const n = noticeFor(e);
    if (n) this.notify(n);
  }

  /** The IPC level the extension shows changed (settings override the profile's thresholds). */
  onIpcLevel(change: { from: IpcLevel; to: IpcLevel; score: number; summary: string }): void {
    if (!settings.ipcOverride()) return;
    const n = noticeFor({ type: 'ipc', at: Date.now(), service: 'stack', from: change.from, to: change.to, score: change.score, summary: change.summary });
    if (n) this.notify(n);
  }

  /**
   * The result of Run Health Check: OK is an information message; anything else a notification
   * through the policy (so running the check again does not repeat it within the cooldown), and
   * the status bar shows the result in any case.
   */
  healthResult(h: StackHealth): void {
    vscode.window.setStatusBarMessage(`$(checklist) Opsdeck health ${h.level}: ${h.summary}`, 10_000);
    const n = healthNotice(h);
    if (!n) {
      void vscode.window.showInformationMessage(`Opsdeck: health OK: ${h.summary}`);
      return;
    }
    void this.notify(n);
  }

  /** Show a notice if the policy allows; resolves when the user picked an action (or closed it). */
  notify(n: Notice): Promise<void> {
    const decision = this.policy.decide(n);
    if (!decision.show) {
      this.log.debug(`notification not shown (${decision.reason}): ${n.message}`);
      return Promise.resolve();
    }
    this.shown.push({ kind: n.kind, severity: n.severity, message: n.message });
    if (this.shown.length > HISTORY) this.shown.shift();
    this.log.info(`notification (${n.severity}): ${n.message}`);
    const labels = [...n.actions.map((a) => ACTION_LABEL[a]), DONT_SHOW];
    const show = n.severity === 'error' ? vscode.window.showErrorMessage : n.severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    return Promise.resolve(show(`Opsdeck: ${n.message}`, ...labels)).then(async (picked) => {
      if (!picked) return;
      if (picked === DONT_SHOW) {
        await settings.silence(n.kind);
        return;
      }
      const action = n.actions.find((a) => ACTION_LABEL[a] === picked);
      if (action) await runAction(action, n.service).catch(() => undefined); // the command showed its own error
    });
  }

  /** What was shown, oldest first (the test API). */
  history(): ShownNotification[] {
    return [...this.shown];
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}

export async function runAction(action: NoticeAction, service: string | undefined): Promise<void> {
  switch (action) {
    case 'show-logs':
      await vscode.commands.executeCommand(service ? 'opsdeck.service.logs' : 'opsdeck.showEngineOutput', ...(service ? [service] : []));
      return;
    case 'restart':
      if (service) await vscode.commands.executeCommand('opsdeck.restartService', service);
      return;
    case 'open-dashboard':
      await vscode.commands.executeCommand('opsdeck.openDashboard');
      return;
    case 'show-engine-output':
      await vscode.commands.executeCommand('opsdeck.showEngineOutput');
      return;
    case 'backup-now':
      await vscode.commands.executeCommand('opsdeck.backupNow');
      return;
  }
}
