/**
 * Notifications: engine events (pushed over the API) and engine problems become VS Code
 * messages of matching severity, with the actions that help (Show Logs, Restart, Open
 * Dashboard…). What to show and when is decided by the vscode-free notify-policy.ts (level
 * setting, silenced kinds, cooldown, incidents); this file only shows, and keeps one notification
 * per incident:
 *
 *   a service crashed        → a progress notification "storage crashed…; restarting" (with a
 *                              Show Logs link), its message updated by later news about it
 *   it is up again (store)   → the same notification says "storage recovered after 1.2s", then
 *                              closes; a failure instead closes it and shows an error with
 *                              Show Logs and Restart (the same incident, now needing a decision)
 *
 * A toast VS Code shows cannot be edited or closed by an extension; a progress notification can
 * (its message is updated and it closes when its task ends), so live incidents use one. Silencing
 * a kind is the `opsdeck.notifications.silenced` setting (and VS Code's own per-extension filter
 * in the notification's gear menu), not a button next to the actions.
 */
import * as vscode from 'vscode';
import type { EngineEvent, IpcLevel, StackHealth } from '../core/contract';
import type { EngineConnection } from './engine-connection';
import { HealthPick, type HealthPickSnapshot } from './health-pick';
import { engineErrorNotice, IncidentBook, noticeFor, NotifyPolicy, type Incident, type Notice, type NoticeAction, type NotificationKind, type Resolution, type Severity } from './notify-policy';
import { settings } from './settings';
import type { StackSnapshot } from './state/stack-store';

export interface ShownNotification {
  kind: NotificationKind;
  severity: Severity;
  /** What it says now (an incident's last message: "storage recovered after 1.2s"). */
  message: string;
  /** Everything it said, oldest first (an incident's updates). */
  messages: string[];
  /** The incident it is about (`down:<service>`), if any, and whether that is over. */
  incident?: string;
  resolved?: boolean;
  /** Its buttons. */
  actions: string[];
}

/** What Notifications reads of the store (StackStore, or a fake). */
export interface NotificationStore {
  readonly snapshot: StackSnapshot;
  onDidChange(fn: (s: StackSnapshot) => void): vscode.Disposable;
}

const ACTION_LABEL: Record<NoticeAction, string> = {
  'show-logs': 'Show Logs',
  restart: 'Restart',
  'open-dashboard': 'Open Dashboard',
  'show-engine-output': 'Show Engine Output',
  'backup-now': 'Backup Now',
  'open-report': 'Open',
  'show-release-report': 'Show Report',
};
const HISTORY = 200;
/** How long a recovered incident's notification stays before it closes. */
const RESOLVED_VISIBLE_MS = 6000;
/** After a command that reports its own result, its engine events stay quiet this much longer. */
const QUIET_GRACE_MS = 5000;

/** A progress notification whose message can change until it ends. */
class LiveNotification {
  private report: ((message: string) => void) | undefined;
  private pending: string;
  private end!: () => void;
  private ended = false;

  constructor(message: string) {
    this.pending = message;
    const done = new Promise<void>((resolve) => (this.end = resolve));
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Opsdeck' }, (p) => {
      this.report = (m) => p.report({ message: m });
      this.report(this.pending);
      return done;
    });
  }

  update(message: string): void {
    if (this.ended) return;
    this.pending = message;
    this.report?.(message);
  }

  close(afterMs = 0): void {
    if (this.ended) return;
    this.ended = true;
    if (afterMs > 0) setTimeout(() => this.end(), afterMs);
    else this.end();
  }
}

