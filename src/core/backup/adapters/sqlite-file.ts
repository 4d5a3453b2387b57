/**
 * What a SQLite database's files say without opening it with SQLite: the main file's header (page
 * size, change counter, journal mode), whether a rollback journal is hot (a commit under way or
 * interrupted), and a fingerprint of the files (header, sizes, mtimes) that changes with every
 * commit, so a backup can tell an unchanged database without reading it.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';

export const SQLITE_MAGIC = 'SQLite format 3\0';
/** The first bytes of a rollback journal's header while it is live (PERSIST mode zeroes them on commit). */
const JOURNAL_MAGIC = Buffer.from('d9d505f920a163d7', 'hex');

export interface SqliteHeader {
  pageSize: number;
  /** Offset 24: incremented by every commit in rollback-journal mode (not in WAL mode). */
  changeCounter: number;
  /** File format bytes 18/19 are 2: the database is in WAL mode. */
  wal: boolean;
}

/** Up to `n` bytes of `file` from `offset` (fewer at its end); undefined when it cannot be read. */
export function readBytes(file: string, n: number, offset = 0): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(n);
    return buf.subarray(0, readSync(fd, buf, 0, n, offset));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function parseHeader(buf: Buffer | undefined): SqliteHeader | undefined {
  if (!buf || buf.length < 100 || buf.toString('latin1', 0, 16) !== SQLITE_MAGIC) return undefined;
  const raw = buf.readUInt16BE(16);
  return { pageSize: raw === 1 ? 65536 : raw, changeCounter: buf.readUInt32BE(24), wal: buf[18] === 2 || buf[19] === 2 };
}

export const readHeader = (file: string): SqliteHeader | undefined => parseHeader(readBytes(file, 100));

/**
 * Whether `<db>-journal` holds a live rollback journal: a writer is committing (or died while
 * committing, leaving a hot journal), so the main file may be half written.
 */
export function journalIsHot(db: string): boolean {
  const head = readBytes(`${db}-journal`, 8);
  return !!head && head.length === 8 && head.equals(JOURNAL_MAGIC);
}

/**
 * What changes whenever the database does: the main file's change counter, size and mtime, and in
 * WAL mode the WAL's size, mtime and salts (a commit appends to the WAL; a checkpoint rewrites the
 * main file; a WAL restart changes the salts). Equal fingerprints: the same database content.
 */
export function fingerprint(db: string): { key: string; mtimeMs: number } | undefined {
  const st = statSync(db, { throwIfNoEntry: false });
  const head = readHeader(db);
  if (!st || !head) return undefined;
  const parts: (number | string)[] = [head.changeCounter, head.pageSize, st.size, st.mtimeMs];
  let mtimeMs = st.mtimeMs;
  if (head.wal) {
    const wst = statSync(`${db}-wal`, { throwIfNoEntry: false });
    const whead = readBytes(`${db}-wal`, 32);
    parts.push(wst?.size ?? -1, wst?.mtimeMs ?? -1, whead?.toString('hex') ?? '');
    if (wst && wst.mtimeMs > mtimeMs) mtimeMs = wst.mtimeMs;
  }
  return { key: parts.join(':'), mtimeMs };
}
