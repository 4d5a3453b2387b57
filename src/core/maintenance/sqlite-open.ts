/**
 * A service's SQLite database opened for maintenance with node-sqlite3-wasm, loaded on first use
 * like the backup adapters load it (src/core/backup/adapters/sqlite.ts): read-write, the file
 * must exist. node-sqlite3-wasm locks with a `<db>.lock` folder, which the service's own
 * node-sqlite3-wasm connections share: a statement that meets a live writer's lock is tried
 * again until `busyTimeoutMs` has passed (each try waits on the event loop, not in SQLite).
 */
import type { Database } from 'node-sqlite3-wasm';
import { sleep } from '../clock';
import { OpsError } from '../errors';
import { readHeader } from '../backup/adapters/sqlite-file';

let sqlite: Promise<{ Database: typeof Database }> | undefined;

export interface MaintenanceDb {
  /** The value of the first column of the first row. */
  value(sql: string): Promise<unknown>;
  all(sql: string): Promise<Record<string, unknown>[]>;
  exec(sql: string): Promise<void>;
  close(): void;
}

const isBusy = (e: unknown) => /locked|busy/i.test((e as Error).message);

/** Open `file`; WAL-mode databases only when `exclusive` (node-sqlite3-wasm has no shared memory for the WAL index). */
export async function openForMaintenance(file: string, opts: { busyTimeoutMs: number; exclusive: boolean }): Promise<MaintenanceDb> {
  sqlite ??= import('node-sqlite3-wasm').then((m) => (m as unknown as { default: { Database: typeof Database } }).default);
  const { Database: Db } = await sqlite;
  const wal = readHeader(file)?.wal ?? false;
  if (wal && !opts.exclusive) {
    throw new OpsError('NOT_AVAILABLE', `${file} is in WAL mode, which Opsdeck can only open while nothing else has it open`, 'stop the service first (`maintenance.requires_stop: true` makes the task do it)');
  }
  const db: Database = new Db(file, { fileMustExist: true });
  const retry = async <T>(fn: () => T): Promise<T> => {
    const end = Date.now() + opts.busyTimeoutMs;
    for (;;) {
      try {
        return fn();
      } catch (e) {
        if (!isBusy(e) || Date.now() >= end) {
          if (isBusy(e)) throw new OpsError('NOT_AVAILABLE', `${file} stayed locked by another connection for ${Math.round(opts.busyTimeoutMs / 1000)}s`, 'a live writer holds it: try again later, or stop the service');
          throw e;
        }
        await sleep(50);
      }
    }
  };
  if (wal) await retry(() => db.exec('PRAGMA locking_mode = EXCLUSIVE'));
  return {
    value: (sql) => retry(() => Object.values(db.get(sql) ?? {})[0]),
    all: (sql) => retry(() => db.all(sql) as Record<string, unknown>[]),
    exec: (sql) => retry(() => db.exec(sql)),
    close: () => {
      try {
        db.close();
      } catch {
        // already closed
      }
    },
  };
}
