/**
 * What the control API needs from an engine: exactly this, so the routes can be served by the
 * real Engine, built against a stub (scripts/gen-openapi.ts) or tested in isolation. The
 * optional members are features being added to the engine; a route whose member is missing
 * answers 501 NOT_AVAILABLE.
 */
import type { EngineStatus, MetricsHistory, MetricsHistoryQuery, PlanResult } from '../engine';
import type { Disposable, EngineEvent, EventOf, EventType } from '../events';
import type { StackHealth } from '../health/summary';
import type { LogLine } from '../logs/read-log';
import type { MemoryHits, MemoryQuery, Metrics } from './schemas';
import type { BackupService } from '../backup/types';

type MaybePromise<T> = T | Promise<T>;

export interface ProfilesInfo {
  active: string | undefined;
  profiles: { name: string; services: string[]; description?: string }[];
}

export interface EngineLike {
  status(): EngineStatus;
  health(): StackHealth;
  /** Run every running service's full-functionality check (or only those of `services`), then report health. */
  checkAll(services?: readonly string[]): Promise<StackHealth>;
  /** Start services (default: the active profile's) in dependency order; `start` of one service is `up([name])`. */
  up(services?: string[], opts?: { dryRun?: boolean }): MaybePromise<PlanResult>;
  /** Stop services (default: all running), dependents first; `stop` of one service is `down([name])`. */
  down(services?: string[], opts?: { dryRun?: boolean }): MaybePromise<PlanResult>;
  restart(service: string, opts?: { dryRun?: boolean }): MaybePromise<PlanResult>;
  profiles(): ProfilesInfo;
  useProfile(name: string, opts?: { dryRun?: boolean }): MaybePromise<PlanResult>;
  /** The last lines of a service's log; throws SERVICE_UNKNOWN for a name not in the stack. */
  logs(service: string, opts?: { lines?: number; since?: number }): LogLine[];
  readonly bus: {
    on<T extends EventType>(type: T, fn: (e: EventOf<T>) => void): Disposable;
    onAny(fn: (e: EngineEvent) => void): Disposable;
  };

  /** Search the stack's memory (events and log lines). `since`/`until` are epoch ms. */
  searchMemory?(query: MemoryQuery): MaybePromise<MemoryHits>;
  /** The engine's metrics as JSON. */
  metrics?(): MaybePromise<Metrics>;
  /** The sampled history of the metrics (the charts' data). */
  metricsHistory?(query: MetricsHistoryQuery): MaybePromise<MetricsHistory>;
  /** The same metrics in the Prometheus text exposition format (0.0.4). */
  prometheus?(): MaybePromise<string>;
  /** Backups of the stack (src/core/backup): run, list, retention, verify, restore, drill. */
  readonly backups?: BackupService;
}
