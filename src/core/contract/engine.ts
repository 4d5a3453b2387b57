/**
 * EngineLike: what every surface (CLI, extension, webview feed, scripts) may ask of the engine
 * that owns a stack. Two things implement it and a surface cannot tell which it holds: the
 * in-process `Engine` (src/core/engine.ts) and `RemoteEngine` (src/core/client/remote-engine.ts),
 * which asks the owning engine over the control API. `openStack` (src/core/host/open-stack.ts)
 * hands out one or the other. Every member is required; answers may be promises, so surfaces
 * always `await`.
 */
import type { AlertService } from './alerts';
import type { BackupService } from './backups';
import type { MaintenanceService } from './maintenance';
import type { Disposable, EngineEvent, EventOf, EventType } from './events';
import type { StackHealth } from './health';
import type { LogLine } from './logs';
import type { MemoryHits, MemoryQuery } from './schemas/memory';
import type { MetricsHistory, MetricsHistoryQuery, StackMetrics } from './metrics';
import type { RollupAnswer, RollupQuery } from './metrics-store';
import type { ReportAnswer, ReportCommand, ReportList } from './reports';
import type { EngineStatus, PlanResult, ProfilesInfo } from './status';

export type MaybePromise<T> = T | Promise<T>;

/** Subscriptions to the engine's events (the in-process bus, or the API's event stream). */
export interface EventSource {
  on<T extends EventType>(type: T, fn: (e: EventOf<T>) => void): Disposable;
  onAny(fn: (e: EngineEvent) => void): Disposable;
}

export interface EngineLike {
  /** The stack and its services (only `services` when given; SERVICE_UNKNOWN for a name not in the stack). */
  status(services?: readonly string[]): MaybePromise<EngineStatus>;
  health(): MaybePromise<StackHealth>;
  /** Run every running service's full-functionality check (or only those of `services`), then report health. */
  checkAll(services?: readonly string[]): Promise<StackHealth>;
  /** Start services (default: the active profile's) in dependency order; `start` of one service is `up([name])`. */
  up(services?: string[], opts?: { dryRun?: boolean }): MaybePromise<PlanResult>;
  /** Stop services (default: all running), dependents first; `stop` of one service is `down([name])`. */
  down(services?: string[], opts?: { dryRun?: boolean }): MaybePromise<PlanResult>;
  restart(service: string, opts?: { dryRun?: boolean }): MaybePromise<PlanResult>;
  profiles(): MaybePromise<ProfilesInfo>;
  useProfile(name: string, opts?: { dryRun?: boolean }): MaybePromise<PlanResult>;
  /**
   * Read opsdeck.yaml again and reconcile: stop what it removed, restart what changed (the
   * reason names what), start what it added while the stack runs. Throws CONFIG_INVALID (each
   * issue at its line:column) and changes nothing when the file has errors.
   */
  reload(opts?: { dryRun?: boolean }): Promise<PlanResult>;
  /** The last lines of a service's log; throws SERVICE_UNKNOWN for a name not in the stack. */
  logs(service: string, opts?: { lines?: number; since?: number }): MaybePromise<LogLine[]>;
  readonly bus: EventSource;
  /** Search the stack's memory (events and log lines). `since`/`until` are epoch ms. */
  searchMemory(query: MemoryQuery): MaybePromise<MemoryHits>;
  /** The engine's metrics: one sample of every service and the IPC score. */
  metrics(): MaybePromise<StackMetrics>;
  /** The sampled history of the metrics (the charts' data). */
  metricsHistory(query: MetricsHistoryQuery): MaybePromise<MetricsHistory>;
  /** The long-term rollups (minutes or hours) kept in .opsdeck/metrics.db (docs/metrics.md). */
  metricsRollups(query: RollupQuery): MaybePromise<RollupAnswer>;
  /** Generate the operations report (docs/reports.md), rendered and saved if asked. */
  report(command: ReportCommand): Promise<ReportAnswer>;
  /** The reports written in .opsdeck/reports/, newest first, and the schedule's next run. */
  listReports(): MaybePromise<ReportList>;
  /** The same metrics in the Prometheus text exposition format (0.0.4). */
  prometheus(): MaybePromise<string>;
  /** Backups of the stack (src/core/backup): run, list, retention, verify, restore, drill. */
  readonly backups: BackupService;
  /** Maintenance of the stack (src/core/maintenance): its tasks, a run of some, cleanup. */
  readonly maintenance: MaintenanceService;
  /** Alerts of the stack (src/core/alerts): list, acknowledge, silence, history. */
  readonly alerts: AlertService;
}
