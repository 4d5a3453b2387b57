/**
 * The backup repository's model: the options, results and records (config, snapshots, reports)
 * its operations take and give, and the BackupRepository interface ./repository implements.
 * Types only (and the name of the key's environment variable); files under repo/ import them from
 * here, outside code through ./index.
 */

// ------------------------------------------------------------------ keys and repository

/**
 * Where an encryption key comes from: the key itself (a passphrase string or raw bytes), a key
 * file (`key_file` in opsdeck.yaml; its content is the key, a trailing newline is ignored), or an
 * environment variable (default `OPSDECK_BACKUP_KEY`).
 */
export type KeySource = string | Uint8Array | { keyFile: string } | { env: string };

/** The default environment variable for the repository key. */
export const BACKUP_KEY_ENV = 'OPSDECK_BACKUP_KEY';

export type Codec = 'none' | 'deflate' | 'brotli';

export interface CompressionSetting {
  codec: Codec;
  /** zlib level (deflate 1-9) or brotli quality (0-11). */
  level: number;
}

export interface ChunkerParams {
  minSize: number;
  avgSize: number;
  maxSize: number;
  /** Seed of the gear table; fixed per repository (recorded in its config). */
  seed: number;
}

export interface InitOptions {
  /**
   * Encrypt the repository (AES-256-GCM per blob). `true` takes the key from
   * `OPSDECK_BACKUP_KEY`; a KeySource names it. Default: not encrypted.
   */
  encryption?: boolean | KeySource;
  /** Default: the measured choice, `{ codec: 'brotli', level: 0 }` (docs/backup-repository.md). */
  compression?: CompressionSetting;
  /** Tests only: smaller chunks. Default ~256 KiB / 1 MiB / 4 MiB. */
  chunker?: Partial<ChunkerParams>;
  /** Target pack file size in bytes. Default 16 MiB. */
  packSize?: number;
  /** scrypt cost (log2 N) for deriving the key; default 15. Tests may lower it. */
  kdfCost?: number;
}

export interface OpenOptions {
  /** The key of an encrypted repository. Default: the `OPSDECK_BACKUP_KEY` environment variable. */
  key?: KeySource;
}

/** The repository's `config` file, as read. */
export interface RepoConfig {
  format: 'opsdeck-backup';
  version: 1;
  id: string;
  created: string;
  chunker: ChunkerParams;
  compression: CompressionSetting;
  packSize: number;
  encryption?: {
    algorithm: 'aes-256-gcm';
    kdf: { name: 'scrypt'; salt: string; logN: number; r: number; p: number };
    /** HMAC of a fixed text under the key derived from the passphrase: tells a wrong key at once. */
    keyCheck: string;
    /** The random master key, sealed (AES-256-GCM) under the derived key. */
    masterKey: string;
  };
}

// ------------------------------------------------------------------ backup

/**
 * What to back up for one service. Give either a `root` (absolute directory or file; with
 * `paths`, only those entries, relative to root, already resolved by the adapter, are taken and a
 * directory listed there is stored as a directory entry without its contents; without `paths`,
 * the whole tree; a file root is stored under its base name), or `files` (each a path in the
 * snapshot and where to read it, or a stream such as a dump's stdout), or both.
 */
export interface BackupSource {
  service: string;
  root?: string;
  paths?: string[];
  files?: BackupFile[];
}

export type BackupFile =
  | { path: string; source: string }
  | { path: string; stream: () => AsyncIterable<Uint8Array>; mode?: number; mtime?: number }
  /**
   * A file made only if needed (an unchanged database's consistent copy): taken from the parent
   * snapshot when its entry has this size and mtime, else `copy()` makes it and says where it is.
   */
  | { path: string; size: number; mtime: number; mode: number; copy: () => Promise<string> };

export interface SnapshotMeta {
  stack: string;
  profile: string;
  /** Default: the services of the sources. */
  services?: string[];
  configHash: string;
  gitCommit?: string;
  opsdeckVersion: string;
  tags?: string[];
  /** Default: os.hostname(). */
  hostname?: string;
  /** Snapshot time; default now. Tests use it to build histories. */
  time?: Date | number;
  /** Anything else worth keeping with the snapshot (adapter notes: integrity checks, dump versions). JSON only. */
  extra?: Record<string, unknown>;
}

