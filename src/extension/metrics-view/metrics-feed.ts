/**
 * What feeds the Metrics webview, without vscode: it answers the webview's messages and, only
 * while the view is visible, follows the engine's events and polls the metrics sample at the
 * engine's sampling interval. Hidden, it holds no subscription and no timer, and drops any
 * answer still in flight. The provider wires it to a real WebviewView.
 *
 *   visible & the webview said `ready`  → subscribe to events, poll metrics, refresh backups
 *   an event that changes state         → status again (debounced), a restart → its mark at once
 *   hidden                              → unsubscribe, cancel timers, ignore late answers
 */
import { type Clock, type EngineEvent, systemClock, type TimerHandle } from '../../core/contract';
import {
  DEFAULT_HISTORY_RANGE,
  hostMessageSchema,
  isSidebarCommand,
  parseWebviewMessage,
  type BackupsInfo,
  type HistoryRange,
  type HostMessage,
  type SidebarCommand,
} from '../../shared/protocol';
import type { MetricsSource, SourceDisposable } from './metrics-source';
import { historyPayload, metricsSample, rangeStart, restartFromEvent, statusSnapshot } from './shape';

export interface MetricsFeedOptions {
  source: MetricsSource;
  /** Send a message to the webview (`webview.postMessage`). */
  post: (message: HostMessage) => unknown;
  clock?: Clock;
  log?: (line: string) => void;
  /** Metrics poll period until the engine tells its sampling interval (default 5 s). */
  pollMs?: number;
  /** Backups info refresh period while visible (default 60 s). */
  backupsMs?: number;
  /** Status refresh after a burst of events (default 250 ms). */
  debounceMs?: number;
}

/** Events after which the status (states, restarts, IPC level) is read again. */
const STATUS_EVENTS = new Set<string>(['state', 'spawn', 'exit', 'restart', 'retry-reset', 'gave-up', 'limit', 'ipc']);
const MIN_POLL_MS = 1000;

export const BACKUPS_UNAVAILABLE: BackupsInfo = { available: false, reason: 'This engine keeps no backups yet.' };

export class MetricsFeed {
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private visible = false;
  /** The webview has loaded at least once (it posts `ready` on every load). */
  private loaded = false;
  private disposed = false;
  private range: HistoryRange = DEFAULT_HISTORY_RANGE;
  private pollMs: number;
  /** Bumped whenever feeding stops: answers of an older generation are dropped. */
  private generation = 0;
  private subscription: SourceDisposable | undefined;
  private timers: { poll?: TimerHandle; status?: TimerHandle; backups?: TimerHandle } = {};
  private connected: boolean | undefined;
  private backupsAvailable = false;

