/**
 * The Services tree (view `opsdeck.services`): one item per service with a state icon in the
 * theme's colours, uptime and restarts, and inline / context actions (start, stop, restart,
 * logs). It refreshes from the connection's status (pushed engine events), and only while it
 * is visible: a hidden view just remembers that it is stale and refreshes when shown. While
 * visible and a service runs, a 1 s timer keeps the uptimes current (local work only; no
 * request to the engine).
 */
import * as vscode from 'vscode';
import type { ServiceStatus } from '../core/contract';
import type { EngineConnection } from './engine-connection';
import { isRunning, serviceDescription, serviceTooltip, STATE_ICON } from './status-model';

export interface ServiceItemSnapshot {
  label: string;
  description: string;
  contextValue: string;
}

/** `service-running` (stop, restart apply), `service-stopped` (start applies), `service-failed`. */
export const serviceContextValue = (s: ServiceStatus) => (s.state === 'failed' ? 'service-failed' : isRunning(s) ? 'service-running' : 'service-stopped');

export class ServiceItem extends vscode.TreeItem {
  constructor(
    readonly service: ServiceStatus,
    now: number,
  ) {
    super(service.name, vscode.TreeItemCollapsibleState.None);
    this.id = `service:${service.name}`;
    this.description = serviceDescription(service, now);
    const look = STATE_ICON[service.state];
    this.iconPath = new vscode.ThemeIcon(look.icon, look.color ? new vscode.ThemeColor(look.color) : undefined);
    const tooltip = new vscode.MarkdownString(serviceTooltip(service), true);
    this.tooltip = tooltip;
    this.contextValue = serviceContextValue(service);
    this.accessibilityInformation = { label: `${service.name}: ${this.description}` };
    this.command = { command: 'opsdeck.service.logs', title: 'View Logs', arguments: [service.name] };
  }
}

export class ServicesTree implements vscode.TreeDataProvider<ServiceItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ServiceItem | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<ServiceItem>;
  private readonly subscriptions: vscode.Disposable[] = [];
  private stale = false;
  private ticker: NodeJS.Timeout | undefined;
  private items: ServiceItem[] = [];

  constructor(
    private readonly connection: EngineConnection,
    private readonly hasStack: () => boolean,
    private readonly now: () => number = Date.now,
  ) {
    this.view = vscode.window.createTreeView('opsdeck.services', { treeDataProvider: this, showCollapseAll: false });
    this.subscriptions.push(
      this.view,
      this.changed,
      this.view.onDidChangeVisibility(() => this.onVisibility()),
      connection.onDidChangeStatus(() => this.invalidate()),
      connection.onDidChangeMode(() => this.invalidate()),
      { dispose: () => this.stopTicker() },
    );
    this.updateMessage();
  }

  getTreeItem(item: ServiceItem): vscode.TreeItem {
    return item;
  }

  getChildren(parent?: ServiceItem): ServiceItem[] {
    if (parent) return [];
    const status = this.connection.status;
    const now = this.now();
    this.items = status ? status.services.map((s) => new ServiceItem(s, now)) : [];
    return this.items;
  }

  /** What the tree shows (for the test API); built from the status even when the view is hidden. */
  snapshot(): ServiceItemSnapshot[] {
    const status = this.connection.status;
    const now = this.now();
    return (status?.services ?? []).map((s) => {
      const item = new ServiceItem(s, now);
      return { label: s.name, description: String(item.description), contextValue: String(item.contextValue) };
    });
  }

  /** New data: refresh now if visible, else when it becomes visible. */
  invalidate(): void {
    this.updateMessage();
    if (!this.view.visible) {
      this.stale = true;
      this.stopTicker();
      return;
    }
    this.stale = false;
    this.changed.fire();
    this.updateTicker();
  }

  private onVisibility(): void {
    if (this.view.visible) {
      if (this.stale) this.invalidate();
      else this.updateTicker();
    } else {
      this.stopTicker();
    }
  }

  private updateMessage(): void {
    const status = this.connection.status;
    // Without a stack, or without an engine, the view's welcome content (package.json) says so with buttons.
    if (!this.hasStack()) this.view.message = undefined;
    else if (!status) this.view.message = this.connection.info.problem ?? 'Connecting to the engine…';
    else if (status.services.length === 0) this.view.message = 'The stack has no services.';
    else this.view.message = undefined;
  }

  /** Uptimes move every second: re-render (locally) once a second while visible and something runs. */
  private updateTicker(): void {
    const running = this.connection.status?.services.some((s) => isRunning(s) && s.startedAt !== undefined) ?? false;
    if (!running || !this.view.visible) return this.stopTicker();
    if (this.ticker) return;
    this.ticker = setInterval(() => {
      if (!this.view.visible) return this.stopTicker();
      this.changed.fire();
    }, 1000);
  }

  private stopTicker(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