export type BackupPhase = 'scan' | 'backup' | 'index' | 'snapshot' | 'done';

export interface BackupProgress {
  phase: BackupPhase;
  filesTotal: number;
  filesDone: number;
  /** Bytes of all files to read (streams count once done). */
  bytesTotal: number;
  /** Bytes processed so far (read, or skipped unchanged). */
  bytesDone: number;
  /** Bytes actually read from sources so far. */
  bytesRead: number;
  /** Bytes written to new packs so far (after dedup and compression). */
  bytesAdded: number;
  elapsedMs: number;
  currentPath?: string;
}

export interface BackupOptions {
  /** Called at most every `progressIntervalMs` (default 200) and once per phase change. */
  onProgress?: (p: BackupProgress) => void;
  progressIntervalMs?: number;
  /**
   * The snapshot whose entries let unchanged files (same service, path, size, mtime and type) be
   * taken without reading them. Default 'latest': the newest snapshot of the same stack. `false`:
   * read everything.
   */
  parent?: string | 'latest' | false;
  /** Read, chunk and compress, but write nothing; the summary says what would be added. */
  dryRun?: boolean;
  signal?: AbortSignal;
  /**
   * Worker threads that read, chunk, hash and compress files (default: the number of cores, at
   * most 4; none on a single core). 0 does everything on the calling thread. By default, small
   * backups (under 16 MiB to read) run on the calling thread; an explicit count always uses threads.
   */
  threads?: number;
  /**
   * Awaited once the data and the index are stored, before the snapshot manifest is written (in
   * a dry run too): what runs beside the backup and must pass for its snapshot (the SQLite
   * copies' checks). A rejection fails the backup with no snapshot; the packs stored meanwhile
   * are referenced by nothing, and prune removes them.
   */
  beforeSnapshot?: () => Promise<void>;
}

/** How a backup used its worker threads (not part of the snapshot). */
export interface BackupWorkerStats {
  threads: number;
}

export interface BackupSummary {
  filesNew: number;
  filesChanged: number;
  filesUnchanged: number;
  dirs: number;
  symlinks: number;
  /** Size of all files in the snapshot. */
  bytesTotal: number;
  /** Bytes read from the sources (unchanged files are not read). */
  bytesRead: number;
  /** Bytes added to the repository after dedup and compression (blob bytes, pack headers excluded). */
  bytesAdded: number;
  chunksNew: number;
  chunksTotal: number;
  packsWritten: number;
  durationMs: number;
}

export type EntryType = 'file' | 'dir' | 'symlink';

export interface SnapshotEntry {
  /** Relative, posix, no `.`/`..` segments; unique per service. */
  path: string;
  service: string;
  type: EntryType;
  mode: number;
  /** Modification time, ms since the epoch. */
  mtime: number;
  size: number;
  /**
   * Files, in snapshots of earlier versions only: SHA-256 of the whole content, hex. A file is
   * known by its chunks' ids; a restore checks those (or this, where it was recorded).
   */
  sha256?: string;
  /** Files: chunk ids (SHA-256 of plaintext, hex) in order (in memory always; stored only when there is no `chunkLists`). */
  chunks?: string[];
  /**
   * Files of many chunks (version 2 manifests): the blobs that list the chunk ids, 256 to a blob
   * (chunk-lists.ts); the manifest then leaves `chunks` out, and reading it fills them in.
   */
  chunkLists?: string[];
  /** Symlinks: the link's target as read. */
  linkTarget?: string;
}

export interface SnapshotSource {
  service: string;
  root?: string;
}

