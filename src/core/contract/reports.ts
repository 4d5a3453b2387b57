/**
 * The operations report (docs/reports.md): usage, performance, issues, data protection and what
 * changed over a period, built from the long-term metrics store. Part of the contract.
 */

export const REPORT_PERIODS = ['day', 'week', 'month'] as const;
export type ReportPeriod = (typeof REPORT_PERIODS)[number];
export const REPORT_FORMATS = ['html', 'md', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface ReportRequest {
  /** Default week (ending now), unless since is given. */
  period?: ReportPeriod;
  /** Epoch ms; with it the report covers [since, until). */
  since?: number;
  /** Epoch ms; default now. */
  until?: number;
}

/** An outage of a service: from a failure until it was ready again (or stopped, or still open). */
export interface ReportIncident {
  service: string;
  start: number;
  end?: number;
  durationMs: number;
  /** What started it, in words ("crash: exit code 1"). */
  cause: string;
  /** How it ended: recovered (ready again), stopped (on request), open (still at the end of the period). */
  resolution: 'recovered' | 'stopped' | 'open';
  acknowledged?: boolean;
  /** Where it came from: the engine's state events, or the alert history. */
  source: 'events' | 'alerts';
  severity?: string;
}

export interface ServiceUsage {
  service: string;
  activeSec: number;
  upSec: number;
  readySec: number;
  /** up / the period, %. */
  uptimePct: number;
  /** ready / wanted (any state but stopped), %; undefined when never wanted. */
  availabilityPct?: number;
  restarts: number;
  restartCauses: Record<string, number>;
  starts: number;
  stops: number;
}

export interface TrendPoint {
  at: number;
  p50?: number;
  p95?: number;
  cpuAvg?: number;
  rssAvgMb?: number;
}

export interface ServicePerformance {
  service: string;
  probes: number;
  probeFailures: number;
  latencyP50Ms?: number;
  latencyP95Ms?: number;
  latencyMaxMs?: number;
  cpuAvg?: number;
  cpuMax?: number;
  rssAvgMb?: number;
  rssMaxMb?: number;
  checksOk: number;
  checksFailed: number;
  /** Per day (a week or month) or per hour (a day). */
  trend: TrendPoint[];
}

export interface BackupLine {
  at: number;
  services: string[];
  ok: boolean;
  trigger: string;
  bytesAdded?: number;
  durationMs?: number;
  error?: string;
}

/** An error signature of a service's log: what varies masked (src/core/doctor/signature.ts). */
export interface ReportLogError {
  service: string;
  signature: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
  /** Its first line, as logged. */
  example: string;
  /** Crashes that came within a minute after it. */
  crashesPreceded: number;
}

export interface ReportMaintenanceRun {
  at: number;
  task: string;
  kind: string;
  ok: boolean;
  trigger: string;
  summary: string;
  durationMs: number;
  reclaimedBytes?: number;
  error?: string;
}

export interface OpsReport {
  stack: string;
  period: ReportPeriod | 'custom';
  since: number;
  until: number;
  generatedAt: number;
  opsdeckVersion: string;
  usage: {
    services: ServiceUsage[];
    /**
     * The profile active when the report was made, and the seconds of the period each profile
     * was selected (from the `profile` marks: an engine start and each switch; time with no
     * engine running counts for the profile selected last). `timeRecorded` is false when the
     * store has no profile mark up to the end of the period (a store older than these marks).
     */
    profile: { active?: string; timeRecorded: boolean; seconds?: Record<string, number> };
  };
  performance: {
    services: ServicePerformance[];
    ipc: { samples: number; avg?: number; max?: number; bins: number[]; trend: { at: number; avg?: number; max?: number }[] };
    /** The services whose probes were slowest (p95), slowest first. */
    slowest: { service: string; latencyP95Ms: number; latencyMaxMs?: number }[];
  };
  issues: {
    incidents: ReportIncident[];
    failedChecks: { at: number; service: string; output: string }[];
    /** The most frequent error signatures of the services' logs in the period (the doctor's log analysis), most first. */
    logErrors: ReportLogError[];
  };
  /** The maintenance tasks run in the period (`maintenance` marks), oldest first. */
  maintenance: ReportMaintenanceRun[];
  dataProtection: {
    backups: { count: number; failed: number; bytesAdded: number; list: BackupLine[] };
    rpo: { service: string; compliancePct?: number; breaches: number }[];
    verifications: { at: number; ok: boolean; errors: number; durationMs: number; readData: boolean }[];
    drills: { at: number; services: string[]; ok: boolean; recoveryMs?: number; rtoMs?: number; withinRto?: boolean; error?: string }[];
  };
  changes: {
    config: { at: number; hash: string }[];
    versions: { at: number; version: string }[];
  };
}

/** A report written in .opsdeck/reports/. */
export interface ReportFileInfo {
  name: string;
  path: string;
  format: ReportFormat;
  bytes: number;
  /** When it was written (epoch ms). */
  at: number;
}

export interface ReportResult {
  report: OpsReport;
  /** The files written (when asked to save, or by the schedule). */
  files: ReportFileInfo[];
}

/** What a surface asks: a report request, rendered in `format`, saved (in `formats`) or not. */
export interface ReportCommand extends ReportRequest {
  format?: ReportFormat;
  save?: boolean;
  formats?: ReportFormat[];
}

export interface ReportAnswer extends ReportResult {
  /** The report rendered in the requested format. */
  text?: string;
}

export interface ReportList {
  reports: ReportFileInfo[];
  /** When the schedule writes the next one (ISO), if it is on. */
  nextRun?: string;
}
