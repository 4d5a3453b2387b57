/**
 * SQLite databases: a consistent copy of a database that is being written, never a raw file
 * copy. The live file is opened read-only and copied with `VACUUM INTO` into the staging folder:
 * one read transaction, so the copy is the database as of one commit, compacted. The copy is
 * then checked with `PRAGMA integrity_check`.
 *
 * Locking: node-sqlite3-wasm (what the stack's Node services and Opsdeck use) locks a database
 * with a `<file>.lock` folder; while a writer holds it the copy waits and tries again. Writers of
 * other SQLite libraries lock with POSIX locks this one does not see, so the header's change
 * counter is read before and after the copy: if a commit happened meanwhile, the copy is thrown
 * away and made again. A database in WAL mode cannot be read through node-sqlite3-wasm's file
 * layer (no shared memory): it is refused with a hint (back it up with a `command:` such as
 * `sqlite3 db.sqlite .dump`).
 */
import { closeSync, existsSync, mkdirSync, openSync, readSync, rmSync, statSync, utimesSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { Database } from 'node-sqlite3-wasm';
import { sleep } from '../../clock';
import { OpsError } from '../../errors';
import { normalize } from '../../glob';
import type { AdapterContext, BackupItem } from './types';

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

export interface SqliteCopyOptions {
  /** How long to keep trying while the database is locked by a writer. Default 30 s. */
  busyTimeoutMs?: number;
  /** Copies made again because a commit slipped in. Default 5. */
  maxAttempts?: number;
}

const SQLITE_MAGIC = 'SQLite format 3\0';

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

/** The bytes of the header SQLite changes on every commit (rollback-journal mode), and the journal mode. */
function readHeader(file: string): { changeCounter: number; wal: boolean } | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(100);
    const n = readSync(fd, buf, 0, 100, 0);
    if (n < 100) return undefined;
    if (buf.toString('latin1', 0, 16) !== SQLITE_MAGIC) return undefined;
    return { changeCounter: buf.readUInt32BE(24), wal: buf[18] === 2 || buf[19] === 2 };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const isBusy = (e: unknown) => /database is locked|busy/i.test((e as Error).message ?? '');

/** `PRAGMA integrity_check` of a database file: `ok`, or the problems SQLite names. */
export async function integrityCheck(file: string): Promise<{ ok: boolean; detail: string }> {
  let db: Database | undefined;
  try {
    db = await openDatabase(file);
    const rows = db.all('PRAGMA integrity_check') as { integrity_check: string }[];
    const detail = rows.map((r) => String(r.integrity_check)).join('; ');
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

/**
 * Copy the live database `src` into `dest` consistently, then check the copy. Throws
 * BACKUP_SOURCE_FAILED saying what went wrong (missing file, WAL mode, locked too long,
 * a copy that fails its integrity check).
 */
export async function copySqlite(src: string, dest: string, opts: SqliteCopyOptions = {}): Promise<{ integrity: string; attempts: number }> {
  const busyTimeoutMs = opts.busyTimeoutMs ?? 30_000;
  const maxAttempts = opts.maxAttempts ?? 5;
  if (!existsSync(src)) throw new OpsError('BACKUP_SOURCE_FAILED', `SQLite database ${src} does not exist`, 'check backup.sqlite in opsdeck.yaml (paths are relative to the service\'s folder), or start the service once so that it creates it');
  const before0 = readHeader(src);
  if (!before0) {
    if (statSync(src).size === 0) throw new OpsError('BACKUP_SOURCE_FAILED', `SQLite database ${src} is empty (0 bytes)`, 'an empty file is not a database yet: start the service so that it creates its tables');
    throw new OpsError('BACKUP_SOURCE_FAILED', `${src} is not an SQLite 3 database`, 'check backup.sqlite in opsdeck.yaml: list database files only (other files go in backup.files)');
  }
  if (before0.wal) {
    throw new OpsError(
      'BACKUP_SOURCE_FAILED',
      `SQLite database ${src} is in WAL mode, which the SQLite adapter cannot read consistently`,
      'back it up with a command instead, e.g. backup.command: { exec: [sqlite3, db.sqlite, .dump], file: db.sql }, or switch it to journal_mode=DELETE',
    );
  }
  const deadline = Date.now() + busyTimeoutMs;
  for (let attempt = 1; ; attempt++) {
    const before = readHeader(src);
    let db: Database | undefined;
    try {
      db = await openDatabase(src);
      await vacuumInto(db, dest, deadline);
    } catch (e) {
      rmSync(dest, { force: true });
      const lockDir = `${src}.lock`;
      const hint = isBusy(e)
        ? existsSync(lockDir)
          ? `a writer held the database for more than ${busyTimeoutMs / 1000}s; if no process uses it, ${lockDir} is a stale lock left by a killed process: remove it`
          : `the database stayed locked for more than ${busyTimeoutMs / 1000}s; try again when the service is less busy`
        : 'run `PRAGMA integrity_check` on the live database; a damaged database cannot be copied';
      throw new OpsError('BACKUP_SOURCE_FAILED', `could not copy SQLite database ${src}: ${(e as Error).message}`, hint);
    } finally {
      try {
        db?.close();
      } catch {
        // closed
      }
    }
    const after = readHeader(src);
    if (before && after && before.changeCounter !== after.changeCounter && attempt < maxAttempts) {
      // A writer that does not use node-sqlite3-wasm's lock committed during the copy.
      rmSync(dest, { force: true });
      await sleep(10 * attempt);
      continue;
    }
    const check = await integrityCheck(dest);
    if (!check.ok) {
      rmSync(dest, { force: true });
      throw new OpsError('BACKUP_SOURCE_FAILED', `the copy of SQLite database ${src} fails its integrity check: ${check.detail}`, 'run `PRAGMA integrity_check` on the live database: it may be damaged');
    }
    return { integrity: check.detail, attempts: attempt };
  }
}

/** How long one burst of attempts may hold the event loop before letting it breathe. */
const BURST_MS = 25;

/**
 * `VACUUM INTO dest`, retried while a writer holds the database. The lock is a folder that the
 * writer takes and drops between its transactions, with nobody queueing, so waiting politely
 * would only find the gaps by luck: the attempts come back to back (each costs microseconds)
 * in short bursts, yielding to the event loop between bursts, until one lands in a gap.
 */
async function vacuumInto(db: Database, dest: string, deadline: number): Promise<void> {
  const sql = `VACUUM INTO '${dest.replace(/'/g, "''")}'`;
  for (;;) {
    const burstEnd = Date.now() + BURST_MS;
    do {
      try {
        db.exec(sql);
        return;
      } catch (e) {
        rmSync(dest, { force: true });
        if (!isBusy(e) || Date.now() >= deadline) throw e;
      }
    } while (Date.now() < burstEnd);
    await new Promise<void>((r) => setImmediate(r));
  }
}

/** The service's declared databases (`backup.sqlite`), copied into the staging folder. */
export async function collectSqlite(ctx: AdapterContext, files: readonly string[], opts: SqliteCopyOptions = {}): Promise<BackupItem[]> {
  const items: BackupItem[] = [];
  for (const file of files) {
    const abs = path.resolve(ctx.serviceDir, file);
    const origin = normalize(path.relative(ctx.stackDir, abs).split(path.sep).join('/'));
    if (origin.startsWith('..') || path.isAbsolute(origin)) {
      throw new OpsError('BAD_REQUEST', `backup.sqlite of ${ctx.service} names ${abs}, outside the stack folder`, 'backups take files inside the stack folder only');
    }
    const dest = path.join(ctx.staging, 'sqlite', ...origin.split('/'));
    mkdirSync(path.dirname(dest), { recursive: true });
    const st = statSync(abs, { throwIfNoEntry: false });
    const { integrity } = await copySqlite(abs, dest, opts);
    // The copy carries the live file's times: an unchanged database gives an unchanged copy,
    // which the repository then recognises without reading it again.
    if (st) utimesSync(dest, st.atime, st.mtime);
    const copy = statSync(dest);
    items.push({
      service: ctx.service,
      kind: 'sqlite',
      path: origin,
      source: dest,
      live: false,
      size: copy.size,
      mtimeMs: st?.mtimeMs ?? copy.mtimeMs,
      mode: (st?.mode ?? copy.mode) & 0o7777,
      note: `integrity_check ${integrity}`,
    });
  }
  return items;
}
