/**
 * Samples every service of the stack at a fixed interval (5 s by default) and keeps an hour of
 * history: CPU %, RSS and open file descriptors of each service's process tree, uptime,
 * restarts, probe latency p50/p95 and failure rate over the last 60 s (from `probe` events on
 * the bus), and the stack's IPC score with its ok / warn / critical level. One read of the
 * process table serves all services of a sample (the engine reads only the services' processes,
 * see Supervisor.readProcesses); open fds, the costliest to read, are counted every FDS_EVERY-th
 * sample. Time comes from the injected clock.
 */
import type { Clock, TimerHandle } from '../clock';
import type { EventBus } from '../events';
import { processTree, readProcessTable, treeRssMb, type ProcInfo } from '../supervisor/process-table';
import { CpuMeter } from './cpu';
import { IPC_WINDOW_MS, IpcLevelTracker, ipcScore, servicePressure, type IpcTransition, type ProbeSample } from './ipc-score';
import { openFds, treeOpenFds } from './open-fds';
import { ColumnRing, DEFAULT_HISTORY_CAPACITY, RingBuffer, type Sample } from './ring-buffer';

export const DEFAULT_SAMPLE_INTERVAL_MS = 5000;
/**
 * Open fds are counted on every FDS_EVERY-th sample, and on the first sample of a new process;
 * the samples in between report the last count of the same process.
 */
export const FDS_EVERY = 4;
/** Probe results kept per service at most, whatever the probe interval (the newest are kept). */
const MAX_PROBES_PER_SERVICE = 5000;

import type { Disposable, ServiceState } from '../contract/events';
import type { ServiceSnapshot } from '../contract/status';
import { type BacklogReading, DEFAULT_IPC_THRESHOLDS, HISTORY_METRICS, type HistoryMetric, type IpcLevel, type IpcScore, type IpcThresholds, type ServiceMetrics, type StackMetrics } from '../contract/metrics';

export interface IpcLevelChange extends IpcTransition {
  at: number;
  ipc: IpcScore;
  thresholds: IpcThresholds;
}

export interface MetricsCollectorOptions {
  bus: EventBus;
  clock: Clock;
  /** The services as they are now (Supervisor.snapshot). */
  snapshot: () => ServiceSnapshot[];
  /** Default 5000. */
  intervalMs?: number;
  /** Default 250 ms for every service. */
  latencyBudgetMs?: (service: string) => number | undefined;
  /** A service's backlog reading, for services that declare one. */
  backlog?: (service: string) => BacklogReading | undefined;
  /** Read on every sample, so a profile switch applies at once; default warn 70, critical 90. */
  thresholds?: () => IpcThresholds;
  /** Points below a threshold the score must fall to leave its level; default 10. */
  hysteresis?: number;
  /** Called when the IPC level changes (not on every sample). */
  onIpcLevel?: (change: IpcLevelChange) => void;
  /** Called with every sample once it is recorded (the long-term store's rollups). */
  onSample?: (metrics: StackMetrics) => void;
  /** History points kept per series; default 720 (one hour at 5 s). */
  historySize?: number;
  /** Default 60 s. */
  windowMs?: number;
  /**
   * Where the processes come from: a table holding at least every service's process tree.
   * Default: the machine's whole table (readProcessTable); the engine passes its supervisor's
   * reader of the services' processes.
   */
  processTable?: () => Promise<ProcInfo[]>;
  /** For tests: where fd counts come from. */
  openFds?: (pid: number) => Promise<number | undefined>;
}

export class MetricsCollector {
  readonly intervalMs: number;
  readonly windowMs: number;
  private readonly tracker: IpcLevelTracker;
  private readonly cpu = new CpuMeter();
  private readonly probes = new Map<string, ProbeSample[]>();
  /** Each service's state as the bus last reported it (probes while starting are not pressure). */
  private readonly states = new Map<string, ServiceState>();
  /** Each service's history: one column per HISTORY_METRICS entry. */
  private readonly series = new Map<string, ColumnRing>();
  private readonly ipcSeries: RingBuffer;
  private readonly historySize: number;
  private subscriptions: Disposable[] = [];
  private timer: TimerHandle | undefined;
  /** Bumped by stop(), so a tick still in flight from an earlier start() does not reschedule. */
  private loop = 0;
  private nextAt = 0;
  private inflight: Promise<void> | undefined;
  private last: StackMetrics | undefined;
  private samples = 0;
  /** Each service's last fd count, and of which process. */
  private readonly fds = new Map<string, { pid: number; count: number | undefined }>();

