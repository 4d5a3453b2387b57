/**
 * Run Health Check's answer: a quick pick listing every service with its health level and the
 * reason (worst first, from notify-policy's healthRows), each with Show Logs and Restart buttons;
 * picking a service shows its logs. A new result replaces the one on screen.
 */
import * as vscode from 'vscode';
import type { StackHealth } from '../core/contract';
import { healthRows, type HealthRow } from './notify-policy';

const LEVEL_ICON: Record<string, vscode.ThemeIcon> = {
  OK: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  WARNING: new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground')),
  CRITICAL: new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground')),
  UNKNOWN: new vscode.ThemeIcon('question'),
};
const SHOW_LOGS: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('output'), tooltip: 'Show Logs' };
const RESTART: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('debug-restart'), tooltip: 'Restart' };

interface RowItem extends vscode.QuickPickItem {
  row: HealthRow;
}

/** What the pick shows (the test API). */
export interface HealthPickSnapshot {
  title: string;
  level: string;
  items: { label: string; description: string; detail: string }[];
}

export class HealthPick implements vscode.Disposable {
  private pick: vscode.QuickPick<RowItem> | undefined;
  private last: HealthPickSnapshot | undefined;

  show(h: StackHealth): void {
    this.pick?.dispose();
    const { title, rows } = healthRows(h);
    const items: RowItem[] = rows.map((row) => ({
      label: row.service,
      iconPath: LEVEL_ICON[row.level] ?? LEVEL_ICON.UNKNOWN,
      description: row.level,
      detail: row.reason,
      buttons: [SHOW_LOGS, RESTART],
      row,
    }));
    const pick = vscode.window.createQuickPick<RowItem>();
    pick.title = `Opsdeck: ${title}`;
    pick.placeholder = 'Pick a service to see its logs';
    pick.items = items;
    pick.matchOnDescription = true;
    pick.matchOnDetail = true;
    pick.onDidTriggerItemButton(({ item, button }) => {
      pick.hide();
      void vscode.commands.executeCommand(button === RESTART ? 'opsdeck.restartService' : 'opsdeck.service.logs', item.row.service);
    });
    pick.onDidAccept(() => {
      const item = pick.selectedItems[0];
      pick.hide();
      if (item) void vscode.commands.executeCommand('opsdeck.service.logs', item.row.service);
    });
    pick.onDidHide(() => {
      pick.dispose();
      if (this.pick === pick) this.pick = undefined;
    });
    this.pick = pick;
    this.last = { title: pick.title, level: h.level, items: items.map((i) => ({ label: i.label, description: i.description ?? '', detail: i.detail ?? '' })) };
    pick.show();
  }

  snapshot(): HealthPickSnapshot | undefined {
    return this.last;
  }

  dispose(): void {
    this.pick?.dispose();
  }
}
