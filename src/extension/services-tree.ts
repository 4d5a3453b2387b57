/**
 * The Services tree (view `opsdeck.services`), the stack's dashboard, rendered from the state
 * model's snapshot (state/stack-store.ts) like the status bar: one item per service with a state
 * icon in the theme's colours and state, health, CPU, memory, endpoint, uptime and restarts in
 * its description; it expands to its probes, last restart and backup status; inline / context
 * actions (start, stop, restart, logs; "Start (not in profile)" for a service outside the active
 * profile, which stays listed, greyed). Without an engine, one item says so and why.
 *
 * It refreshes only while visible: a hidden view just remembers that it is stale and refreshes
 * when shown. While visible and a service runs, a 1 s timer keeps the uptimes current (local
 * work only; no request to the engine).
 */
import * as vscode from 'vscode';
import { unitsLine } from './boot-units';
import { releaseLine } from './release-state';
import type { ServiceStatus } from '../core/contract';
import type { StackSnapshot, StackStore } from './state/stack-store';
import { type DetailModel, isRunning, noEngineModel, serviceContextValue, serviceDescription, serviceDetails, serviceTooltip, STATE_ICON } from './status-model';

export interface ServiceItemSnapshot {
  label: string;
  description: string;
  contextValue: string;
  /** The lines the item expands to (probes, last restart, backup). */
  children?: { label: string; description: string }[];
}

const themeIcon = (icon: string, color?: string) => new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);

export class ServiceItem extends vscode.TreeItem {
  constructor(
    readonly service: ServiceStatus,
    readonly details: DetailModel[],
    now: number,
    snap: Pick<StackSnapshot, 'metrics'>,
  ) {
    super(service.name, vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `service:${service.name}`;
    this.description = serviceDescription(service, now, snap.metrics);
    const look = STATE_ICON[service.state];
    // A service outside the active profile is greyed (its state colour dropped).
    this.iconPath = themeIcon(look.icon, service.inProfile ? look.color : 'disabledForeground');
    this.tooltip = new vscode.MarkdownString(serviceTooltip(service), true);
    this.contextValue = serviceContextValue(service);
    this.accessibilityInformation = { label: `${service.name}: ${this.description}` };
  }
}

export class DetailItem extends vscode.TreeItem {
  constructor(
    readonly service: ServiceStatus,
    detail: DetailModel,
  ) {
    super(detail.label, vscode.TreeItemCollapsibleState.None);
    this.id = `service:${service.name}:${detail.key}`;
    this.description = detail.description;
    this.iconPath = themeIcon(detail.icon, detail.color);
    this.tooltip = detail.tooltip;
    this.contextValue = detail.contextValue;
    this.accessibilityInformation = { label: `${service.name} ${detail.label}: ${detail.description}` };
    if (detail.key === 'restart' || detail.key.startsWith('probe')) this.command = { command: 'opsdeck.service.logs', title: 'View Logs', arguments: [service.name] };
  }
}

/** The one item while there is no engine. */
export class NoEngineItem extends vscode.TreeItem {
  constructor(snap: Pick<StackSnapshot, 'connection'>) {
    const m = noEngineModel(snap.connection);
    super(m.label, vscode.TreeItemCollapsibleState.None);
    this.id = 'no-engine';
    this.description = m.description;
    this.tooltip = m.tooltip;
    this.iconPath = themeIcon('debug-disconnect', 'list.warningForeground');
    this.contextValue = 'no-engine';
    this.accessibilityInformation = { label: `Opsdeck: no engine, ${m.description}` };
    this.command = { command: 'opsdeck.showEngineOutput', title: 'Show Engine Output' };
  }
}

type Item = ServiceItem | DetailItem | NoEngineItem;

export class ServicesTree implements vscode.TreeDataProvider<Item>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Item | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<Item>;
  private readonly subscriptions: vscode.Disposable[] = [];
  private stale = false;
  private ticker: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: StackStore,
    private readonly hasStack: () => boolean,
    private readonly now: () => number = Date.now,
  ) {
    this.view = vscode.window.createTreeView('opsdeck.services', { treeDataProvider: this, showCollapseAll: true });
    this.subscriptions.push(
      this.view,
      this.changed,
      this.view.onDidChangeVisibility(() => this.onVisibility()),
      store.onDidChange(() => this.invalidate()),
      { dispose: () => this.stopTicker() },
    );
    this.updateMessage();
  }

  getTreeItem(item: Item): vscode.TreeItem {
    return item;
  }

  getChildren(parent?: Item): Item[] {
    if (parent instanceof ServiceItem) return parent.details.map((d) => new DetailItem(parent.service, d));
    if (parent) return [];
    return this.roots(this.store.snapshot);
  }

  /** The top-level items of a snapshot: the services, or the one saying there is no engine. */
  private roots(snap: StackSnapshot): (ServiceItem | NoEngineItem)[] {
    if (!this.hasStack()) return [];
    if (!snap.status) return [new NoEngineItem(snap)];
    const now = this.now();
    return snap.status.services.map((s) => new ServiceItem(s, serviceDetails(s, snap.metrics, snap.backups, now), now, snap));
  }

  /** What the tree shows (for the test API); built from the snapshot even when the view is hidden. */
  snapshot(): ServiceItemSnapshot[] {
    return this.roots(this.store.snapshot).map((item) => ({
      label: String(item.label),
      description: String(item.description ?? ''),
      contextValue: String(item.contextValue ?? ''),
      ...(item instanceof ServiceItem ? { children: item.details.map((d) => ({ label: d.label, description: d.description })) } : {}),
    }));
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
    const status = this.store.snapshot.status;
    // Without a stack the view's welcome content (package.json) says so; without an engine, the one item does.
    const units = this.store.snapshot.units;
    const release = this.store.snapshot.release;
    const lines = [
      this.hasStack() && status?.services.length === 0 ? 'The stack has no services.' : undefined,
      this.hasStack() && release ? releaseLine(release) : undefined,
      this.hasStack() && units?.installed ? unitsLine(units) : undefined,
    ];
    this.view.message = lines.filter(Boolean).join(' ') || undefined;
  }

  /** Uptimes move every second: re-render (locally) once a second while visible and something runs. */
  private updateTicker(): void {
    const running = this.store.snapshot.status?.services.some((s) => isRunning(s) && s.startedAt !== undefined) ?? false;
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
