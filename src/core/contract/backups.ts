/**
 * Backups as the engine, the API and the surfaces see them: the requests and results of each
 * operation (JSON-safe, what `--json` prints and the API answers), the repository's own shapes
 * (snapshots, diffs, reports: src/core/backup/repo/model.ts, re-exported here), and the one
 * interface the routes call (BackupService, implemented by BackupManager and by RemoteEngine's
 * backups). Part of the contract.
 */
import type {
  BackupProgress,
  ForgetResult,
  PruneReport,
  RestoreProgress,
  Snapshot,
  SnapshotDiff,
  SnapshotListing,
  UnreadableSnapshot,
  VerifyProgress,
  VerifyReport,
} from '../backup/repo';

export type { BackupProgress, ForgetResult, PruneReport, RestoreProgress, Snapshot, SnapshotDiff, SnapshotEntry, SnapshotInfo, SnapshotListing, UnreadableSnapshot, VerifyProgress, VerifyReport } from '../backup/repo';

export interface ObjectiveResult {
  service: string;
  /** The service's RTO in ms, when it declares one. */
  rtoMs?: number;
  /** Measured recovery time of this service, ms. */
  recoveryMs: number;
  /** Within its RTO (undefined when it has none). */
  withinRto?: boolean;
}

export interface RecoveryRecord {
  at: number;
  kind: 'restore' | 'drill';
  mode: 'in-place' | 'target' | 'sandbox';
  snapshot: string;
  services: string[];
  ok: boolean;
  /** From the first step (stopping services, or restoring for a drill) to the last check passing, ms. */
  recoveryMs: number;
  /** The phases of that time, ms: restore (read + write + verify), start (until ready), check. */
  phases: { restoreMs: number; startMs: number; checkMs: number; [k: string]: number };
  bytes: number;
  files: number;
  objectives: ObjectiveResult[];
  error?: string;
  rolledBack?: boolean;
  safetySnapshot?: string;
}

/** What `opsdeck backups init` created. */
export interface BackupInitResult {
  repository: string;
  encrypted: boolean;
  id: string;
}

export interface BackupRequest {
  /** Only these services (default: every service of the active profile that declares a backup). */
  services?: string[];
  tags?: string[];
  /** Take the copies and read everything, but write nothing to the repository. */
  dryRun?: boolean;
}

export interface BackupRunResult {
  dryRun: boolean;
  /** The snapshot written (with dryRun: the id it would have had). */
  snapshot: string;
  time: string;
  repository: string;
  /** True when this run created the repository. */
  repositoryCreated: boolean;
  services: string[];
  tags: string[];
  files: number;
  filesNew: number;
  filesChanged: number;
  filesUnchanged: number;
  bytesTotal: number;
  bytesRead: number;
  /** Bytes added to the repository after dedup and compression. */
  bytesAdded: number;
  durationMs: number;
  /** What each adapter checked or ran, per file (`quick_check ok`, `pg_dump (PostgreSQL) 15.8`). */
  notes: { service: string; path: string; note: string }[];
  /** Matched but not taken (symbolic links, declared databases under a files glob). */
  skipped: { service: string; path: string; reason: string }[];
  /** The structure check run after the backup (not with dryRun). */
  check?: { ok: boolean; errors: number; warnings: number; problems: string[] };
}

export interface ForgetRequest {
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  /** restic's form: `1y5m7d2h`, or an opsdeck duration (`36h`, `7d`). */
  keepWithin?: string;
  keepTags?: string[];
  /** Remove unreferenced data afterwards. */
  prune?: boolean;
  dryRun?: boolean;
}

export interface ForgetRunResult extends ForgetResult {
  /** The retention rules applied (from the request, else from opsdeck.yaml). */
  policy: Record<string, unknown>;
  prune?: PruneReport;
}

export interface VerifyRequest {
  /** Re-read all data (true), or a subset: `N/T` or `P%`. */
  readData?: boolean | string;
}

export interface RestoreRequest {
  services?: string[];
  /** Globs on the entry path (`data/*.db`) or `service/path`. */
  include?: string[];
  /** Restore into this folder (`<target>/<service>/<path>`). */
  target?: string;
  /** Restore into the stack itself (stop, safety snapshot, swap, start, health gate). */
  inPlace?: boolean;
  dryRun?: boolean;
  /** How long each service may take to be ready after an in-place restore. Default 60 s. */
  healthTimeoutMs?: number;
  /** Keep setuid/setgid bits from the snapshot (default: stripped, like tar without -p). */
  keepSpecialBits?: boolean;
}

export interface RestoreFile {
  service: string;
  path: string;
  size: number;
  kind: string;
}