export class Notifications implements vscode.Disposable {
  readonly policy: NotifyPolicy;
  private readonly incidents = new IncidentBook();
  /** The live notification of each open incident shown as progress (key → it). */
  private readonly live = new Map<string, LiveNotification>();
  private readonly shown: ShownNotification[] = [];
  /** Kinds running commands report themselves (Backup Now…): how many run, and quiet until when after. */
  private readonly reporting = new Map<NotificationKind, number>();
  private readonly quietUntil = new Map<NotificationKind, number>();
  private readonly health = new HealthPick();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    connection: EngineConnection,
    private readonly store: NotificationStore,
    private readonly log: vscode.LogOutputChannel,
    opts: { now?: () => number; cooldownMs?: number } = {},
  ) {
    this.policy = new NotifyPolicy({ level: settings.notificationLevel, silenced: settings.silenced, ...opts });
    this.subscriptions.push(
      this.health,
      connection.onDidReceiveEvent((e) => this.onEvent(e)),
      connection.onDidFail((p) => this.notify(engineErrorNotice(p.message, p.key, p.severity))),
      connection.onDidChangeMode(() => {
        this.policy.reset();
        for (const incident of this.incidents.clear()) this.finish({ incident, outcome: 'gone', message: undefined });
      }),
      store.onDidChange((s) => this.observe(s)),
    );
  }

  /** An engine event. */
  onEvent(e: EngineEvent): void {
    // With IPC thresholds overridden in settings, the status bar's level changes decide instead.
    if (e.type === 'ipc' && settings.ipcOverride()) return;
    const n = noticeFor(e);
    if (!n) return;
    if (this.isQuiet(n.kind)) {
      this.log.debug(`notification not shown (a command reports it): ${n.message}`);
      return;
    }
    if (n.incident && this.live.has(n.incident)) {
      this.updateIncident(n, e.at);
      return;
    }
    void this.notify(n, e.at);
  }

  /** The IPC level the extension shows changed (settings override the profile's thresholds). */
  onIpcLevel(change: { from: IpcLevel; to: IpcLevel; score: number; summary: string }): void {
    if (!settings.ipcOverride()) return;
    const n = noticeFor({ type: 'ipc', at: Date.now(), service: 'stack', from: change.from, to: change.to, score: change.score, summary: change.summary });
    if (n) void this.notify(n);
  }

  /**
   * The result of Run Health Check: every service with its level and reason in a quick pick
   * (health-pick.ts), and the level in the status bar. The user asked, so it is shown every time;
   * failing checks the engine runs by itself notify through the policy as `check` events.
   */
  healthResult(h: StackHealth): void {
    vscode.window.setStatusBarMessage(`$(checklist) Opsdeck health ${h.level}: ${h.summary}`, 10_000);
    this.health.show(h);
  }

  /** The last health result shown (the test API). */
  lastHealth(): HealthPickSnapshot | undefined {
    return this.health.snapshot();
  }

  /**
   * Run a command that reports its own result (Backup Now, Restore, Verify): the engine events
   * of `kinds` it causes are not notified again, so the user sees one notification.
   */
  async reportsItself<T>(kinds: NotificationKind[], work: () => PromiseLike<T>): Promise<T> {
    for (const k of kinds) this.reporting.set(k, (this.reporting.get(k) ?? 0) + 1);
    try {
      return await work();
    } finally {
      for (const k of kinds) {
        this.reporting.set(k, (this.reporting.get(k) ?? 1) - 1);
        this.quietUntil.set(k, Date.now() + QUIET_GRACE_MS);
      }
    }
  }

  /** A command's result (asked for, so not subject to the policy's level or cooldown). */
  commandResult(n: Notice): Promise<void> {
    return this.showMessage(n);
  }

  /** Show a notice if the policy allows; resolves when the user picked an action (or closed it). */
  notify(n: Notice, at = Date.now()): Promise<void> {
    const decision = this.policy.decide(n);
    if (!decision.show) {
      this.log.debug(`notification not shown (${decision.reason}): ${n.message}`);
      return Promise.resolve();
    }
    const recorded = this.incidents.record(n, at, this.serviceNow(n.service));
    if (recorded?.opened) {
      this.openIncident(recorded.incident);
      return Promise.resolve();
    }
    return this.showMessage(n); // (an open incident shown as a message: news about it is another message)
  }

  /** What was shown, oldest first (the test API). */
  history(): ShownNotification[] {
    return this.shown.map((s) => ({ ...s, messages: [...s.messages] }));
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    for (const l of this.live.values()) l.close();
    this.live.clear();
  }

  // ------------------------------------------------------------------ incidents

  /** A new incident: a live (progress) notification, or a message when it needs a decision at once. */
  private openIncident(incident: Incident): void {
    const n = incident.notice;
    if (n.severity === 'error') {
      void this.showMessage(n);
    } else {
      this.record({ ...n, message: n.live ?? n.message }, n.service && n.actions.includes('show-logs') ? [ACTION_LABEL['show-logs']] : []);
      this.live.set(incident.key, new LiveNotification(liveText(n)));
      this.log.info(`notification (${n.severity}, live): ${n.message}`);
    }
    // The store may already show the service back (a fast restart): end it right away then.
    this.observe(this.store.snapshot);
  }

  /** Newer news about an open incident: the live notification says it, or gives way to an error. */
  private updateIncident(n: Notice, at: number): void {
    const incident = this.incidents.record(n, at, this.serviceNow(n.service))!.incident;
    const live = this.live.get(incident.key)!;
    this.policy.markShown(n); // the same news again (gave-up, then state failed) is not another message
    if (n.severity === 'error') {
      // It failed: a decision is needed (Show Logs, Restart), which only a message offers.
      live.close();
      this.live.delete(incident.key);
      void this.showMessage(n);
      return;
    }
    const text = n.live ?? n.message;
    this.amend(incident.key, (s) => ({ ...s, kind: n.kind, severity: worse(s.severity, n.severity), message: text, messages: [...s.messages, text] }));
    live.update(liveText(n));
    this.log.info(`notification updated: ${text}`);
  }

  /** A new snapshot of the store: the incidents it ends. */
  private observe(s: StackSnapshot): void {
    for (const r of this.incidents.observe(s.connection.mode === 'none' ? undefined : s.status?.services, s.at)) this.finish(r);
  }

  private finish({ incident, message }: Resolution): void {
    const live = this.live.get(incident.key);
    this.live.delete(incident.key);
    if (message) {
      this.amend(incident.key, (s) => ({ ...s, message, messages: [...s.messages, message], resolved: true }));
      this.log.info(`notification resolved: ${message}`);
      if (live) live.update(message);
      else vscode.window.setStatusBarMessage(`$(pass) Opsdeck: ${message}`, 10_000);
    } else {
      this.amend(incident.key, (s) => ({ ...s, resolved: true }));
    }
    live?.close(message ? RESOLVED_VISIBLE_MS : 0);
  }

  private serviceNow(service: string | undefined) {
    return service ? this.store.snapshot.status?.services.find((s) => s.name === service) : undefined;
  }

  private isQuiet(kind: NotificationKind): boolean {
    return (this.reporting.get(kind) ?? 0) > 0 || Date.now() < (this.quietUntil.get(kind) ?? 0);
  }

  // ------------------------------------------------------------------ showing

  private record(n: Notice, actions: string[]): void {
    this.shown.push({ kind: n.kind, severity: n.severity, message: n.message, messages: [n.message], ...(n.incident ? { incident: n.incident, resolved: false } : {}), actions });
    if (this.shown.length > HISTORY) this.shown.shift();
  }

  /** Replace the newest history entry of an incident (entries are replaced, never mutated). */
  private amend(incident: string, fn: (s: ShownNotification) => ShownNotification): void {
    for (let i = this.shown.length - 1; i >= 0; i--) {
      if (this.shown[i]!.incident === incident) {
        this.shown[i] = fn(this.shown[i]!);
        return;
      }
    }
  }

  /** A message with the notice's actions as buttons; resolves when the user picked one (or closed it). */
  private showMessage(n: Notice): Promise<void> {
    const labels = n.actions.map((a) => ACTION_LABEL[a]);
    if (n.incident && this.shown.some((s) => s.incident === n.incident && !s.resolved)) {
      this.amend(n.incident, (s) => ({ ...s, kind: n.kind, severity: worse(s.severity, n.severity), message: n.message, messages: [...s.messages, n.message], actions: labels }));
    } else {
      this.record(n, labels);
    }
    this.log.info(`notification (${n.severity}): ${n.message}`);
    const show = n.severity === 'error' ? vscode.window.showErrorMessage : n.severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    return Promise.resolve(show(`Opsdeck: ${n.message}`, ...labels)).then(async (picked) => {
      const action = n.actions.find((a) => ACTION_LABEL[a] === picked);
      if (action) await runAction(action, n.service).catch(() => undefined); // the command showed its own error
    });
  }
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };
const worse = (a: Severity, b: Severity): Severity => (RANK[b] > RANK[a] ? b : a);

/** A live notification's text: the message, and a Show Logs link for a service (progress notifications have no buttons). */
function liveText(n: Notice): string {
  const text = n.live ?? n.message;
  if (!n.service || !n.actions.includes('show-logs')) return text;
  return `${text} [Show Logs](command:opsdeck.service.logs?${encodeURIComponent(JSON.stringify([n.service]))})`;
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
    case 'open-report':
      await vscode.commands.executeCommand('opsdeck.showReport', 'latest');
      return;
    case 'show-release-report':
      await vscode.commands.executeCommand('opsdeck.showReleaseReport');
      return;
  }
}
