/**
 * A WAL-mode database's write-ahead log, read without SQLite (whose shared-memory locks this
 * process cannot take): the frames that belong to the log's current generation (salts of its
 * header) with an unbroken checksum chain, up to the last commit frame. Applied to a copy of the
 * main file, they give the database as of that commit, in the main file's own page layout.
 *
 * Why a copy of the main file plus the log is consistent even while a checkpoint rewrites the
 * main file: a checkpoint only writes pages whose newer versions are frames of the log, and the
 * log is read after the main file is copied, so every page the checkpoint may have touched is
 * overwritten again from the log. What would break this is the log restarting (new salts) between
 * the copy and the end of the read: the caller compares the log's header before and after.
 */
import { closeSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';

const WAL_HEADER = 32;
const FRAME_HEADER = 24;
const READ_SIZE = 4 * 1024 * 1024;

export interface WalFrames {
  /** The log header's bytes (magic, page size, checkpoint sequence, salts, checksum). */
  header: Buffer;
  pageSize: number;
  /** Page number → offset in the log of its newest frame at or before the last commit. */
  pages: Map<number, number>;
  /** Database size in pages after the last commit; 0 when the log holds no commit. */
  dbPages: number;
  /** Frames up to and including the last commit. */
  frames: number;
}

/** SQLite's WAL checksum over `buf[from, to)` (32-bit words in the log's byte order), continuing from `s`. */
function checksum(buf: Buffer, from: number, to: number, bigEndian: boolean, s: [number, number]): [number, number] {
  let [s0, s1] = s;
  for (let i = from; i < to; i += 8) {
    const a = bigEndian ? buf.readUInt32BE(i) : buf.readUInt32LE(i);
    const b = bigEndian ? buf.readUInt32BE(i + 4) : buf.readUInt32LE(i + 4);
    s0 = (s0 + a + s1) >>> 0;
    s1 = (s1 + b + s0) >>> 0;
  }
  return [s0, s1];
}

/** The committed frames of the log at `walPath`; undefined when there is no log or its header is not valid. */
export function readWal(walPath: string): WalFrames | undefined {
  let fd: number;
  try {
    fd = openSync(walPath, 'r');
  } catch {
    return undefined;
  }
  try {
    const header = Buffer.alloc(WAL_HEADER);
    if (readSync(fd, header, 0, WAL_HEADER, 0) < WAL_HEADER) return undefined;
    const magic = header.readUInt32BE(0);
    if (magic !== 0x377f0682 && magic !== 0x377f0683) return undefined;
    const bigEndian = magic === 0x377f0683;
    const pageSize = header.readUInt32BE(8) === 1 ? 65536 : header.readUInt32BE(8);
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return undefined;
    let sum = checksum(header, 0, 24, bigEndian, [0, 0]);
    if (sum[0] !== header.readUInt32BE(24) || sum[1] !== header.readUInt32BE(28)) return undefined;
    const salt1 = header.readUInt32BE(16);
    const salt2 = header.readUInt32BE(20);

    const frameSize = FRAME_HEADER + pageSize;
    const perRead = Math.max(1, Math.floor(READ_SIZE / frameSize));
    const buf = Buffer.allocUnsafe(perRead * frameSize);
    const pending = new Map<number, number>();
    const pages = new Map<number, number>();
    let dbPages = 0;
    let frames = 0;
    let frame = 0;
    for (;;) {
      const at = WAL_HEADER + frame * frameSize;
      const n = readSync(fd, buf, 0, buf.length, at);
      const whole = Math.floor(n / frameSize);
      for (let k = 0; k < whole; k++) {
        const o = k * frameSize;
        if (buf.readUInt32BE(o + 8) !== salt1 || buf.readUInt32BE(o + 12) !== salt2) return done();
        sum = checksum(buf, o, o + 8, bigEndian, sum);
        sum = checksum(buf, o + FRAME_HEADER, o + frameSize, bigEndian, sum);
        if (sum[0] !== buf.readUInt32BE(o + 16) || sum[1] !== buf.readUInt32BE(o + 20)) return done();
        const pgno = buf.readUInt32BE(o);
        if (pgno === 0) return done();
        pending.set(pgno, at + o);
        frame++;
        const commit = buf.readUInt32BE(o + 4);
        if (commit > 0) {
          for (const [p, off] of pending) pages.set(p, off);
          pending.clear();
          dbPages = commit;
          frames = frame;
        }
      }
      if (whole < perRead) return done();
    }
    function done(): WalFrames {
      return { header, pageSize, pages, dbPages, frames };
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Write the log's committed pages into `dest` (a copy of the main file) and size it as the last
 * commit says. The frames are read again from the log, so the caller must check afterwards that
 * the log's header did not change (no restart) meanwhile.
 */
export function applyWal(walPath: string, wal: WalFrames, dest: string): void {
  if (wal.frames === 0) return;
  const src = openSync(walPath, 'r');
  const out = openSync(dest, 'r+');
  try {
    const page = Buffer.allocUnsafe(wal.pageSize);
    for (const [pgno, off] of [...wal.pages].sort((a, b) => a[0] - b[0])) {
      if (pgno > wal.dbPages) continue;
      if (readSync(src, page, 0, wal.pageSize, off + FRAME_HEADER) < wal.pageSize) throw new Error('the write-ahead log shrank while it was read');
      writeSync(out, page, 0, wal.pageSize, (pgno - 1) * wal.pageSize);
    }
    ftruncateSync(out, wal.dbPages * wal.pageSize);
  } finally {
    closeSync(src);
    closeSync(out);
  }
}
