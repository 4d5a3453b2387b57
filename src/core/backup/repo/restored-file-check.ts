/**
 * The check of a restored file: it is read back from disk and compared with what the snapshot
 * says it holds. A file is known by its chunks' ids (the SHA-256 of each chunk, in order): the
 * bytes read back are cut where the chunks end (their lengths from the index) and each piece is
 * hashed against its id, which proves the file on disk is the backed-up one, byte for byte, with
 * one hash of each byte. A file an older snapshot recorded with its own SHA-256 (`sha256`) is
 * checked against that instead.
 *
 * Used by the restore's worker threads and by a restore on the calling thread (small restores);
 * reads synchronously, through a buffer the caller lends.
 */
import { createHash, hash } from 'node:crypto';
import fs from 'node:fs';

/** The chunks a file is known by, in order (a restore job's table: restore-chunks.ts). */
export interface ChunkSequence {
  readonly count: number;
  rawLength(i: number): number;
  /** Is `digest` (SHA-256, 32 bytes) chunk `i`'s id? */
  is(i: number, digest: Uint8Array): boolean;
  /** Chunk `i`'s id in hex. */
  id(i: number): string;
}

/** What the snapshot says a file holds. */
export interface RestoredExpectation {
  /** The whole file's SHA-256, recorded by older snapshots; when absent the chunks are checked. */
  sha256?: string;
  chunks: readonly { id: string; rawLength: number }[] | ChunkSequence;
}

const sequenceOf = (chunks: RestoredExpectation['chunks']): ChunkSequence =>
  'count' in chunks
    ? chunks
    : { count: chunks.length, rawLength: (i) => chunks[i]!.rawLength, is: (i, digest) => Buffer.from(digest.buffer, digest.byteOffset, digest.length).toString('hex') === chunks[i]!.id, id: (i) => chunks[i]!.id };

/** What the read-back found: the size on disk, and a difference if there is one. */
export interface RestoredCheck {
  size: number;
  /** The whole file's SHA-256 (files checked against a recorded one). */
  sha256?: string;
  /** The first chunk whose bytes on disk do not hash to its id (or are missing). */
  badChunk?: string;
}

/**
 * Read `path` back and check it. `buffer(n)` lends a buffer of at least `n` bytes (the largest
 * chunk, or a read's worth when larger).
 */
export function checkRestoredFile(path: string, expected: RestoredExpectation, buffer: (n: number) => Buffer, readBytes = 1 << 20): RestoredCheck {
  const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const size = fs.fstatSync(fd).size;
    if (expected.sha256) return { size, sha256: wholeFileHash(fd, buffer(readBytes)) };
    const chunks = sequenceOf(expected.chunks);
    let largest = readBytes;
    for (let i = 0; i < chunks.count; i++) largest = Math.max(largest, chunks.rawLength(i));
    const badChunk = firstBadChunk(fd, chunks, buffer(largest));
    return badChunk === undefined ? { size } : { size, badChunk };
  } finally {
    fs.closeSync(fd);
  }
}

function wholeFileHash(fd: number, buf: Buffer): string {
  const h = createHash('sha256');
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    h.update(n === buf.length ? buf : buf.subarray(0, n));
  }
  return h.digest('hex');
}

/**
 * The chunks in order over a window of the file: the window is refilled when the next chunk is
 * not whole in it (what is left moves to its start). Bytes past the last chunk are the size's
 * business (the caller compares it).
 */
function firstBadChunk(fd: number, chunks: ChunkSequence, win: Buffer): string | undefined {
  let start = 0;
  let end = 0;
  let eof = false;
  for (let i = 0; i < chunks.count; i++) {
    const rawLength = chunks.rawLength(i);
    if (end - start < rawLength && !eof) {
      win.copy(win, 0, start, end);
      end -= start;
      start = 0;
      while (end < win.length) {
        const n = fs.readSync(fd, win, end, win.length - end, null);
        if (n === 0) {
          eof = true;
          break;
        }
        end += n;
      }
    }
    if (end - start < rawLength || !chunks.is(i, hash('sha256', win.subarray(start, start + rawLength), 'buffer'))) return chunks.id(i);
    start += rawLength;
  }
  return undefined;
}