  constructor(private readonly opts: MetricsFeedOptions) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? ((line) => console.warn(`[opsdeck metrics view] ${line}`));
    this.pollMs = opts.pollMs ?? 5000;
  }

  /** Whether events are followed and timers run (visible, loaded, not disposed). */
  get active(): boolean {
    return this.subscription !== undefined;
  }

  setVisible(visible: boolean): void {
    if (this.disposed || visible === this.visible) return;
    this.visible = visible;
    if (!visible) this.stop();
    else if (this.loaded) void this.start();
  }

  /** A message from the webview: validated, then acted on. Invalid ones are logged and ignored. */
  async receive(data: unknown): Promise<void> {
    if (this.disposed) return;
    const parsed = parseWebviewMessage(data);
    if (!parsed.ok) {
      this.log(parsed.error);
      return;
    }
    const m = parsed.message;
    switch (m.type) {
      case 'ready':
        this.loaded = true;
        if (m.range) this.range = m.range;
        if (this.visible) await this.start();
        return;
      case 'requestHistory':
        this.range = m.range;
        if (this.visible) await this.sendHistory(this.generation);
        return;
      default:
        if (isSidebarCommand(m)) await this.run(m);
    }
  }

  dispose(): void {
    this.stop();
    this.disposed = true;
  }

  // ------------------------------------------------------------------ feeding

  private async start(): Promise<void> {
    // (Re)start from scratch: a reloaded webview wants everything again.
    this.stop();
    const gen = this.generation;
    this.subscription = this.opts.source.onEvent((e) => this.onEvent(e, gen));
    await Promise.all([this.sendStatus(gen), this.poll(gen), this.sendHistory(gen), this.refreshBackups(gen)]);
  }

  private stop(): void {
    this.generation++;
    this.subscription?.dispose();
    this.subscription = undefined;
    for (const t of Object.values(this.timers)) t?.cancel();
    this.timers = {};
  }

  private live(gen: number): boolean {
    return !this.disposed && this.visible && gen === this.generation;
  }

  private post(message: HostMessage, gen: number): void {
    if (!this.live(gen)) return;
    // Our own output is checked too: a shaping bug must show in the log, not as a broken view.
    const checked = hostMessageSchema.safeParse(message);
    if (!checked.success) {
      this.log(`not sent, invalid ${message.type} message: ${checked.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      return;
    }
    try {
      void Promise.resolve(this.opts.post(checked.data)).catch(() => undefined);
    } catch {
      // The webview is gone; its disposal stops the feed.
    }
  }

  /** Run `fn` against the source; on failure say the engine is unavailable (once) and give undefined. */
  private async ask<T>(gen: number, what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      const value = await fn();
      if (this.live(gen) && this.connected !== true) {
        this.connected = true;
        this.post({ type: 'connection', state: 'connected' }, gen);
      }
      return value;
    } catch (e) {
      const message = errorText(e);
      if (this.live(gen) && this.connected !== false) {
        this.connected = false;
        this.log(`${what} failed: ${message}`);
        this.post({ type: 'connection', state: 'unavailable', message }, gen);
      }
      return undefined;
    }
  }

  private onEvent(e: EngineEvent, gen: number): void {
    if (!this.live(gen)) return;
    if (e.type === 'restart') this.post({ type: 'restart', restart: restartFromEvent(e) }, gen);
    if (STATUS_EVENTS.has(e.type)) this.scheduleStatus(gen);
    // A backup changes the backups panel.
    if (e.type === 'backup') void this.refreshBackups(gen, false);
  }

  private scheduleStatus(gen: number): void {
    if (this.timers.status) return;
    this.timers.status = this.clock.setTimeout(() => {
      this.timers.status = undefined;
      void this.sendStatus(gen);
    }, this.opts.debounceMs ?? 250);
  }

  private async sendStatus(gen: number): Promise<void> {
    const both = await this.ask(gen, 'status', () => Promise.all([this.opts.source.status(), this.opts.source.profiles()]));
    if (both && this.live(gen)) this.post({ type: 'status', status: statusSnapshot(both[0], both[1], this.clock.now()) }, gen);
  }

  private async poll(gen: number): Promise<void> {
    const m = await this.ask(gen, 'metrics', () => this.opts.source.metrics());
    if (!this.live(gen)) return;
    if (m) {
      if (Number.isFinite(m.intervalMs) && m.intervalMs > 0) this.pollMs = Math.max(MIN_POLL_MS, m.intervalMs);
      this.post({ type: 'metrics', sample: metricsSample(m) }, gen);
    }
    this.timers.poll = this.clock.setTimeout(() => void this.poll(gen), this.pollMs);
  }

  private async sendHistory(gen: number): Promise<void> {
    const range = this.range;
    const since = rangeStart(range, this.clock.now());
    const h = await this.ask(gen, 'history', () => this.opts.source.history(since));
    if (h && this.live(gen)) this.post({ type: 'history', history: historyPayload(h, range, since) }, gen);
  }

  private async refreshBackups(gen: number, reschedule = true): Promise<void> {
    const { backups } = this.opts.source;
    let info: BackupsInfo = BACKUPS_UNAVAILABLE;
    if (backups) {
      try {
        info = await backups.call(this.opts.source);
      } catch (e) {
        info = { available: false, reason: `Backups could not be read: ${errorText(e)}` };
      }
    }
    if (!this.live(gen)) return;
    this.backupsAvailable = info.available;
    this.post({ type: 'backups', backups: info }, gen);
    if (reschedule && backups) {
      this.timers.backups?.cancel();
      this.timers.backups = this.clock.setTimeout(() => void this.refreshBackups(gen), this.opts.backupsMs ?? 60_000);
    }
  }

  private async run(command: SidebarCommand): Promise<void> {
    const gen = this.generation;
    if (command.type === 'backupNow' && !this.backupsAvailable) {
      this.post({ type: 'commandResult', command: command.type, ok: false, message: 'Backups are not available for this stack yet.' }, gen);
      return;
    }
    try {
      await this.opts.source.run(command);
      this.post({ type: 'commandResult', command: command.type, ok: true }, this.generation);
    } catch (e) {
      this.log(`${command.type} failed: ${errorText(e)}`);
      this.post({ type: 'commandResult', command: command.type, ok: false, message: errorText(e) }, this.generation);
    }
    // The answer may come after the view was hidden and shown again: feed the current generation.
    if (this.live(this.generation)) {
      this.scheduleStatus(this.generation);
      if (command.type === 'backupNow') void this.refreshBackups(this.generation, false);
    }
  }
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    const hint = (e as { hint?: unknown }).hint;
    return (typeof hint === 'string' && hint ? `${e.message} (${hint})` : e.message).slice(0, 2000);
  }
  return String(e).slice(0, 2000);
}
