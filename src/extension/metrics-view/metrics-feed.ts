/**
 * What feeds the Metrics webview, without vscode. Status, metrics sample (IPC), profiles and
 * backups come from the extension's one state model (the StackStore): the feed posts a `state`
 * message for every new snapshot, so the view shows what the status bar and the tree show. It
 * reads only what the store does not hold: the chart history (for the range shown, read again
 * when the snapshot's epoch changes: a reconnect or an engine restart) and the restart events
 * for the timeline. Only while the view is visible: hidden, it holds no subscription and drops
 * any answer still in flight. The provider wires it to a real WebviewView.
 *
 *   visible & the webview said `ready`  → the current state, the history, then every new state
 *   a snapshot of a new epoch           → the history again (none while there is no engine)
 *   a restart event                     → its mark at once
 *   hidden                              → unsubscribe, ignore late answers
 */
import { type Clock, type EngineEvent, systemClock } from '../../core/contract';
import type { StackSnapshot } from '../state/stack-store';
import {
  DEFAULT_HISTORY_RANGE,
  HISTORY_RANGES,
  hostMessageSchema,
  isSidebarCommand,
  parseWebviewMessage,
  type HistoryRange,
  type HostMessage,
  type SidebarCommand,
} from '../../shared/protocol';
import type { MetricsSource, SourceDisposable } from './metrics-source';
import { historyPayload, rangeStart, restartFromEvent } from './shape';
import { backupsOfSnapshot, stateMessage } from './state-message';

/** What the feed needs of the StackStore (the real one, or a fake in tests). */
export interface FeedStore {
  readonly snapshot: StackSnapshot;
  onDidChange(listener: (snapshot: StackSnapshot) => void): SourceDisposable;
}

export interface MetricsFeedOptions {
  store: FeedStore;
  source: MetricsSource;
  /** Send a message to the webview (`webview.postMessage`). */
  post: (message: HostMessage) => unknown;
  clock?: Clock;
  log?: (line: string) => void;
}

export class MetricsFeed {
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private visible = false;
  /** The webview has loaded at least once (it posts `ready` on every load). */
  private loaded = false;
  private disposed = false;
  private range: HistoryRange = DEFAULT_HISTORY_RANGE;
  /** Bumped whenever feeding stops: answers of an older generation are dropped. */
  private generation = 0;
  private subscriptions: SourceDisposable[] = [];
  /** The epoch whose history was sent (or is on its way); undefined: read it at the next snapshot. */
  private historyEpoch: number | undefined;
  private historyFailed = false;

  constructor(private readonly opts: MetricsFeedOptions) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? ((line) => console.warn(`[opsdeck metrics view] ${line}`));
  }

  /** Whether the store and the events are followed (visible, loaded, not disposed). */
  get active(): boolean {
    return this.subscriptions.length > 0;
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
        if (this.visible && this.hasEngine()) await this.sendHistory(this.generation);
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
    this.subscriptions.push(
      this.opts.store.onDidChange((s) => void this.onSnapshot(s, gen)),
      this.opts.source.onEvent((e) => this.onEvent(e, gen)),
    );
    await this.onSnapshot(this.opts.store.snapshot, gen);
  }

  private stop(): void {
    this.generation++;
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.historyEpoch = undefined;
  }

  private live(gen: number): boolean {
    return !this.disposed && this.visible && gen === this.generation;
  }

  private hasEngine(s: StackSnapshot = this.opts.store.snapshot): boolean {
    return s.connection.mode !== 'none';
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

  /** A new snapshot: post it; read the history when its epoch has none yet. */
  private async onSnapshot(s: StackSnapshot, gen: number): Promise<void> {
    if (!this.live(gen)) return;
    this.post({ type: 'state', state: stateMessage(s) }, gen);
    if (this.hasEngine(s) && this.historyEpoch !== s.epoch) await this.sendHistory(gen);
  }

  private onEvent(e: EngineEvent, gen: number): void {
    if (this.live(gen) && e.type === 'restart') this.post({ type: 'restart', restart: restartFromEvent(e) }, gen);
  }

  private async sendHistory(gen: number): Promise<void> {
    const range = this.range;
    const epoch = this.opts.store.snapshot.epoch;
    this.historyEpoch = epoch;
    const since = rangeStart(range, this.clock.now());
    try {
      const h = await this.opts.source.history(since, HISTORY_RANGES[range]);
      this.historyFailed = false;
      // Read for an engine that is gone, or for a range no longer shown: a newer read follows.
      if (!this.live(gen) || this.opts.store.snapshot.epoch !== epoch || range !== this.range) return;
      this.post({ type: 'history', history: historyPayload(h, range, since) }, gen);
    } catch (e) {
      // Tried again at the next snapshot (the next metrics sample at the latest).
      if (this.live(gen) && this.historyEpoch === epoch) this.historyEpoch = undefined;
      if (!this.historyFailed) this.log(`history failed: ${errorText(e)}`);
      this.historyFailed = true;
    }
  }

  private async run(command: SidebarCommand): Promise<void> {
    const gen = this.generation;
    if (command.type === 'backupNow' && backupsOfSnapshot(this.opts.store.snapshot)?.available !== true) {
      this.post({ type: 'commandResult', command: command.type, ok: false, message: 'Backups are not available for this stack yet.' }, gen);
      return;
    }
    try {
      await this.opts.source.run(command);
      // The answer may come after the view was hidden and shown again: feed the current generation.
      this.post({ type: 'commandResult', command: command.type, ok: true }, this.generation);
    } catch (e) {
      this.log(`${command.type} failed: ${errorText(e)}`);
      this.post({ type: 'commandResult', command: command.type, ok: false, message: errorText(e) }, this.generation);
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
