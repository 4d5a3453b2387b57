/**
 * Alerts in VS Code (docs/alerts.md): the Alerts view (`opsdeck.alerts`) lists the open incidents
 * with their alerts, and the silences in force; an alert event the engine sends to the `vscode`
 * channel becomes a notification with "Acknowledge" and "Silence 1h" (the resolved one, an
 * information message). Both act through the commands of commands/alerts.ts.
 */
import * as vscode from 'vscode';
import type { AlertsView, EngineEvent, EventOf } from '../core/contract';
import type { EngineConnection } from './engine-connection';

export const ACK_LABEL = 'Acknowledge';
export const SILENCE_LABEL = 'Silence 1h';

type Node = { kind: 'incident'; incident: AlertsView['incidents'][number]; view: AlertsView } | { kind: 'alert'; alert: AlertsView['alerts'][number] } | { kind: 'silence'; silence: AlertsView['silences'][number] } | { kind: 'note'; text: string };

const SEVERITY_ICON = { critical: ['error', 'errorForeground'], warning: ['warning', 'list.warningForeground'], info: ['info', undefined] } as const;

export class AlertsTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private view: AlertsView | undefined;
  private readonly subs: vscode.Disposable[];

  constructor(private readonly connection: EngineConnection) {
    this.subs = [
      connection.onDidReceiveEvent((e: EngineEvent) => {
        if (e.type === 'alert') void this.refresh();
      }),
      connection.onDidChangeMode(() => void this.refresh()),
      this.changed,
    ];
  }

  /** Ask the engine again. */
  async refresh(): Promise<void> {
    this.view = await this.connection.client?.alerts().catch(() => undefined);
    this.changed.fire();
  }

  /** What the view shows (the test API). */
  snapshot(): AlertsView | undefined {
    return this.view;
  }

  getTreeItem(n: Node): vscode.TreeItem {
    switch (n.kind) {
      case 'incident': {
        const i = n.incident;
        const item = new vscode.TreeItem(`${i.service}: ${i.summary}`, vscode.TreeItemCollapsibleState.Expanded);
        const [icon, color] = SEVERITY_ICON[i.severity];
        item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
        item.description = `${i.severity} · level ${i.level}${i.ack ? ` · acknowledged${i.ack.by ? ` by ${i.ack.by}` : ''}` : ''}`;
        item.tooltip = `incident ${i.id}, opened ${new Date(i.openedAt).toLocaleString()}`;
        item.contextValue = i.ack ? 'alertIncidentAcked' : 'alertIncident';
        item.id = `incident:${i.id}`;
        return item;
      }
      case 'alert': {
        const a = n.alert;
        const item = new vscode.TreeItem(a.rule);
        item.description = `${a.state}${a.inhibitedBy ? ` · inhibited by ${a.inhibitedBy}` : ''}${a.silencedBy ? ' · silenced' : ''} · ${a.summary}`;
        item.iconPath = new vscode.ThemeIcon(a.state === 'firing' ? 'bell-dot' : 'bell');
        return item;
      }
      case 'silence': {
        const s = n.silence;
        const item = new vscode.TreeItem(`silenced: ${s.matchers.map((m) => `${m.name}${m.op}${m.value}`).join(' ')}`);
        item.description = `until ${new Date(s.endsAt).toLocaleTimeString()} · ${s.comment}`;
        item.iconPath = new vscode.ThemeIcon('bell-slash');
        item.contextValue = 'alertSilence';
        item.id = `silence:${s.id}`;
        return item;
      }
      case 'note':
        return new vscode.TreeItem(n.text);
    }
  }

  getChildren(n?: Node): Node[] {
    const v = this.view;
    if (!n) {
      if (!v) return [{ kind: 'note', text: this.connection.client ? 'Alerts not available' : 'No engine running' }];
      if (!v.enabled) return [{ kind: 'note', text: 'Alerts are switched off (alerts.enabled: false)' }];
      const top: Node[] = [...v.incidents.map((incident) => ({ kind: 'incident' as const, incident, view: v })), ...v.silences.map((silence) => ({ kind: 'silence' as const, silence }))];
      const pending = v.alerts.filter((a) => !a.incident && !v.incidents.some((i) => i.service === a.service)).map((alert) => ({ kind: 'alert' as const, alert }));
      const all = [...top, ...pending];
      return all.length ? all : [{ kind: 'note', text: 'No alert firing' }];
    }
    if (n.kind === 'incident') return n.view.alerts.filter((a) => a.service === n.incident.service).map((alert) => ({ kind: 'alert' as const, alert }));
    return [];
  }

  dispose(): void {
    this.subs.forEach((s) => s.dispose());
  }
}

/** The notification of an alert event sent to the `vscode` channel, with its actions. */
export class AlertNotices implements vscode.Disposable {
  private readonly sub: vscode.Disposable;
  /** What was shown, oldest first (the test API). */
  readonly shown: { incident: string; phase: string; message: string; actions: string[] }[] = [];

  constructor(connection: EngineConnection) {
    this.sub = connection.onDidReceiveEvent((e: EngineEvent) => {
      if (e.type === 'alert' && e.channels.includes('vscode')) void this.show(e);
    });
  }

  async show(e: EventOf<'alert'>): Promise<void> {
    const message = `Opsdeck alert (${e.severity}${e.phase === 'escalated' ? `, level ${e.level}` : ''}): ${e.summary}`;
    if (e.phase === 'resolved') {
      this.shown.push({ incident: e.incident, phase: e.phase, message, actions: [] });
      void vscode.window.showInformationMessage(`Opsdeck: resolved: ${e.summary}`);
      return;
    }
    const actions = [ACK_LABEL, SILENCE_LABEL];
    this.shown.push({ incident: e.incident, phase: e.phase, message, actions });
    const show = e.severity === 'critical' ? vscode.window.showErrorMessage : e.severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    const picked = await show(message, ...actions);
    if (picked === ACK_LABEL) await vscode.commands.executeCommand('opsdeck.alerts.ack', e.incident);
    else if (picked === SILENCE_LABEL) await vscode.commands.executeCommand('opsdeck.alerts.silence', { service: e.service, durationMs: 3_600_000 });
  }

  dispose(): void {
    this.sub.dispose();
  }
}