/** A snapshot manifest (the `snapshots/<id>` file). */
export interface Snapshot {
  format: 'opsdeck-snapshot';
  /** 1: every file's chunks inline; 2: files of many chunks name them through list blobs (chunk-lists.ts). */
  version: 1 | 2;
  id: string;
  time: string;
  stack: string;
  profile: string;
  services: string[];
  sources: SnapshotSource[];
  configHash: string;
  gitCommit?: string;
  opsdeckVersion: string;
  tags: string[];
  hostname: string;
  parent?: string;
  extra?: Record<string, unknown>;
  entries: SnapshotEntry[];
  summary: BackupSummary;
}

/** A snapshot without its entries (listings). */
export type SnapshotInfo = Omit<Snapshot, 'entries'> & { files: number; bytes: number };

/** A manifest in the repository that cannot be read (damaged, cut short, of an unknown format), and why. */
export interface UnreadableSnapshot {
  id: string;
  reason: string;
}

/** The snapshots that can be read, oldest first, and the manifests that cannot. */
export interface SnapshotListing {
  snapshots: SnapshotInfo[];
  unreadable: UnreadableSnapshot[];
}

export interface BackupResult {
  /** The snapshot written (or, with dryRun, the one that would be). */
  snapshot: Snapshot;
  summary: BackupSummary;
  dryRun: boolean;
  /** Entries skipped (vanished during the backup, unreadable, special files) with the reason. */
  warnings: string[];
  /** Set when worker threads read the files. */
  workers?: BackupWorkerStats;
  /** The packs the backup wrote, by id (none for a dry run). */
  packs: string[];
}

// ------------------------------------------------------------------ diff

export interface DiffEntry {
  service: string;
  path: string;
  type: EntryType;
  size: number;
}

export interface DiffChange {
  service: string;
  path: string;
  type: EntryType;
  sizeBefore: number;
  sizeAfter: number;
  /** What differs. */
  what: ('content' | 'type' | 'mode' | 'mtime' | 'target')[];
}

export interface SnapshotDiff {
  a: string;
  b: string;
  added: DiffEntry[];
  removed: DiffEntry[];
  changed: DiffChange[];
  unchanged: number;
  bytesAdded: number;
  bytesRemoved: number;
}

// ------------------------------------------------------------------ verify

export interface VerifyOptions {
  /**
   * Also read pack data and re-hash every blob. `true`: all packs. `{ subset: 'N/T' }`: the N-th
   * of T groups of packs (by pack id; rotate N to cover all over T runs). `{ subset: 'P%' }`: a
   * random P percent of packs.
   */
  readData?: boolean | { subset: string };
  /** Called at each phase's start and end, and in between at most every `progressIntervalMs` (default 200). */
  onProgress?: (p: VerifyProgress) => void;
  progressIntervalMs?: number;
  signal?: AbortSignal;
  /** Worker threads that decode and hash pack data (default: cores, at most 4); 0 = calling thread only. */
  threads?: number;
  /**
   * The check after a backup: this snapshot's chunks are checked against the index one by one,
   * the other snapshots' through their chunk lists (checked one by one when they were written),
   * so the check does not grow with the number of snapshots. Default: every chunk of every one.
   */
  snapshot?: string;
  /**
   * The packs whose trailers are compared with the index (the check after a backup: the packs it
   * wrote; the others were compared when they were written), so that part does not grow with the
   * repository either. Default: every pack.
   */
  packs?: readonly string[];
}

export interface VerifyProgress {
  phase: 'structure' | 'data' | 'done';
  packsTotal: number;
  packsDone: number;
  bytesTotal: number;
  bytesDone: number;
  elapsedMs: number;
}

export type VerifyProblemKind =
  | 'config'
  | 'index-unreadable'
  | 'snapshot-unreadable'
  | 'pack-missing'
  | 'pack-unreadable'
  | 'pack-size'
  | 'pack-header'
  | 'pack-content'
  | 'blob-missing'
  | 'blob-corrupt'
  | 'pack-unindexed'
  | 'temp-leftover';

export interface VerifyProblem {
  kind: VerifyProblemKind;
  /** Errors mean damage; warnings (unindexed packs, leftovers of a killed run) are cleaned by prune. */
  severity: 'error' | 'warning';
  message: string;
  pack?: string;
  chunk?: string;
  snapshot?: string;
}

