/**
 * The state of the Metrics view, fed by the host's messages (already validated): the extension's
 * state snapshot (header, status, sample, backups, connection), the chart series of the chosen
 * range (a history load, then one point per new sample), the restart timeline. A snapshot of a
 * new epoch (reconnect, engine restart) or without an engine drops the series: nothing of a
 * former engine is shown. `apply` says what changed so the view redraws only that. No DOM:
 * unit-tested in Node.
 */
import {
  CHART_METRICS,
  HISTORY_RANGES,
  type BackupsInfo,
  type ChartMetric,
  type ConnectionState,
  type Header,
  type HistoryRange,
  type HostMessage,
  type MetricsSample,
  type Points,
  type RestartMark,
  type SidebarCommandType,
  type StackState,
  type StatusSnapshot,
  type Thresholds,
} from '../../src/shared/protocol';
import { appendPoint, trimPoints } from './series';
import type { ViewState } from './view-state';

export type Change = 'state' | 'series' | 'restarts' | 'command';

export interface CommandState {
  command: SidebarCommandType;
  /** Still running, or how it ended. */
  state: 'running' | 'ok' | 'failed';
  message?: string;
}

const DEFAULT_THRESHOLDS: Thresholds = { warn: 70, critical: 90 };

export class SidebarModel {
  range: HistoryRange;
  /** The snapshot's sequence number and epoch (-1: none yet). */
  seq = -1;
  epoch = -1;
  header: Header | undefined;
  status: StatusSnapshot | undefined;
  sample: MetricsSample | undefined;
  backups: BackupsInfo | undefined;
  /** `unknown` until the first state arrives. */
  connection: ConnectionState | { state: 'unknown' } = { state: 'unknown' };
  command: CommandState | undefined;
  ipc: Points = [];
  thresholds: Thresholds = DEFAULT_THRESHOLDS;
  restarts: RestartMark[] = [];
  /** Whether a history of the current range has arrived. */
  historyLoaded = false;
  /** The newest time known (engine clock, ms): the right edge of the charts. */
  now = 0;
  private readonly series = new Map<string, Map<ChartMetric, Points>>();

  constructor(state: ViewState) {
    this.range = state.range;
  }

  /** Whether there is an engine to show (a state said so). */
  get connected(): boolean {
    return this.connection.state === 'connected';
  }

  /** Where the charts start. */
  get since(): number {
    return this.now - HISTORY_RANGES[this.range];
  }

  /** The services to show, in the status's order, then any only the sample knows. */
  get services(): string[] {
    const names = this.status?.services.map((s) => s.name) ?? [];
    for (const s of this.sample?.services ?? []) if (!names.includes(s.name)) names.push(s.name);
    return names;
  }

  points(service: string, metric: ChartMetric): Points {
    return this.series.get(service)?.get(metric) ?? [];
  }

  /** Switch range: the series are dropped until the history of the new range arrives. */
  setRange(range: HistoryRange): void {
    if (range === this.range) return;
    this.range = range;
    this.historyLoaded = false;
  }

  /** A command the user started (shown as running until its result comes). */
  startCommand(command: SidebarCommandType): void {
    this.command = { command, state: 'running' };
  }

  apply(m: HostMessage): Change[] {
    switch (m.type) {
      case 'state':
        return this.applyState(m.state);
      case 'history': {
        // A history of a range no longer shown (the user switched again meanwhile) is stale.
        if (m.history.range !== this.range) return [];
        this.series.clear();
        for (const s of m.history.series) this.seriesOf(s.service).set(s.metric, [...s.points]);
        this.ipc = [...m.history.ipc];
        this.thresholds = m.history.thresholds;
        this.restarts = [...m.history.restarts];
        this.now = Math.max(this.now, m.history.until);
        this.historyLoaded = true;
        this.trim();
        return ['series', 'restarts'];
      }
      case 'restart': {
        const r = m.restart;
        if (this.restarts.some((x) => x.at === r.at && x.service === r.service)) return [];
        this.restarts.push(r);
        this.restarts.sort((a, b) => a.at - b.at);
        this.now = Math.max(this.now, r.at);
        return ['restarts'];
      }
      case 'commandResult':
        this.command = { command: m.command, state: m.ok ? 'ok' : 'failed', ...(m.message !== undefined ? { message: m.message } : {}) };
        return ['command'];
    }
  }

  private applyState(s: StackState): Change[] {
    // An older snapshot than the one shown (messages keep their order; a reloaded view starts at -1).
    if (s.seq < this.seq && s.epoch <= this.epoch) return [];
    const changes: Change[] = ['state'];
    if (s.epoch !== this.epoch || s.connection.state !== 'connected') {
      // Another engine, or none: what was charted is stale; the host sends the new history.
      if (this.historyLoaded || this.ipc.length || this.restarts.length || this.series.size) changes.push('series', 'restarts');
      this.series.clear();
      this.ipc = [];
      this.restarts = [];
      this.historyLoaded = false;
    }
    this.seq = s.seq;
    this.epoch = s.epoch;
    this.connection = s.connection;
    this.header = s.header;
    this.status = s.status;
    this.backups = s.backups;
    this.now = Math.max(this.now, s.at, s.status?.at ?? 0);
    const sample = s.sample;
    if (!sample) this.sample = undefined;
    else if (sample.at !== this.sample?.at) changes.push(...this.applySample(sample));
    else this.sample = sample;
    return [...new Set(changes)];
  }

  private applySample(sample: MetricsSample): Change[] {
    this.sample = sample;
    this.thresholds = sample.ipc.thresholds;
    this.now = Math.max(this.now, sample.at);
    const changes: Change[] = [];
    // Before the history arrives, a sample alone would draw a lone point: wait for it.
    if (this.historyLoaded) {
      for (const s of sample.services) {
        const series = this.seriesOf(s.name);
        for (const metric of CHART_METRICS) {
          let points = series.get(metric);
          if (!points) series.set(metric, (points = []));
          appendPoint(points, sample.at, s[metric]);
        }
      }
      appendPoint(this.ipc, sample.at, sample.ipc.score);
      this.trim();
      changes.push('series');
    }
    return changes;
  }

  private seriesOf(service: string): Map<ChartMetric, Points> {
    let s = this.series.get(service);
    if (!s) this.series.set(service, (s = new Map()));
    return s;
  }

  private trim(): void {
    const since = this.since;
    for (const metrics of this.series.values()) for (const [metric, points] of metrics) metrics.set(metric, trimPoints(points, since));
    this.ipc = trimPoints(this.ipc, since);
    const first = this.restarts.findIndex((r) => r.at >= since);
    this.restarts = first === -1 ? [] : this.restarts.slice(first);
  }

  /** The part of the model worth keeping across a hide (`vscode.setState`): choices, never data. */
  persisted(open: ViewState['open']): ViewState {
    return { v: 1, range: this.range, open };
  }
}
