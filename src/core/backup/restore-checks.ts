/**
 * A restore of snapshot files with every SQLite database among them checked: each file is written
 * by the repository, every chunk hashed against its id on the way; each database, as soon as it is
 * (the repository writes the largest files first), gets a `PRAGMA integrity_check` in a worker
 * thread (SqliteChecks) while the other files are written, instead of one after another once
 * every file is written. The verdicts are read when the last file is written.
 */
import { isDumpPath, isSqliteFile, SqliteChecks } from './adapters';
import type { BackupRepository, RestoreOptions, RestoreReport, Snapshot, SnapshotEntry } from './repo';
import type { RestoreRunResult } from '../contract/backups';

export interface CheckedRestore {
  report: RestoreReport;
  /** Every restored SQLite database (dumps aside) with its integrity_check verdict, in path order. */
  sqlite: RestoreRunResult['sqlite'];
}

export async function restoreWithSqliteChecks(repo: BackupRepository, snapshot: string | Snapshot, options: RestoreOptions): Promise<CheckedRestore> {
  const checks = new SqliteChecks('integrity_check');
  const names = new Map<string, { service: string; path: string }>();
  const sniffs: Promise<void>[] = [];
  const onFileRestored = (e: SnapshotEntry, file: string): void => {
    options.onFileRestored?.(e, file);
    if (isDumpPath(e.path)) return;
    sniffs.push(
      isSqliteFile(file).then((isDb) => {
        if (!isDb) return;
        names.set(file, { service: e.service, path: e.path });
        checks.start(file, file);
      }),
    );
  };
  try {
    const report = await repo.restore(snapshot, { ...options, onFileRestored });
    await Promise.all(sniffs);
    const sqlite = (await checks.verdicts()).map(({ database, verdict }) => ({ ...names.get(database)!, integrity: verdict.detail }));
    sqlite.sort((a, b) => (a.service === b.service ? (a.path < b.path ? -1 : 1) : a.service < b.service ? -1 : 1));
    return { report, sqlite };
  } finally {
    await Promise.allSettled(sniffs);
    await checks.close();
  }
}
