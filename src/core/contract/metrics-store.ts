/**
 * The long-term metrics store as the surfaces read it (docs/metrics.md, "Long-term store"):
 * 1-minute and 1-hour rollups of every service's samples and probes, of the stack's IPC score,
 * and the marks (restarts, state changes, failed checks, backups, verifications, drills, RPO
 * changes, config changes) they were built from. Part of the contract (src/core/contract).
 */

export const ROLLUP_RESOLUTIONS = ['minute', 'hour'] as const;
export type RollupResolution = (typeof ROLLUP_RESOLUTIONS)[number];
export const RESOLUTION_MS: Record<RollupResolution, number> = { minute: 60_000, hour: 3_600_000 };

/** One service over one minute or one hour. */
export interface ServiceRollup {
  /** Start of the bucket (epoch ms). */
  at: number;
  service: string;
  /** Metric samples taken in the bucket (CPU and RSS are averaged over those with a value). */
  samples: number;
  cpuAvg?: number;
  cpuMax?: number;
  rssAvgMb?: number;
  rssMaxMb?: number;
  /** Readiness and liveness probe results in the bucket, and how many failed. */
  probes: number;
  probeFailures: number;
  /** Latency of the successful probes: exact in a minute, from a 5 % log histogram in an hour. */
  latencyP50Ms?: number;
  latencyP95Ms?: number;
  latencyMaxMs?: number;
  /** Seconds the service was wanted (any state but stopped), running (a process), ready (ready or degraded). */
  activeSec: number;
  upSec: number;
  readySec: number;
  restarts: number;
  checksOk: number;
  checksFailed: number;
}

/** The stack over one minute or one hour. */
export interface StackRollup {
  at: number;
  samples: number;
  ipcAvg?: number;
  ipcMax?: number;
  /** Samples per IPC score decile: [0-9], [10-19] … [90-99], [100]. */
  ipcBins: number[];
}

export const MARK_KINDS = ['state', 'restart', 'check', 'backup', 'verify', 'drill', 'restore', 'rpo', 'config', 'engine', 'maintenance', 'profile'] as const;
export type MarkKind = (typeof MARK_KINDS)[number];

/** A discrete fact kept as it happened (the report reads them): its fields depend on the kind. */
export interface MetricsMark {
  at: number;
  kind: MarkKind;
  /** The service, or `stack`. */
  service: string;
  data: Record<string, string | number | boolean | string[] | null>;
}

export interface RollupQuery {
  /** Epoch ms; default: the retention of the resolution. */
  since?: number;
  /** Epoch ms; default: now. */
  until?: number;
  services?: string[];
  /** Default: minute for a range up to 48 h, else hour. */
  resolution?: RollupResolution;
  /** Include the marks of the range. Default false. */
  marks?: boolean;
}

export interface RollupAnswer {
  resolution: RollupResolution;
  since: number;
  until: number;
  services: ServiceRollup[];
  stack: StackRollup[];
  marks?: MetricsMark[];
  /** The store file and its size, bytes. */
  store: { bytes: number; minuteRows: number; hourRows: number; marks: number };
}

/** How long each resolution is kept (ms). */
export interface RollupRetention {
  minute: number;
  hour: number;
}
export const DEFAULT_ROLLUP_RETENTION: RollupRetention = Object.freeze({ minute: 48 * 3_600_000, hour: 90 * 86_400_000 });