export interface AffectedFile {
  snapshot: string;
  service: string;
  path: string;
}

export interface DamagedChunk {
  chunk: string;
  pack?: string;
  reason: 'missing' | 'corrupt';
  snapshots: string[];
  files: AffectedFile[];
}

export interface VerifyReport {
  /** No errors (warnings allowed). */
  ok: boolean;
  snapshots: number;
  packs: number;
  blobs: number;
  readData: boolean;
  subset?: string;
  packsRead: number;
  bytesRead: number;
  problems: VerifyProblem[];
  damaged: DamagedChunk[];
  /** Per damaged snapshot, exactly which of its files cannot be restored intact. */
  affected: { snapshot: string; time: string; files: { service: string; path: string }[] }[];
  durationMs: number;
}

// ------------------------------------------------------------------ forget

/**
 * restic's `--keep-*` semantics (docs/backup-repository.md lists the differences). Counts: a
 * positive number, or -1 for unlimited. Durations (`within*`): restic's form `1y5m7d2h` (y years,
 * m months, d days, h hours), relative to the newest snapshot of the group.
 */
export interface RetentionPolicy {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
  within?: string;
  withinHourly?: string;
  withinDaily?: string;
  withinWeekly?: string;
  withinMonthly?: string;
  withinYearly?: string;
  /** Keep every snapshot carrying any of these tags. */
  tags?: string[];
}

export type GroupBy = 'stack' | 'profile' | 'services' | 'hostname' | 'tags';

export interface RetentionOptions {
  /** Calendar buckets in this zone: 'local' (default, the process's TZ) or 'UTC'. */
  timeZone?: 'local' | 'UTC';
  /** The current time (a Clock or ms). Recorded by forget; used by the policy only with anchor 'now'. */
  now?: number | { now(): number };
  /** What within-rules count back from: 'latest' (restic: the newest snapshot of the group, default) or 'now'. */
  anchor?: 'latest' | 'now';
}

export interface ForgetOptions extends RetentionOptions {
  dryRun?: boolean;
  /** Default ['stack', 'profile', 'services']; [] applies the policy to all snapshots at once. */
  groupBy?: GroupBy[];
}

export interface KeptSnapshot<T = SnapshotInfo> {
  snapshot: T;
  /** Rules that keep it: 'last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly', 'within 7d', 'within-daily 1m', 'tag x', 'oldest (monthly)'. */
  reasons: string[];
}

export interface RetentionResult<T = SnapshotInfo> {
  keep: KeptSnapshot<T>[];
  remove: T[];
}

export interface ForgetResult {
  dryRun: boolean;
  time: string;
  groups: { key: string; keep: KeptSnapshot[]; remove: SnapshotInfo[] }[];
  keep: KeptSnapshot[];
  remove: SnapshotInfo[];
}

// ------------------------------------------------------------------ prune

export interface PruneOptions {
  dryRun?: boolean;
  /** Repack a pack when more than this fraction of its bytes is unused. Default 0 (repack any partly used pack). */
  maxUnusedFraction?: number;
  onProgress?: (p: { phase: 'plan' | 'repack' | 'index' | 'delete' | 'done'; packsDone: number; packsTotal: number; bytesDone: number }) => void;
  signal?: AbortSignal;
}

export interface PruneReport {
  dryRun: boolean;
  packsBefore: number;
  packsAfter: number;
  /** Packs deleted outright (no used blob, or not indexed at all: leftovers of a killed run). */
  packsDeleted: number;
  packsRepacked: number;
  packsWritten: number;
  blobsRemoved: number;
  blobsRepacked: number;
  bytesBefore: number;
  bytesAfter: number;
  bytesFreed: number;
  durationMs: number;
}

// ------------------------------------------------------------------ restore

