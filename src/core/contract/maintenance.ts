/**
 * Maintenance as the engine, the API and the surfaces see it (docs/maintenance.md): the tasks
 * `opsdeck maintain` can run (SQLite, PostgreSQL, Redis, caches, a service's own tasks, Opsdeck's
 * own data), their progress and results, `opsdeck cleanup`'s request and result, and the one
 * interface the routes call (MaintenanceService, implemented by the engine's MaintenanceManager
 * and by RemoteEngine's). Part of the contract.
 */
import type { Progress } from './backups';

/** What a task works on. */
export const MAINTENANCE_KINDS = ['sqlite', 'postgres', 'redis', 'cache', 'task', 'memory', 'journal', 'metrics', 'backups'] as const;
export type MaintenanceKind = (typeof MAINTENANCE_KINDS)[number];

/** The pseudo-service of the tasks on Opsdeck's own data (memory, journal, backup repository). */
export const OPSDECK_SERVICE = 'opsdeck';

export interface MaintenanceTaskInfo {
  /** `service:kind` or `service:kind:detail` (`api:sqlite:data/app.db`, `opsdeck:memory`, `api:task:reindex`). */
  id: string;
  service: string;
  kind: MaintenanceKind;
  /** One line: what it does. */
  title: string;
  /** It stops the service and starts it again behind the health gate. */
  requiresStop: boolean;
  /** Part of the daily set (`maintenance.schedule`). */
  daily: boolean;
}

/**
 * Named sets of tasks, instead of task words: `daily` is the daily set, the one the engine's
 * `maintenance.schedule` and scripts/ops/daily-maintenance run (`maintenance.tasks` when written,
 * else every task marked daily).
 */
export const MAINTENANCE_PRESETS = ['daily'] as const;
export type MaintenancePreset = (typeof MAINTENANCE_PRESETS)[number];

export interface MaintenanceRequest {
  /** Task ids, kinds (`sqlite`), a service's task names, or id prefixes (`api:sqlite`); default every task. */
  tasks?: string[];
  /** A named set instead of `tasks` (giving both is an error). */
  preset?: MaintenancePreset;
  /** Only the tasks of this service. */
  service?: string;
  /** Say what each task would do (and reclaim), change nothing. */
  dryRun?: boolean;
}

/** One step of one task, as it starts (and as the task ends: `step: 'done'`). */
export interface MaintenanceProgress {
  task: string;
  /** 1-based position of the task in the run, and how many there are. */
  index: number;
  tasks: number;
  step: string;
  /** Steps of this task finished, of `total`. */
  done: number;
  total: number;
  elapsedMs: number;
}

export interface MaintenanceStep {
  name: string;
  ok: boolean;
  detail: string;
  durationMs: number;
}

export interface MaintenanceTaskResult {
  id: string;
  service: string;
  kind: MaintenanceKind;
  ok: boolean;
  dryRun: boolean;
  /** What it does (dry run) or did, in order. */
  plan: string[];
  steps: MaintenanceStep[];
  /** Figures before and after (bytes, pages, rows…), by name; a dry run has only `before`. */
  before: Record<string, number>;
  after: Record<string, number>;
  /** Bytes given back (or, in a dry run, that it would give back) when it can say. */
  reclaimedBytes?: number;
  durationMs: number;
  /** Why it did not run at all (nothing to do, not possible now), when it did not. */
  skipped?: string;
  error?: string;
}

export interface MaintenanceRunResult {
  dryRun: boolean;
  ok: boolean;
  tasks: MaintenanceTaskResult[];
  durationMs: number;
}

/** What `opsdeck cleanup` removes, by kind. */
export const CLEANUP_KINDS = ['logs', 'restore', 'drills', 'reports', 'sockets', 'locks', 'temp'] as const;
export type CleanupKind = (typeof CLEANUP_KINDS)[number];

export interface CleanupRequest {
  dryRun?: boolean;
  /** Only what is older than this, ms (default 30 days); rotated logs beyond `logs.keep` go whatever their age. */
  olderThanMs?: number;
}

export interface CleanupItem {
  kind: CleanupKind;
  /** Relative to the stack folder. */
  path: string;
  bytes: number;
  reason: string;
}

export interface CleanupResult {
  dryRun: boolean;
  olderThanMs: number;
  items: CleanupItem[];
  kinds: { kind: CleanupKind; files: number; bytes: number }[];
  files: number;
  bytes: number;
}

/** What the API routes call; the engine's MaintenanceManager implements it. */
export interface MaintenanceService {
  /** The stack's tasks; with a filter, those a run of it would pick (an unknown task or service is an error, BAD_REQUEST or SERVICE_UNKNOWN). */
  tasks(filter?: Pick<MaintenanceRequest, 'tasks' | 'service' | 'preset'>): Promise<MaintenanceTaskInfo[]>;
  run(req: MaintenanceRequest, opts?: Progress<MaintenanceProgress> & { signal?: AbortSignal }): Promise<MaintenanceRunResult>;
  cleanup(req: CleanupRequest): Promise<CleanupResult>;
}