  constructor(private readonly opts: MetricsCollectorOptions) {
    this.intervalMs = opts.intervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS;
    this.windowMs = opts.windowMs ?? IPC_WINDOW_MS;
    this.historySize = opts.historySize ?? DEFAULT_HISTORY_CAPACITY;
    this.ipcSeries = new RingBuffer(this.historySize);
    this.tracker = new IpcLevelTracker({ thresholds: DEFAULT_IPC_THRESHOLDS, ...(opts.hysteresis !== undefined ? { hysteresis: opts.hysteresis } : {}) });
    this.subscribe();
  }

  /** Sample now and then every `intervalMs`. */
  start(): void {
    if (this.timer) return;
    this.subscribe();
    this.nextAt = this.opts.clock.now();
    this.schedule();
  }

  /** Stop sampling and listening; history and the last sample stay readable. */
  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.loop++;
    for (const s of this.subscriptions) s.dispose();
    this.subscriptions = [];
    // Not listening any more: states are learned afresh from the snapshot on the next start.
    this.states.clear();
  }

  /** Take one sample now. A sample already in progress is joined rather than doubled. */
  sampleNow(): Promise<void> {
    this.inflight ??= this.sample().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  /** The latest sample; before the first one, what is known without reading processes. */
  current(): StackMetrics {
    return this.last ?? this.build(this.opts.clock.now(), this.opts.snapshot(), undefined, this.tracker.level);
  }

  /** One service's history of one metric, oldest first; `sinceMs` is a clock timestamp. */
  history(service: string, metric: HistoryMetric, sinceMs?: number): Sample[] {
    return this.series.get(service)?.values(HISTORY_METRICS.indexOf(metric), sinceMs) ?? [];
  }

  /** The stack's IPC score at each sample, oldest first. */
  ipcHistory(sinceMs?: number): Sample[] {
    return this.ipcSeries.values(sinceMs);
  }

  // ------------------------------------------------------------------ internals

  private subscribe(): void {
    if (this.subscriptions.length) return;
    const { bus } = this.opts;
    this.subscriptions = [
      bus.on('state', (e) => {
        this.states.set(e.service, e.to);
        // A service stopped on request (or completed) has no channel to measure any more.
        if (e.to === 'stopped') this.probes.delete(e.service);
      }),
      bus.on('probe', (e) => {
        if (!this.states.has(e.service)) this.learnStates();
        // Failing readiness while a service starts up is not pressure: it is starting.
        if (this.states.get(e.service) === 'starting') return;
        let list = this.probes.get(e.service);
        if (!list) this.probes.set(e.service, (list = []));
        list.push({ at: e.at, ok: e.ok, latencyMs: e.latencyMs });
        if (list.length > MAX_PROBES_PER_SERVICE) list.splice(0, list.length - MAX_PROBES_PER_SERVICE);
      }),
    ];
  }

  /** States of services the bus has not told about yet, from the snapshot. */
  private learnStates(snapshots: ServiceSnapshot[] = this.opts.snapshot()): void {
    for (const s of snapshots) if (!this.states.has(s.name)) this.states.set(s.name, s.state);
  }

  private schedule(): void {
    const loop = this.loop;
    const delay = Math.max(0, this.nextAt - this.opts.clock.now());
    this.timer = this.opts.clock.setTimeout(async () => {
      try {
        await this.sampleNow();
      } catch (e) {
        process.emitWarning(`opsdeck metrics sample failed: ${(e as Error).message}`);
      }
      if (loop !== this.loop) return;
      this.nextAt += this.intervalMs;
      // After a long pause (a sleeping laptop), resume from now instead of catching up.
      if (this.nextAt <= this.opts.clock.now()) this.nextAt = this.opts.clock.now() + this.intervalMs;
      this.schedule();
    }, delay);
  }

  private async sample(): Promise<void> {
    const read = this.opts.processTable ?? readProcessTable;
    const table = await read().catch((): ProcInfo[] => []);
    const now = this.opts.clock.now();
    const snapshots = this.opts.snapshot();
    this.learnStates(snapshots);
    this.cpu.observe(table, now);
    const countFds = this.samples++ % FDS_EVERY === 0;
    const procs = await Promise.all(
      snapshots.map(async (s): Promise<ProcessNumbers | undefined> => {
        if (s.pid === undefined || table.length === 0) return undefined;
        const tree = processTree(table, s.pid);
        if (tree.length === 0) return undefined;
        return { cpuPercent: this.cpu.percent(tree), rssMb: treeRssMb(tree), openFds: await this.openFds(s.name, s.pid, tree, countFds) };
      }),
    );
    const byName = new Map(snapshots.map((s, i) => [s.name, procs[i]]));
    const metrics = this.build(now, snapshots, byName);
    const change = this.tracker.update(metrics.ipc.score, metrics.ipc.thresholds);
    metrics.ipc.level = this.tracker.level;
    this.last = metrics;
    this.record(metrics);
    this.opts.onSample?.(metrics);
    if (change && this.opts.onIpcLevel) {
      const { level: _level, thresholds, ...ipc } = metrics.ipc;
      try {
        this.opts.onIpcLevel({ ...change, at: now, ipc, thresholds });
      } catch (e) {
        process.emitWarning(`opsdeck IPC level listener failed: ${(e as Error).message}`);
      }
    }
  }

  /** A service's open fds: counted now, or the last count of the same process (see FDS_EVERY). */
  private async openFds(service: string, pid: number, tree: ProcInfo[], count: boolean): Promise<number | undefined> {
    const last = this.fds.get(service);
    if (!count && last?.pid === pid) return last.count;
    const n = await treeOpenFds(tree.map((p) => p.pid), this.opts.openFds ?? openFds);
    this.fds.set(service, { pid, count: n });
    return n;
  }

  private build(now: number, snapshots: ServiceSnapshot[], procs: Map<string, ProcessNumbers | undefined> | undefined, level: IpcLevel = 'ok'): StackMetrics {
    const services = snapshots.map((s): ServiceMetrics => {
      const probes = this.probes.get(s.name) ?? [];
      // Forget what has left the window.
      const firstKept = probes.findIndex((p) => p.at > now - this.windowMs);
      if (firstKept !== 0) probes.splice(0, firstKept === -1 ? probes.length : firstKept);
      const backlog = this.opts.backlog?.(s.name);
      const budget = this.opts.latencyBudgetMs?.(s.name);
      const pressure = servicePressure({
        service: s.name, probes: s.state === 'stopped' ? [] : probes, now, windowMs: this.windowMs,
        ...(budget !== undefined ? { latencyBudgetMs: budget } : {}),
        ...(backlog && s.state !== 'stopped' ? { backlog } : {}),
      });
      const p = procs?.get(s.name);
      return {
        service: s.name,
        state: s.state,
        up: s.pid !== undefined && (s.state === 'ready' || s.state === 'degraded'),
        pid: s.pid,
        cpuPercent: p?.cpuPercent === undefined ? undefined : Math.round(p.cpuPercent * 100) / 100,
        rssMb: p?.rssMb,
        openFds: p?.openFds,
        uptimeSec: s.pid !== undefined && s.startedAt !== undefined ? Math.max(0, now - s.startedAt) / 1000 : undefined,
        restarts: s.restarts,
        probeCount: pressure.probes,
        probeFailures: pressure.failures,
        probeFailureRate: pressure.failureRate,
        probeP50Ms: pressure.p50LatencyMs,
        probeP95Ms: pressure.p95LatencyMs,
        ipc: pressure,
      };
    });
    const ipc = ipcScore(services.map((m) => m.ipc));
    const thresholds = this.opts.thresholds?.() ?? DEFAULT_IPC_THRESHOLDS;
    return { at: now, intervalMs: this.intervalMs, windowMs: this.windowMs, services, ipc: { ...ipc, level, thresholds } };
  }

  private record(m: StackMetrics): void {
    this.ipcSeries.push(m.at, m.ipc.score);
    for (const s of m.services) {
      let ring = this.series.get(s.service);
      if (!ring) this.series.set(s.service, (ring = new ColumnRing(HISTORY_METRICS.length, this.historySize)));
      const values: Record<HistoryMetric, number | undefined> = {
        cpuPercent: s.cpuPercent, rssMb: s.rssMb, openFds: s.openFds, uptimeSec: s.uptimeSec, restarts: s.restarts,
        probeP50Ms: s.probeP50Ms, probeP95Ms: s.probeP95Ms, probeFailureRate: s.probeFailureRate, pressure: s.ipc.pressure,
      };
      ring.push(m.at, HISTORY_METRICS.map((metric) => values[metric]));
    }
  }
}

interface ProcessNumbers {
  cpuPercent: number | undefined;
  rssMb: number;
  openFds: number | undefined;
}