export interface RestoreOptions {
  /** Files go to `<target>/<service>/<path>` (unless serviceTargets names the service's folder). */
  target: string;
  /** Per-service folder: `<serviceTargets[s]>/<path>`. */
  serviceTargets?: Record<string, string>;
  services?: string[];
  /** Globs (`*`, `**`, `?`, `[..]`) on `path` or `service/path`; a matched directory brings its contents. */
  include?: string[];
  /** Replace existing files. Default true; false refuses to write over anything. */
  overwrite?: boolean;
  onProgress?: (p: RestoreProgress) => void;
  progressIntervalMs?: number;
  signal?: AbortSignal;
  /** Worker threads that write and verify files (default: cores, at most 4); 0 = calling thread only. */
  threads?: number;
  /**
   * Apply setuid and setgid bits from the manifest. Default false: they are stripped (as tar does
   * without -p), so a restore never creates a set-id program; the sticky bit is always kept.
   */
  keepSpecialBits?: boolean;
  /** Called as each file is written, its chunks verified against their SHA-256 ids and its mode and times set (largest files first). */
  onFileRestored?: (entry: SnapshotEntry, path: string) => void;
}

export interface RestoreProgress {
  phase: 'restore' | 'verify' | 'done';
  filesTotal: number;
  filesDone: number;
  bytesTotal: number;
  bytesDone: number;
  elapsedMs: number;
  currentPath?: string;
}

export interface RestoreReport {
  snapshot: string;
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
  /** Files written whose every chunk matched its SHA-256 id (and the whole file its recorded SHA-256, for older snapshots). */
  verified: number;
  durationMs: number;
  /** Where each restored service went. */
  targets: Record<string, string>;
}

// ------------------------------------------------------------------ stats and lock

export interface RepoStats {
  snapshots: number;
  packs: number;
  indexFiles: number;
  blobs: number;
  /** Sum of plaintext sizes of all indexed blobs. */
  rawBytes: number;
  /** Stored size of all indexed blobs. */
  storedBytes: number;
  /** Bytes on disk: every file of the repository. */
  diskBytes: number;
}

export interface RepoLockInfo {
  pid: number;
  hostname: string;
  operation: string;
  startedAt: string;
}

/** The repository as the orchestration sees it (implemented by ./repository). */
export interface BackupRepository {
  readonly dir: string;
  readonly config: RepoConfig;
  readonly encrypted: boolean;

  backup(sources: BackupSource[], meta: SnapshotMeta, options?: BackupOptions): Promise<BackupResult>;
  /**
   * Read ahead what a backup of `stack` starts with (the index, its newest snapshot's chunk
   * lists), so that it overlaps the collection of the sources (a database's copy); never fails:
   * what it could not read, the backup reads again and reports.
   */
  prepareBackup(stack: string): Promise<void>;
  /** All snapshots, oldest first. */
  snapshots(): Promise<SnapshotInfo[]>;
  /** All snapshots, oldest first, and the manifests that cannot be read (which snapshots() leaves out). */
  listing(): Promise<SnapshotListing>;
  /** One snapshot by id or unique id prefix (BACKUP_SNAPSHOT_NOT_FOUND / _AMBIGUOUS). `latest` is the newest. */
  snapshot(idOrPrefix: string): Promise<Snapshot>;
  diff(a: string, b: string): Promise<SnapshotDiff>;
  verify(options?: VerifyOptions): Promise<VerifyReport>;
  forget(policy: RetentionPolicy, options?: ForgetOptions): Promise<ForgetResult>;
  /** Remove given snapshots (ids or prefixes), like `restic forget ID`. */
  removeSnapshots(ids: string[], options?: { dryRun?: boolean }): Promise<SnapshotInfo[]>;
  prune(options?: PruneOptions): Promise<PruneReport>;
  /** Restore a snapshot (by id or prefix, or as snapshot() returned it: not read again). */
  restore(snapshot: string | Snapshot, options: RestoreOptions): Promise<RestoreReport>;
  /** Stream one file's content out of a snapshot (hash-checked chunk by chunk). */
  readFile(snapshotId: string, service: string, path: string): AsyncIterable<Buffer>;
  stats(): Promise<RepoStats>;
  /** The writer holding the lock, if any (stale locks are reported with alive: false). */
  lockHolder(): Promise<(RepoLockInfo & { alive: boolean }) | undefined>;
}