export interface RestoreRunResult {
  dryRun: boolean;
  snapshot: string;
  snapshotTime: string;
  mode: 'in-place' | 'target';
  target: string;
  services: string[];
  files: RestoreFile[];
  bytes: number;
  /** Files re-hashed after writing (SHA-256 equal to the manifest's). */
  verified: number;
  /** SQLite files restored and their integrity check. */
  sqlite: { service: string; path: string; integrity: string }[];
  /** In place: the services stopped, then started again, and the snapshot taken first. */
  stopped: string[];
  safetySnapshot?: string;
  /** What went wrong beside the restore without stopping it (an unreadable unrelated snapshot). */
  warnings?: string[];
  /** From the first step to the last check passing. */
  recoveryMs: number;
  phases: RecoveryRecord['phases'];
  objectives: ObjectiveResult[];
  /** What the dry run would do, in order. */
  plan: string[];
}

export interface DrillRequest {
  /** Default: the newest snapshot. */
  snapshot?: string;
  services?: string[];
  /** Keep the sandbox folder afterwards (it is kept anyway when the drill fails). */
  keep?: boolean;
  healthTimeoutMs?: number;
}

export interface DrillRunResult {
  ok: boolean;
  snapshot: string;
  snapshotTime: string;
  services: string[];
  /** Services started in the sandbox for the drill (the drilled ones and what they depend on). */
  started: string[];
  sandbox: string;
  kept: boolean;
  ports: Record<string, number>;
  recoveryMs: number;
  phases: RecoveryRecord['phases'];
  objectives: ObjectiveResult[];
  checks: { service: string; ok: boolean; output: string; durationMs: number }[];
  error?: string;
}

export interface RpoServiceStatus {
  service: string;
  rpoMs?: number;
  rtoMs?: number;
  /** Newest good snapshot holding the service, and its age. */
  newest?: { snapshot: string; time: string; ageMs: number };
  /** ok: within its RPO; breach: older (or none); none: no RPO declared. */
  rpo: 'ok' | 'breach' | 'none';
  /** The last measured recovery of the service (restore or drill). */
  lastRecovery?: { at: number; kind: string; recoveryMs: number; withinRto?: boolean; ok: boolean };
}

export interface BackupStatus {
  repository: string;
  exists: boolean;
  encrypted?: boolean;
  snapshots: number;
  /** Manifests that cannot be read (left out of `snapshots`); absent when there are none. */
  unreadable?: UnreadableSnapshot[];
  newest?: { snapshot: string; time: string };
  schedule?: { cron: string; next?: string };
  verifySchedule?: { cron: string; next?: string; subset: string };
  retention?: Record<string, unknown>;
  services: RpoServiceStatus[];
  lastVerify?: { at: number; ok: boolean; readData: boolean; subset?: string; damagedSnapshots: string[] };
  jobs: Record<string, { at: number; ok: boolean; detail: string }>;
  recoveries: RecoveryRecord[];
}

export interface Progress<T> {
  onProgress?: (p: T) => void;
}

/**
 * What a backup's, a restore's or a verify's progress counts (files; a verify's packs) and how far
 * it is, as a surface's bar shows it: `value` of `of`, by bytes, or by packs while a verify has no
 * bytes to go by (its structure check).
 */
export function progressCounts(p: BackupProgress | RestoreProgress | VerifyProgress): { done: number; total: number; unit: 'files' | 'packs'; value: number; of: number } {
  if (!('packsTotal' in p)) return { done: p.filesDone, total: p.filesTotal, unit: 'files', value: p.bytesDone, of: p.bytesTotal };
  const packs = { done: p.packsDone, total: p.packsTotal, unit: 'packs' as const };
  return p.bytesTotal > 0 ? { ...packs, value: p.bytesDone, of: p.bytesTotal } : { ...packs, value: p.packsDone, of: p.packsTotal };
}

/** What the API routes call; the engine's BackupManager implements it. */
export interface BackupService {
  backup(req: BackupRequest, opts?: Progress<BackupProgress>): Promise<BackupRunResult>;
  /** The snapshots, oldest first, and the manifests that cannot be read. */
  list(): Promise<SnapshotListing>;
  show(id: string): Promise<Snapshot>;
  diff(a: string, b: string): Promise<SnapshotDiff>;
  forget(req: ForgetRequest): Promise<ForgetRunResult>;
  prune(opts?: { dryRun?: boolean }): Promise<PruneReport>;
  verify(req: VerifyRequest, opts?: Progress<VerifyProgress>): Promise<VerifyReport>;
  restore(id: string, req: RestoreRequest, opts?: Progress<RestoreProgress>): Promise<RestoreRunResult>;
  drill(req: DrillRequest): Promise<DrillRunResult>;
  status(): Promise<BackupStatus>;
}
