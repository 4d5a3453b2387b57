/**
 * What every adapter produces: consistent copies of one service's live data, as files to put in
 * a snapshot. A plain file is read where it is (`source` is the live file); a database is first
 * copied into the backup's staging folder (`source` is the copy), so what the repository reads
 * is one point in time even while the service keeps writing.
 *
 * Snapshot layout: every entry belongs to a service and has a path relative to the stack folder,
 * the path it is restored to (`data/storage.db`, `config/app.json`). Dumps and command outputs,
 * which have no place in the stack folder, are under `.opsdeck/<kind>/` (a folder no backup
 * takes files from, so nothing collides). `opsdeck.yaml` belongs to the pseudo-service `_stack`
 * (a name no real service can have).
 */

/** Where a snapshot file came from, which also says how it goes back. */
export type ItemKind = 'file' | 'sqlite' | 'postgres' | 'command' | 'config';

export interface BackupItem {
  service: string;
  kind: ItemKind;
  /** Path of the entry inside the service's part of the snapshot (POSIX, relative). */
  path: string;
  /** Absolute path to read the bytes from now (the live file, or its consistent copy). */
  source: string;
  /** True when `source` is the live file itself (read in place, not a copy). */
  live: boolean;
  size: number;
  mtimeMs: number;
  mode: number;
  /** What the adapter checked or ran, e.g. `quick_check ok`, `pg_dump (PostgreSQL) 15.8`. */
  note?: string;
  /**
   * Set when `source` is not made yet (an unchanged SQLite database): the repository takes the
   * parent snapshot's entry when it has this size and mtime, else calls this to make `source`.
   */
  copy?: () => Promise<string>;
  /** A SQLite database: what identifies its content, recorded in the snapshot for the next backup. */
  state?: SqliteState;
  /**
   * Set while `source` is still being made (a changed SQLite database's copy, started by the
   * adapter so that the files are read meanwhile): settles once it is made, `state` then filled
   * in; rejects with the copy's error. `copy` waits for it.
   */
  made?: Promise<void>;
}

/** What a snapshot records of a SQLite database, so the next backup knows whether it changed. */
export interface SqliteState {
  /** sqlite-file.ts fingerprint(): change counter, sizes, mtimes, WAL header. */
  fingerprint: string;
  /** The copy's size and mtime (its entry in the snapshot). */
  size: number;
  mtimeMs: number;
  /** The check the copy passed. */
  note: string;
}

export interface AdapterContext {
  stackDir: string;
  service: string;
  /** The service's working folder (its `cwd`, resolved against the stack folder). */
  serviceDir: string;
  /** An empty folder of this backup run for the service's consistent copies. */
  staging: string;
  /** The service's effective environment (its env, the profile's, the overrides). */
  env: Record<string, string>;
  signal?: AbortSignal;
}

/** The pseudo-service that holds the stack's own files (opsdeck.yaml). */
export const STACK_SERVICE = '_stack';
export const CONFIG_PATH = 'opsdeck.yaml';
/** Entry paths of dumps and command outputs: never a path of the stack folder. */
export const dumpPath = (kind: 'postgres' | 'command', file: string) => `.opsdeck/${kind}/${file}`;
export const isDumpPath = (path: string) => path.startsWith('.opsdeck/');
