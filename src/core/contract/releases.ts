/**
 * Releases as every surface sees them (docs/releases.md): the ledger's entries, the requests of
 * deploy, update and rollback, their results and progress, and the one interface the routes and
 * the CLI call (ReleaseService, implemented by src/core/releases/manager.ts). Part of the contract.
 */

/** The stages of a deploy, update or rollback, in order; the ledger names the one in progress. */
export const RELEASE_STAGES = ['check', 'fetch', 'install', 'snapshot', 'stop', 'migrate', 'switch', 'start', 'health', 'done'] as const;
export type ReleaseStage = (typeof RELEASE_STAGES)[number];

/** What `--data` does with the data on a rollback: down-migrations, the pre-update snapshot, or nothing. */
export const ROLLBACK_DATA = ['down', 'restore', 'keep'] as const;
export type RollbackData = (typeof ROLLBACK_DATA)[number];

export type ReleaseOp = 'deploy' | 'update' | 'rollback' | 'recover';
export type ReleaseResult = 'in-progress' | 'ok' | 'failed' | 'rolled-back' | 'recovered';

/** One schema step applied (up) or taken back (down). */
export interface AppliedMigration {
  service: string;
  version: number;
  direction: 'up' | 'down';
}

/** One deploy, update, rollback or recovery, as the ledger (.opsdeck/releases.json) records it. */
export interface LedgerEntry {
  id: number;
  op: ReleaseOp;
  version: string;
  /** The release that ran before (absent for the first deploy). */
  from?: string;
  /** The source's commit (git) or content digest of the release. */
  sourceCommit?: string;
  startedAt: string;
  finishedAt?: string;
  by: string;
  migrations: AppliedMigration[];
  /** Each service's schema version when the operation began (what undoing it returns to). */
  schemaBefore: Record<string, number>;
  /** The schema step running when the entry was last written (a kill -9 leaves it here). */
  migrating?: { service: string; version: number; direction: 'up' | 'down' };
  /** The snapshot taken before the update (restored when a step has no down). */
  snapshot?: string;
  result: ReleaseResult;
  /** The stage in progress (or the last one reached). */
  stage: ReleaseStage;
  /** What failed, when something did. */
  error?: string;
  /** What the automatic rollback or a recovery did. */
  actions?: string[];
  timings: { stage: ReleaseStage; ms: number }[];
}

export interface Ledger {
  format: 1;
  /** The release `current` points to. */
  current?: string;
  /** Each service's schema version (the last migration step applied). */
  schema: Record<string, number>;
  /** Where releases come from, as the first deploy was told (`--from`) when opsdeck.yaml gives no source. */
  source?: string;
  entries: LedgerEntry[];
}

export interface ReleaseInfo {
  version: string;
  current: boolean;
  /** Installed in releases/<version>/. */
  installed: boolean;
  /** Offered by the source. */
  available: boolean;
}

export interface ReleaseList {
  current?: string;
  schema: Record<string, number>;
  source?: string;
  releases: ReleaseInfo[];
  ledger: LedgerEntry[];
  /** An operation a kill left unfinished: the next update or rollback recovers it. */
  interrupted?: LedgerEntry;
}

export interface DeployRequest {
  version?: string;
  /** Where releases come from when opsdeck.yaml does not say (a git repository, folder, .tgz or npm:package). */
  from?: string;
  dryRun?: boolean;
}

export interface UpdateRequest {
  to?: string;
  allowDowngrade?: boolean;
  dryRun?: boolean;
}

export interface RollbackRequest {
  to?: string;
  /** Default `down` when every step has a down, else `restore` (see docs/releases.md). */
  data?: RollbackData;
  dryRun?: boolean;
}

export interface ReleaseProgress {
  stage: ReleaseStage;
  message: string;
  at: number;
}

export interface ReleaseRunResult {
  op: ReleaseOp;
  dryRun: boolean;
  ok: boolean;
  from?: string;
  version: string;
  /** What it does (dry run) or did, in order. */
  plan: string[];
  /** The entry the ledger recorded (absent for a dry run). */
  entry?: LedgerEntry;
  /** When the operation failed: what failed and what the automatic rollback did. */
  failure?: { stage: ReleaseStage; error: string; rolledBackTo?: string; actions: string[] };
  /** A recovery of an interrupted operation done first. */
  recovered?: LedgerEntry;
  durationMs: number;
  timings: { stage: ReleaseStage; ms: number }[];
}

export interface ReleaseProgressOptions {
  onProgress?: (p: ReleaseProgress) => void;
}

/** What the API routes and the CLI call. */
export interface ReleaseService {
  list(): Promise<ReleaseList>;
  deploy(req: DeployRequest, opts?: ReleaseProgressOptions): Promise<ReleaseRunResult>;
  update(req: UpdateRequest, opts?: ReleaseProgressOptions): Promise<ReleaseRunResult>;
  rollback(req: RollbackRequest, opts?: ReleaseProgressOptions): Promise<ReleaseRunResult>;
}
