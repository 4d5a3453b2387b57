/**
 * `PRAGMA integrity_check` / `quick_check` of a database file no one else uses (a copy, a restored
 * file), through node-sqlite3-wasm. Runs on the thread that calls it: a backup's check runs in its
 * own worker thread (sqlite-checks.ts), a restore's and a drill's on the engine's.
 */
import type { Database } from 'node-sqlite3-wasm';
import { isMainThread } from 'node:worker_threads';
import { baselineWasm } from '../../wasm-compiler';
import { readHeader } from './sqlite-file';

export type IntegrityPragma = 'integrity_check' | 'quick_check';

export interface IntegrityVerdict {
  ok: boolean;
  /** `ok`, or the problems SQLite names (or why the file could not be opened). */
  detail: string;
}

/**
 * node-sqlite3-wasm, loaded on first use: it instantiates SQLite's WebAssembly when loaded, which
 * costs an engine that never backs up a SQLite database megabytes of memory for its whole life.
 */
let sqlite: Promise<{ Database: typeof Database }> | undefined;
function openDatabase(file: string): Promise<Database> {
  // The CommonJS module's exports are the default export both under tsx and in the bundles.
  sqlite ??= import('node-sqlite3-wasm').then((m) => (m as unknown as { default: { Database: typeof Database } }).default);
  return sqlite.then(({ Database }) => new Database(file, { readOnly: true, fileMustExist: true }));
}

/**
 * The check's verdict; never throws. A WAL-mode database is read in exclusive locking mode, the
 * only way node-sqlite3-wasm (no shared memory) can open one.
 */
export async function integrityCheck(file: string, pragma: IntegrityPragma = 'integrity_check'): Promise<IntegrityVerdict> {
  let db: Database | undefined;
  // it reads the whole file once: the baseline compiler (src/core/wasm-compiler.ts; a worker's
  // starter asks for it, the flag being the process's)
  const compiler = isMainThread ? baselineWasm() : () => undefined;
  try {
    db = await openDatabase(file);
    if (readHeader(file)?.wal) db.exec('PRAGMA locking_mode=EXCLUSIVE');
    const rows = db.all(`PRAGMA ${pragma}`) as Record<string, unknown>[];
    const detail = rows.map((r) => String(r[pragma])).join('; ');
    return { ok: detail === 'ok', detail };
  } catch (e) {
    return { ok: false, detail: (e as Error).message };
  } finally {
    try {
      db?.close();
    } catch {
      // already closed
    }
    compiler();
  }
}
