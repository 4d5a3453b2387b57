/**
 * The engine's metrics as the surfaces read them: one sample of every service and of the stack's
 * IPC pressure score (GET /v1/metrics), its levels and thresholds, and the sampled history
 * behind the charts (GET /v1/metrics/history). Part of the contract (src/core/contract).
 */
import type { ServiceState } from './events';

export const DEFAULT_IPC_THRESHOLDS: IpcThresholds = Object.freeze({ warn: 70, critical: 90 });
/** A level is left only when the score falls this many points below the level's threshold. */
export const DEFAULT_IPC_HYSTERESIS = 10;

export interface BacklogReading {
  /** Items waiting (queue depth, pending requests…), in whatever unit the service declares. */
  value: number;
  /** The depth that counts as full pressure; must be > 0 (otherwise the backlog is ignored). */
  budget: number;
  /** Shown in explanations, e.g. "messages". */
  unit?: string;
}

export type PressureTerm = 'latency' | 'failures' | 'backlog';

export interface ServicePressure {
  service: string;
  /** max of the terms, uncapped (2 = twice the budget); undefined when the service has no samples. */
  pressure: number | undefined;
  /** The term that gave `pressure` (on a tie: failures, then latency, then backlog). */
  dominant: PressureTerm | undefined;
  /** Each term that could be computed, as a fraction of its budget. */
  terms: Partial<Record<PressureTerm, number>>;
  /** Probes in the window, and how many failed. */
  probes: number;
  failures: number;
  /** failures / probes; undefined with no probes. */
  failureRate: number | undefined;
  /** Latency percentiles (nearest rank) of the *successful* probes in the window. */
  p50LatencyMs: number | undefined;
  p95LatencyMs: number | undefined;
  latencyBudgetMs: number;
  backlog: BacklogReading | undefined;
  /** Why, in words, from the dominant term: "storage p95 480 ms > budget 250 ms". */
  detail: string;
}

export interface IpcScore {
  /** 0 to 100. */
  score: number;
  /** The service with the highest pressure (the first one on a tie); undefined with no samples. */
  worst: ServicePressure | undefined;
  /** "IPC 100: storage p95 480 ms > budget 250 ms", or "IPC 0: no probe results in the last 60 s". */
  summary: string;
}

export type IpcLevel = 'ok' | 'warn' | 'critical';
export const IPC_LEVELS: readonly IpcLevel[] = ['ok', 'warn', 'critical'];

export interface IpcThresholds {
  warn: number;
  critical: number;
}

/** The highest level whose threshold the score reaches, or that it holds and has not fallen out of. */
export function levelFor(score: number, current: IpcLevel, t: IpcThresholds, hysteresis = DEFAULT_IPC_HYSTERESIS): IpcLevel {
  const held = IPC_LEVELS.indexOf(current);
  for (const level of ['critical', 'warn'] as const) {
    const threshold = t[level];
    if (score >= threshold) return level;
    if (IPC_LEVELS.indexOf(level) <= held && score > Math.max(0, threshold - hysteresis)) return level;
  }
  return 'ok';
}

export interface ServiceMetrics {
  service: string;
  state: ServiceState;
  /** Running and past readiness (ready or degraded). */
  up: boolean;
  pid: number | undefined;
  /** CPU of the process tree since the previous sample, 100 = one core; undefined on the first sample. */
  cpuPercent: number | undefined;
  /** Resident memory of the process tree, MB (MiB). */
  rssMb: number | undefined;
  /** Open file descriptors of the process tree (Linux only). */
  openFds: number | undefined;
  /** Seconds since the current process was started; undefined when not running. */
  uptimeSec: number | undefined;
  /** Restarts made by the engine since the service was last started on request. */
  restarts: number;
  /** Probe results in the IPC window (60 s) and how many failed. */
  probeCount: number;
  probeFailures: number;
  probeFailureRate: number | undefined;
  /** Latency of the successful probes in the window, nearest-rank percentiles, ms. */
  probeP50Ms: number | undefined;
  probeP95Ms: number | undefined;
  /** This service's part of the IPC score (pressure, dominant term, explanation). */
  ipc: ServicePressure;
}

export interface StackIpc extends IpcScore {
  level: IpcLevel;
  thresholds: IpcThresholds;
}

export interface StackMetrics {
  /** When the sample was taken (clock ms). */
  at: number;
  intervalMs: number;
  windowMs: number;
  services: ServiceMetrics[];
  ipc: StackIpc;
}

/** The per-service numbers kept as history. */
export const HISTORY_METRICS = [
  'cpuPercent', 'rssMb', 'openFds', 'uptimeSec', 'restarts', 'probeP50Ms', 'probeP95Ms', 'probeFailureRate', 'pressure',
] as const;
export type HistoryMetric = (typeof HISTORY_METRICS)[number];

/** Which history `Engine.metricsHistory` returns: since a time (clock ms), of some services and metrics (default: all). */
export interface MetricsHistoryQuery {
  since?: number;
  services?: string[];
  metrics?: HistoryMetric[];
}

/** One restart in a metrics history, from the engine's `restart` events. */
export interface RestartMark {
  at: number;
  service: string;
  cause?: string;
  detail?: string;
  attempt?: number;
}

/** The sampled history behind the charts: `[at, value]` points, oldest first. */
export interface MetricsHistory {
  /** When it was read (clock ms). */
  at: number;
  since?: number;
  intervalMs: number;
  thresholds: IpcThresholds;
  services: Record<string, Partial<Record<HistoryMetric, [number, number][]>>>;
  ipc: [number, number][];
  restarts: RestartMark[];
}

