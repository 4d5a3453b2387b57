/**
 * A consistent copy of a live SQLite database that keeps its page layout (so unchanged pages
 * deduplicate in the repository), made with file reads and SQLite's on-disk formats, never by
 * rewriting it (`VACUUM INTO` compacts it into a new layout, so nothing dedups).
 *
 * Rollback-journal mode: the main file is copied whole (a kernel copy) between two reads of its
 * change counter, which every commit increments by rewriting page 1 first. node-sqlite3-wasm (what
 * the stack's Node services and Opsdeck use) locks with a `<db>.lock` folder: the copy takes that
 * lock, so such writers wait for it. Writers of other libraries (POSIX locks, which Node cannot
 * take) are detected: a commit that overlaps the copy either changes the counter between the two
 * reads, or was already writing pages when the first was taken and then has a live journal right
 * after it. Either way the copy is thrown away and made again.
 *
 * WAL mode: the main file is copied, then the write-ahead log's committed frames are applied to
 * the copy (sqlite-wal.ts); the log's header is compared before and after, and a restart of the
 * log meanwhile makes the copy again. No lock is taken: readers and writers never wait for it.
 */
import { constants, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { copyFile, rmdir } from 'node:fs/promises';
import { sleep } from '../../clock';
import { OpsError } from '../../errors';
import { journalIsHot, readBytes, readHeader, type SqliteHeader } from './sqlite-file';
import { applyWal, readWal } from './sqlite-wal';

export interface SqliteCopyOptions {
  /** How long to keep trying while the database is locked or being committed to. Default 30 s. */
  busyTimeoutMs?: number;
  /** Copies made again because a commit slipped in. Default 5 (WAL: 20). */
  maxAttempts?: number;
}

export interface SqliteCopy {
  attempts: number;
  wal: boolean;
  /** WAL mode: the frames applied from the log. */
  walFrames?: number;
}

/** The header of the database at `src`, or the reason it cannot be copied. */
export function checkedHeader(src: string): SqliteHeader {
  if (!existsSync(src)) throw new OpsError('BACKUP_SOURCE_FAILED', `SQLite database ${src} does not exist`, "check backup.sqlite in opsdeck.yaml (paths are relative to the service's folder), or start the service once so that it creates it");
  const head = readHeader(src);
  if (!head) {
    if (statSync(src).size === 0) throw new OpsError('BACKUP_SOURCE_FAILED', `SQLite database ${src} is empty (0 bytes)`, 'an empty file is not a database yet: start the service so that it creates its tables');
    throw new OpsError('BACKUP_SOURCE_FAILED', `${src} is not an SQLite 3 database`, 'check backup.sqlite in opsdeck.yaml: list database files only (other files go in backup.files)');
  }
  return head;
}

/** Copy the live database `src` into `dest` consistently (see the file's comment). */
export async function copySqlite(src: string, dest: string, opts: SqliteCopyOptions = {}): Promise<SqliteCopy> {
  const head = checkedHeader(src);
  const deadline = Date.now() + (opts.busyTimeoutMs ?? 30_000);
  try {
    return head.wal ? await copyWal(src, dest, deadline, opts.maxAttempts ?? 20) : await copyRollback(src, dest, deadline, opts.maxAttempts ?? 5);
  } catch (e) {
    rmSync(dest, { force: true });
    if (e instanceof OpsError) throw e;
    throw new OpsError('BACKUP_SOURCE_FAILED', `could not copy SQLite database ${src}: ${(e as Error).message}`, 'check that the file is readable and the staging folder has space');
  }
}

async function copyRollback(src: string, dest: string, deadline: number, maxAttempts: number): Promise<SqliteCopy> {
  for (let attempt = 1; ; attempt++) {
    const lock = await takeLock(src, deadline);
    let torn: string | undefined;
    try {
      const before = readHeader(src);
      if (journalIsHot(src)) torn = 'a writer was committing';
      else {
        await copyWhole(src, dest);
        const after = readHeader(src);
        if (!before || !after || before.changeCounter !== after.changeCounter) torn = 'a commit happened during the copy';
        else if (after.wal) torn = 'the database switched to WAL mode';
      }
    } finally {
      // on the thread pool: on ext4 the removal can wait for the journal to take the copy's
      // blocks (~60 ms after a 151 MiB copy), which held the event loop
      if (lock) await rmdir(lock);
    }
    if (!torn) return { attempts: attempt, wal: false };
    rmSync(dest, { force: true });
    if (readHeader(src)?.wal) return copyWal(src, dest, deadline, 20);
    if (attempt >= maxAttempts && Date.now() >= deadline) {
      throw new OpsError(
        'BACKUP_SOURCE_FAILED',
        `could not copy SQLite database ${src} consistently in ${attempt} attempts: ${torn}`,
        journalIsHot(src)
          ? `${src}-journal stayed live: if no process writes the database, a writer died mid-commit; open the database once with SQLite (e.g. sqlite3 ${src} 'PRAGMA quick_check') to roll it back`
          : 'the database is committed to faster than it can be copied; try again when the service is less busy',
      );
    }
    await sleep(Math.min(200, 5 * attempt));
  }
}

async function copyWal(src: string, dest: string, deadline: number, maxAttempts: number): Promise<SqliteCopy> {
  const walPath = `${src}-wal`;
  for (let attempt = 1; ; attempt++) {
    const before = readBytes(walPath, 32);
    await copyWhole(src, dest);
    const wal = readWal(walPath);
    if (wal) applyWal(walPath, wal, dest);
    const after = readBytes(walPath, 32);
    const same = (before?.length ?? 0) === (after?.length ?? 0) && (!before || !after || before.equals(after)) && (!wal || !after || wal.header.equals(after));
    if (same) return { attempts: attempt, wal: true, walFrames: wal?.frames ?? 0 };
    rmSync(dest, { force: true });
    if (attempt >= maxAttempts && Date.now() >= deadline) {
      throw new OpsError('BACKUP_SOURCE_FAILED', `could not copy SQLite database ${src} consistently in ${attempt} attempts: its write-ahead log restarted during every copy`, 'try again when the service is less busy');
    }
    await sleep(Math.min(200, 5 * attempt));
  }
}

/**
 * The main file, copied whole by the kernel on libuv's thread pool, so the engine that runs a
 * scheduled backup (the daemon, or the extension host's) keeps answering meanwhile: ~0.3 s for
 * the bench's 151 MiB database, which copyFileSync spent blocking the event loop. A clone where
 * the file system has them (Btrfs, XFS, APFS: shared blocks, nearly instant), else a copy.
 */
function copyWhole(src: string, dest: string): Promise<void> {
  return copyFile(src, dest, constants.COPYFILE_FICLONE);
}

/** How long one burst of attempts to take the lock may hold the event loop before letting it breathe. */
const BURST_MS = 25;

/**
 * Take node-sqlite3-wasm's lock folder `<db>.lock`, retried while a writer holds it. Such writers
 * take and drop it between their transactions with nobody queueing, so waiting politely would only
 * find the gaps by luck: the attempts come back to back (each costs microseconds) in short bursts,
 * yielding to the event loop between bursts. Returns the folder to remove, or undefined where it
 * cannot be made (a read-only folder: nobody writes there with node-sqlite3-wasm either).
 */
async function takeLock(db: string, deadline: number): Promise<string | undefined> {
  const dir = `${db}.lock`;
  for (;;) {
    const burstEnd = Date.now() + BURST_MS;
    do {
      try {
        mkdirSync(dir);
        return dir;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST') return undefined;
        if (Date.now() >= deadline) {
          throw new OpsError(
            'BACKUP_SOURCE_FAILED',
            `could not copy SQLite database ${db}: database is locked`,
            `a writer held the database for more than the busy timeout; if no process uses it, ${dir} is a stale lock left by a killed process: remove it`,
          );
        }
      }
    } while (Date.now() < burstEnd);
    await new Promise<void>((r) => setImmediate(r));
  }
}
