/**
 * The state of the Metrics view, fed by the host's messages (already validated): the latest
 * status and sample, the chart series of the chosen range (a history load, then one point per
 * sample), the restart timeline, backups and connection. `apply` says what changed so the view
 * redraws only that. No DOM: unit-tested in Node.
 */
import {
  CHART_METRICS,
  HISTORY_RANGES,
  type BackupsInfo,
  type ChartMetric,
  type HistoryRange,
  type HostMessage,
  type MetricsSample,
  type Points,
  type RestartMark,
  type SidebarCommandType,
  type StatusSnapshot,
  type Thresholds,
} from '../../src/shared/protocol';
import { appendPoint, trimPoints } from './series';
import type { ViewState } from './view-state';

export type Change = 'status' | 'sample' | 'series' | 'restarts' | 'backups' | 'connection' | 'command';

export interface CommandState {
  command: SidebarCommandType;
  /** Still running, or how it ended. */
  state: 'running' | 'ok' | 'failed';
  message?: string;
}

const DEFAULT_THRESHOLDS: Thresholds = { warn: 70, critical: 90 };

export class SidebarModel {
  range: HistoryRange;
  status: StatusSnapshot | undefined;
  sample: MetricsSample | undefined;
  backups: BackupsInfo | undefined;
  connection: { state: 'connected' | 'unavailable' | 'unknown'; message?: string } = { state: 'unknown' };
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
    this.status = state.status;
    this.sample = state.sample;
    this.backups = state.backups;
    this.now = Math.max(state.status?.at ?? 0, state.sample?.at ?? 0);
    if (state.sample?.ipc.thresholds) this.thresholds = state.sample.ipc.thresholds;
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
      case 'status':
        this.status = m.status;
        this.now = Math.max(this.now, m.status.at);
        if (m.status.ipc.thresholds) this.thresholds = m.status.ipc.thresholds;
        return ['status'];
      case 'metrics':
        return this.applySample(m.sample);
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
      case 'backups':
        this.backups = m.backups;
        return ['backups'];
      case 'connection':
        this.connection = { state: m.state, ...(m.message !== undefined ? { message: m.message } : {}) };
        return ['connection'];
      case 'commandResult':
        this.command = { command: m.command, state: m.ok ? 'ok' : 'failed', ...(m.message !== undefined ? { message: m.message } : {}) };
        return ['command'];
    }
  }

  private applySample(sample: MetricsSample): Change[] {
    this.sample = sample;
    this.thresholds = sample.ipc.thresholds;
    this.now = Math.max(this.now, sample.at);
    const changes: Change[] = ['sample'];
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

  /** The part of the model worth keeping across a hide (`vscode.setState`). */
  persisted(open: ViewState['open']): ViewState {
    return {
      v: 1,
      range: this.range,
      open,
      ...(this.status ? { status: this.status } : {}),
      ...(this.sample ? { sample: this.sample } : {}),
      ...(this.backups ? { backups: this.backups } : {}),
    };
  }
}
