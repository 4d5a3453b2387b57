/**
 * Content-defined chunking, FastCDC style: a gear rolling hash (`h = (h << 1) + G[byte]`, 32 bits,
 * so each bit of h depends on at most the last 32 bytes), cut points where the hash's top bits
 * are all zero. Normalized chunking: a stricter mask (more bits) before the average size, a
 * looser one after it, which pulls sizes towards the average. Nothing is hashed in the first
 * `minSize - 32` bytes of a chunk (the skipped region FastCDC exploits for speed), and a cut is
 * forced at `maxSize`.
 *
 * Boundaries depend only on the bytes around them, so an insertion moves at most the chunks it
 * touches; every chunk after the next natural boundary is unchanged (and deduplicated).
 *
 * SQLite database files are the exception: SQLite rewrites whole pages in place and never shifts
 * bytes, so they are cut on page boundaries (the page size from their header), one chunk per page
 * (several pages when pages are under 4 KiB): a changed page costs one page in the repository,
 * where content-defined chunks of about 1 MiB would cost a whole chunk per scattered change.
 */
import type { ChunkerParams } from './model';

export const DEFAULT_CHUNKER: ChunkerParams = {
  minSize: 256 * 1024,
  avgSize: 1024 * 1024,
  maxSize: 4 * 1024 * 1024,
  seed: 0x6f707364, // "opsd"
};

const WINDOW = 32;

/** A deterministic gear table: 256 pseudo-random 32-bit values from a seeded PRNG (splitmix32). */
export function gearTable(seed: number): Int32Array {
  const table = new Int32Array(256);
  let s = seed >>> 0;
  for (let i = 0; i < 256; i++) {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    table[i] = z | 0;
  }
  return table;
}

export interface Cutter {
  readonly params: ChunkerParams;
  /**
   * Length of the next chunk starting at `start` in `buf[start, end)`. The caller guarantees that
   * either `end - start >= maxSize` or `end` is the end of the data (`final`).
   */
  cut(buf: Uint8Array, start: number, end: number, final: boolean): number;
}

/**
 * The cut function itself: the gear hash over a buffer, with the masks of the given sizes (the
 * main thread and the backup's worker threads, worker-thread.ts, cut with it).
 */
export function cutFunction(G: Int32Array, minSize: number, avgSize: number, maxSize: number) {
  const WINDOW_ = 32;
  const topMask = (bits: number) => (bits >= 32 ? -1 : (0xffffffff << (32 - bits)) | 0);
  const bits = Math.round(Math.log2(avgSize));
  const maskS = topMask(bits + 2); // before the average: harder to cut
  const maskL = topMask(bits - 2); // after it: easier
  return function cut(buf: Uint8Array, start: number, end: number, final: boolean): number {
    const avail = end - start;
    if (avail <= minSize) {
      if (!final && avail < maxSize) throw new RangeError('cutter needs maxSize bytes or the end of data');
      return avail;
    }
    const limit = Math.min(avail, maxSize);
    const normal = Math.min(limit, avgSize);
    let h = 0;
    let i = start + minSize - WINDOW_;
    const a = start + minSize;
    // warm up the window so the hash at `minSize` depends on the previous 32 bytes only
    for (; i < a; i++) h = ((h << 1) + G[buf[i]!]!) | 0;
    const n1 = start + normal;
    for (; i < n1; i++) {
      h = ((h << 1) + G[buf[i]!]!) | 0;
      if ((h & maskS) === 0) return i + 1 - start;
    }
    const n2 = start + limit;
    for (; i < n2; i++) {
      h = ((h << 1) + G[buf[i]!]!) | 0;
      if ((h & maskL) === 0) return i + 1 - start;
    }
    return limit;
  };
}

export function checkChunkerParams(params: ChunkerParams): void {
  const { minSize, avgSize, maxSize } = params;
  if (!(minSize >= WINDOW * 2 && minSize < avgSize && avgSize < maxSize && maxSize < 2 ** 31)) {
    throw new RangeError(`bad chunker sizes ${minSize}/${avgSize}/${maxSize}`);
  }
}

export function makeCutter(params: ChunkerParams = DEFAULT_CHUNKER): Cutter {
  checkChunkerParams(params);
  return { params, cut: cutFunction(gearTable(params.seed), params.minSize, params.avgSize, params.maxSize) };
}

/**
 * Chunks of a stream of byte arrays. Each chunk yielded is a view into the chunker's buffer,
 * valid until the next one is requested: copy it to keep it (most chunks of an incremental
 * backup are only hashed, and copying just the new ones spares the allocator and the GC).
 * The input pieces are copied in at once, so the source may reuse its buffers. Memory: about
 * `3 × maxSize`.
 */
export async function* chunkStream(source: AsyncIterable<Uint8Array>, cutter: Cutter): AsyncGenerator<Buffer> {
  const { maxSize } = cutter.params;
  const buf = Buffer.allocUnsafe(maxSize * 3);
  let start = 0;
  let end = 0;
  for await (const piece of source) {
    let off = 0;
    while (off < piece.length) {
      if (end === buf.length) {
        // start > 0 here: we never hold maxSize bytes or more uncut
        buf.copy(buf, 0, start, end);
        end -= start;
        start = 0;
      }
      const n = Math.min(piece.length - off, buf.length - end);
      buf.set(piece.subarray(off, off + n), end);
      end += n;
      off += n;
      while (end - start >= maxSize) {
        const len = cutter.cut(buf, start, end, false);
        yield buf.subarray(start, start + len);
        start += len;
      }
    }
  }
  while (end > start) {
    const len = cutter.cut(buf, start, end, true);
    yield buf.subarray(start, start + len);
    start += len;
  }
}

const SQLITE_MAGIC = 'SQLite format 3\0';
/** The smallest chunk of a SQLite file: smaller pages are grouped (the per-chunk costs outweigh the gain). */
const MIN_PAGE_CHUNK = 4096;

/**
 * The chunk size of a file that starts with `head` (its first 100 bytes or more) when it is a SQLite
 * database: its page size, or a multiple of it of at least 4 KiB; undefined for any other file.
 */
export function sqliteChunkSize(head: Uint8Array): number | undefined {
  if (head.length < 100 || Buffer.from(head.buffer, head.byteOffset, 16).toString('latin1') !== SQLITE_MAGIC) return undefined;
  const raw = (head[16]! << 8) | head[17]!;
  const page = raw === 1 ? 65536 : raw;
  if (page < 512 || page > 65536 || (page & (page - 1)) !== 0) return undefined;
  return page * Math.max(1, Math.ceil(MIN_PAGE_CHUNK / page));
}

/** A cutter of fixed-size chunks (SQLite pages), within the repository's chunk parameters. */
export function fixedCutter(params: ChunkerParams, size: number): Cutter {
  if (!(size > 0 && size <= params.maxSize)) throw new RangeError(`bad fixed chunk size ${size}`);
  return { params, cut: (_buf, start, end) => Math.min(size, end - start) };
}

/** Chunk lengths of a whole in-memory buffer (tests, benches). */
export function chunkLengths(data: Uint8Array, cutter: Cutter): number[] {
  const out: number[] = [];
  let start = 0;
  while (start < data.length) {
    const len = cutter.cut(data, start, data.length, true);
    out.push(len);
    start += len;
  }
  return out;
}
