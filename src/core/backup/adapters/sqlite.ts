/**
 * SQLite databases: a consistent copy of each declared database (sqlite-copy.ts: its pages as
 * they are, rollback-journal or WAL mode, never a rewrite), checked with `PRAGMA quick_check`,
 * and not copied at all when it has not changed since the last snapshot (same fingerprint:
 * change counter, sizes, mtimes, WAL header): the repository then takes the last snapshot's
 * entry as it is, and has the copy made only if that entry cannot be used.
 *
 * Integrity: `quick_check` (the page structure, records and constraints, in one pass) instead of
 * a full `integrity_check` (which also checks every index against its table, at a cost that grows
 * with the indexes): a backup copies pages faithfully, so the check is there to report a database
 * that is already damaged; a restore (and a drill) runs the full `integrity_check`.
 */
import { mkdirSync, statSync, utimesSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { Database } from 'node-sqlite3-wasm';
import { OpsError } from '../../errors';
import { normalize } from '../../glob';
import { checkedHeader, copySqlite, type SqliteCopyOptions } from './sqlite-copy';
import { fingerprint, readHeader, SQLITE_MAGIC } from './sqlite-file';
import type { AdapterContext, BackupItem, SqliteState } from './types';

export { copySqlite, type SqliteCopyOptions } from './sqlite-copy';

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

/** Whether `file` starts as a SQLite database does (a restored file checked without knowing what it is). */
export async function isSqliteFile(file: string): Promise<boolean> {
  try {
    const fh = await open(file, 'r');
    try {
      const buf = Buffer.alloc(16);
      const { bytesRead } = await fh.read(buf, 0, 16, 0);
      return bytesRead === 16 && buf.toString('latin1') === SQLITE_MAGIC;
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
}

/**
 * `PRAGMA integrity_check` (or `quick_check`) of a database file no one else uses (a copy, a
 * restored file): `ok`, or the problems SQLite names. A WAL-mode database is read in exclusive
 * locking mode, the only way node-sqlite3-wasm (no shared memory) can open one.
 */
export async function integrityCheck(file: string, pragma: 'integrity_check' | 'quick_check' = 'integrity_check'): Promise<{ ok: boolean; detail: string }> {
  let db: Database | undefined;
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
  }
}

/** A consistent copy of `src` in `dest` carrying the time `mtimeMs`, checked with quick_check (BACKUP_SOURCE_FAILED when it fails). */
async function checkedCopy(src: string, dest: string, mtimeMs: number, opts: SqliteCopyOptions): Promise<string> {
  await copySqlite(src, dest, opts);
  const check = await integrityCheck(dest, 'quick_check');
  if (!check.ok) throw new OpsError('BACKUP_SOURCE_FAILED', `the copy of SQLite database ${src} fails its quick_check: ${check.detail}`, 'run `PRAGMA integrity_check` on the live database: it may be damaged');
  // The copy carries the database's time (the newest of its files): an unchanged database gives
  // an unchanged copy, which the repository recognises without reading it again.
  utimesSync(dest, mtimeMs / 1000, mtimeMs / 1000);
  return 'quick_check ok';
}

/**
 * The service's declared databases (`backup.sqlite`), copied into the staging folder; one whose
 * fingerprint is the one `previous` recorded (the last snapshot's) is not copied, only described.
 */
export async function collectSqlite(ctx: AdapterContext, files: readonly string[], opts: SqliteCopyOptions = {}, previous: Record<string, SqliteState> = {}): Promise<BackupItem[]> {
  const items: BackupItem[] = [];
  for (const file of files) {
    const abs = path.resolve(ctx.serviceDir, file);
    const origin = normalize(path.relative(ctx.stackDir, abs).split(path.sep).join('/'));
    if (origin.startsWith('..') || path.isAbsolute(origin)) {
      throw new OpsError('BAD_REQUEST', `backup.sqlite of ${ctx.service} names ${abs}, outside the stack folder`, 'backups take files inside the stack folder only');
    }
    const dest = path.join(ctx.staging, 'sqlite', ...origin.split('/'));
    mkdirSync(path.dirname(dest), { recursive: true });
    checkedHeader(abs);
    const st = statSync(abs);
    const base = { service: ctx.service, kind: 'sqlite' as const, path: origin, source: dest, live: false, mode: st.mode & 0o7777 };
    const fp = fingerprint(abs);
    const prev = previous[origin];
    if (fp && prev?.fingerprint === fp.key) {
      // Unchanged since the last snapshot: the repository takes its entry (same size and mtime),
      // or has the copy made if it cannot.
      const copy = async () => {
        await checkedCopy(abs, dest, prev.mtimeMs, opts);
        return dest;
      };
      items.push({ ...base, size: prev.size, mtimeMs: prev.mtimeMs, copy, state: prev, note: `unchanged (${prev.note})` });
      continue;
    }
    const note = await checkedCopy(abs, dest, fp?.mtimeMs ?? st.mtimeMs, opts);
    const copied = statSync(dest);
    // A commit between the fingerprint and the copy: the copy is newer than the fingerprint says,
    // so it gets none (the next backup copies the database again).
    const same = fp && fingerprint(abs)?.key === fp.key;
    items.push({ ...base, size: copied.size, mtimeMs: copied.mtimeMs, note, ...(same ? { state: { fingerprint: fp.key, size: copied.size, mtimeMs: copied.mtimeMs, note } } : {}) });
  }
  return items;
}
