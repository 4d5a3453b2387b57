/**
 * SQLite databases: a consistent copy of each declared database (sqlite-copy.ts: its pages as
 * they are, rollback-journal or WAL mode, never a rewrite), checked with `PRAGMA quick_check`
 * in a worker thread while the repository stores it (sqlite-checks.ts), and not copied at all when it has not changed since the last snapshot (same fingerprint:
 * change counter, sizes, mtimes, WAL header): the repository then takes the last snapshot's
 * entry as it is, and has the copy made only if that entry cannot be used.
 *
 * Integrity: `quick_check` (the page structure, records and constraints, in one pass) instead of
 * a full `integrity_check` (which also checks every index against its table, at a cost that grows
 * with the indexes): a backup copies pages faithfully, so the check is there to report a database
 * that is already damaged; a restore (and a drill) runs the full `integrity_check`. The check
 * runs beside the chunking of the copy and of the other files, and the snapshot is written only
 * after it passed; a failed check stops the backup: a damaged database costs the packs stored
 * meanwhile (unreferenced, prune removes them), not a snapshot.
 */
import { mkdirSync, statSync, utimesSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { OpsError } from '../../errors';
import { normalize } from '../../glob';
import { checkedHeader, copySqlite, type SqliteCopyOptions } from './sqlite-copy';
import { SqliteChecks } from './sqlite-checks';
import { fingerprint, SQLITE_MAGIC } from './sqlite-file';
import type { AdapterContext, BackupItem, SqliteState } from './types';

export { copySqlite, type SqliteCopyOptions } from './sqlite-copy';
export { integrityCheck } from './sqlite-integrity';

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
 * A consistent copy of `src` in `dest` carrying the time `mtimeMs`, its quick_check queued on
 * `checks` (which the backup waits for before it writes the snapshot).
 */
async function checkedCopy(src: string, dest: string, mtimeMs: number, opts: SqliteCopyOptions, checks: SqliteChecks): Promise<void> {
  await copySqlite(src, dest, opts);
  // The copy carries the database's time (the newest of its files): an unchanged database gives
  // an unchanged copy, which the repository recognises without reading it again.
  utimesSync(dest, mtimeMs / 1000, mtimeMs / 1000);
  checks.start(src, dest);
}

/** The note of a database copied and checked (a failed check fails the backup). */
const COPY_NOTE = 'quick_check ok';

/**
 * The service's declared databases (`backup.sqlite`), copied into the staging folder; one whose
 * fingerprint is the one `previous` recorded (the last snapshot's) is not copied, only described.
 * The copies' checks run on `checks` (the caller waits for its verdict before it uses the copies);
 * without it, they are waited for here.
 */
export async function collectSqlite(ctx: AdapterContext, files: readonly string[], opts: SqliteCopyOptions = {}, previous: Record<string, SqliteState> = {}, checks?: SqliteChecks): Promise<BackupItem[]> {
  if (!checks) {
    const own = new SqliteChecks();
    try {
      const items = await collectSqlite(ctx, files, opts, previous, own);
      await copiesMade(items);
      await own.verdict();
      return items;
    } finally {
      await own.close();
    }
  }
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
        await checkedCopy(abs, dest, prev.mtimeMs, opts, checks);
        return dest;
      };
      items.push({ ...base, size: prev.size, mtimeMs: prev.mtimeMs, copy, state: prev, note: `unchanged (${prev.note})` });
      continue;
    }
    // The copy is made while the repository reads the other files; the repository waits for it
    // (`copy`) when it comes to the database, and the backup (copiesMade) before its snapshot.
    const mtimeMs = fp?.mtimeMs ?? st.mtimeMs;
    const item: BackupItem = { ...base, size: st.size, mtimeMs, note: COPY_NOTE };
    item.made = (async () => {
      await checkedCopy(abs, dest, mtimeMs, opts, checks);
      const copied = statSync(dest);
      // A commit between the fingerprint and the copy: the copy is newer than the fingerprint says,
      // so it gets none (the next backup copies the database again).
      // The state names the entry the snapshot gets: the copy's size, and the time the item carries
      // (the copy's, before the file system rounded it).
      if (fp && fingerprint(abs)?.key === fp.key) item.state = { fingerprint: fp.key, size: copied.size, mtimeMs, note: COPY_NOTE };
    })();
    item.made.catch(() => undefined); // its error is thrown where it is waited for
    item.copy = async () => {
      await item.made;
      return dest;
    };
    items.push(item);
  }
  return items;
}

/** Wait until every copy `items` started is made; the first failed copy's error is thrown. */
export async function copiesMade(items: readonly BackupItem[]): Promise<void> {
  await Promise.all(items.map((i) => i.made));
}
