/**
 * The backup repository: a content-addressed store of snapshots (see docs/backup-repository.md).
 *
 * This file is the module's public API: what code outside `repo/` uses (the orchestration,
 * the API client, the CLI, tests, benches). Everything else under `repo/` is implementation, and
 * files there import each other (and ./model) directly, never this file.
 *
 *   const repo = await initRepository(dir, { encryption: { env: 'OPSDECK_BACKUP_KEY' } });
 *   const repo = await openRepository(dir);               // key from OPSDECK_BACKUP_KEY if encrypted
 *   const { snapshot, summary } = await repo.backup(sources, meta, { onProgress });
 *   await repo.verify({ readData: { subset: '1/7' } });
 *   await repo.forget({ daily: 7, weekly: 4 }, { dryRun: true });
 *   await repo.prune();
 *   await repo.restore(snapshot.id, { target: '/tmp/r', services: ['db'] });
 *
 * Every failure is an OpsError with a `BACKUP_*` code (or NOT_FOUND/BAD_REQUEST) and a hint.
 */
import type { BackupRepository, InitOptions, OpenOptions } from './model';
import { Repository } from './repository';

export { BACKUP_KEY_ENV } from './model';
export type {
  BackupProgress,
  BackupRepository,
  BackupSource,
  ForgetResult,
  InitOptions,
  KeySource,
  OpenOptions,
  PruneReport,
  RestoreProgress,
  RestoreOptions,
  RestoreReport,
  RetentionPolicy,
  Snapshot,
  SnapshotDiff,
  SnapshotEntry,
  SnapshotInfo,
  SnapshotListing,
  SnapshotMeta,
  UnreadableSnapshot,
  VerifyProblem,
  VerifyProgress,
  VerifyReport,
} from './model';

/** Create a repository in `dir` (created if missing; must be empty). Fails with BACKUP_REPO_EXISTS. */
export async function initRepository(dir: string, options: InitOptions = {}): Promise<BackupRepository> {
  return Repository.init(dir, options);
}

/** Open an existing repository. BACKUP_REPO_NOT_FOUND, BACKUP_KEY_REQUIRED, BACKUP_KEY_INVALID. */
export async function openRepository(dir: string, options: OpenOptions = {}): Promise<BackupRepository> {
  return Repository.open(dir, options);
}

/** Whether `dir` holds a repository (its config file). */
export { isRepository } from './repository';

/** The pure retention policy: which snapshots to keep and why (restic's semantics). */
export { applyRetention, parseWithin } from './retention';

/** Manifest path safety, and which entries a restore takes (services, include globs). */
export { checkEntryPath, resolveInside } from './paths';
export { matchesInclude, selectEntries } from './select';
export { globToRegExp } from '../../glob';
