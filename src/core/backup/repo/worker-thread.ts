/**
 * The repository's worker thread (worker.ts starts a pool of them; scripts/build.mjs bundles this
 * file as dist/repo-worker.js). It only transforms bytes, with the repository's own chunker and
 * blob codec (chunker.ts, blob.ts); the main thread keeps the index, the packs and every decision:
 *
 *   chunk    (backup)  read a file or a range of it, chunk it (on page boundaries if it is a SQLite
 *                      database), hash every chunk (and, asked to, what was read as a whole),
 *                      compress and encrypt the chunks the repository does not have yet and post
 *                      them back in batches of about a megabyte (one transferred buffer each);
 *   hash     (backup)  the SHA-256 of a whole file, beside the segments of a large SQLite file;
 *   restore  (restore) read a file's blobs from their packs, decrypt, decompress, check, write
 *                      the file, then re-read it and compare its SHA-256 with the manifest;
 *   check    (verify)  read a whole pack, hash it, decode every blob and compare its SHA-256 with its id.
 *
 * Flow control for backups: a batch is posted only once the pool's in-flight byte budget
 * (budget.ts: a counter in a SharedArrayBuffer, Atomics.wait here) has room for it, and the main
 * thread gives the room back once the blobs are on disk in a pack: memory is bounded by the
 * budget, not by how much there is to back up or how slow the disk is.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { decodeBlobSync, encodeBlobSync, CODEC_BYTE } from './blob';
import { InFlightBudget } from './budget';
import { fixedCutter, makeCutter, sqliteChunkSize } from './chunker';
import type { ChunkerParams, Codec, CompressionSetting } from './model';

/** What each worker is started with. */
export interface RepoWorkerData {
  /** Backups only (the other jobs neither chunk nor encode). */
  chunker?: ChunkerParams;
  compression: CompressionSetting;
  key: Uint8Array | null;
  /** The ids (32 bytes each) of the blobs the repository has. */
  known: Uint8Array;
  /** The in-flight byte budget, shared by the pool (budget.ts): [bytes in flight, peak]. */
  budget: SharedArrayBuffer;
  budgetBytes: number;
  /** New blobs go back to the main thread in batches of about this many encoded bytes. */
  batchBytes: number;
}

/** Where one blob is: its pack file, offset and stored length. */
export interface ChunkLoc {
  id: string;
  pack: string;
  offset: number;
  length: number;
  rawLength: number;
}

/**
 * A backup's read of a file: the whole file (content-defined chunks, or pages of a SQLite file
 * found from its header), or a byte range of it cut into fixed `page`-sized chunks (a segment of a
 * large SQLite file, several of which run on different threads at once); `hash` also hashes what
 * is read as one (the file's SHA-256).
 */
export interface ChunkJob {
  t: 'chunk';
  id: number;
  path: string;
  start: number;
  /** End offset (exclusive); undefined: to the end of the file. */
  end?: number;
  /** Fixed chunk size; undefined: the file's own (SQLite pages, or content-defined). */
  page?: number;
  hash: boolean;
}

export type RepoWorkerJob =
  | ChunkJob
  | { t: 'hash'; id: number; path: string }
  | { t: 'restore'; id: number; dest: string; flags: number; chunks: ChunkLoc[]; sha256: string; size: number; check: boolean }
  | { t: 'check'; id: number; path: string; blobs: ChunkLoc[] };

/** One message of new blobs: their encoded bytes back to back in `data` (transferred, not copied). */
export interface BlobBatchMessage {
  t: 'blobs';
  job: number;
  ids: string[];
  lengths: number[];
  raws: number[];
  codecs: number[];
  data: ArrayBuffer;
  /** Bytes read since the last message (progress). */
  bytes: number;
}

const wd = workerData as RepoWorkerData;
const port = parentPort!;
const key = wd.key ? Buffer.from(wd.key.buffer, wd.key.byteOffset, wd.key.length) : undefined;
const budget = new InFlightBudget(wd.budget, wd.budgetBytes);

const errorOf = (e: unknown, extra: Record<string, unknown> = {}) => {
  const err = e as NodeJS.ErrnoException;
  return { code: err.code ?? null, message: String(err.message ?? e), ...extra };
};
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * New blobs of one job, gathered until about `batchBytes` of them, then posted in one message
 * (one ArrayBuffer, transferred) once the budget has room for them: one message per megabyte or
 * so instead of one per blob (a SQLite page is 4 KiB).
 */
class BlobBatch {
  private ids: string[] = [];
  private lengths: number[] = [];
  private raws: number[] = [];
  private codecs: number[] = [];
  private parts: Buffer[] = [];
  private size = 0;
  /** Bytes read and not yet reported. */
  unreported = 0;

  constructor(private readonly job: number) {}

  add(id: string, raw: number, enc: { data: Buffer; codec: Codec }): void {
    this.ids.push(id);
    this.lengths.push(enc.data.length);
    this.raws.push(raw);
    this.codecs.push(CODEC_BYTE[enc.codec]);
    this.parts.push(enc.data);
    this.size += enc.data.length;
    if (this.size >= wd.batchBytes) this.flush();
  }

  /** Post the blobs gathered (waiting for room in the budget), or report progress when there are none and enough was read. */
  flush(force = false): void {
    if (this.ids.length === 0) {
      if (force ? this.unreported > 0 : this.unreported >= 8 << 20) {
        port.postMessage({ t: 'progress', job: this.job, bytes: this.unreported });
        this.unreported = 0;
      }
      return;
    }
    budget.acquire(this.size);
    const data = Buffer.allocUnsafeSlow(this.size);
    let at = 0;
    for (const p of this.parts) at += p.copy(data, at);
    const ab = data.buffer as ArrayBuffer;
    const m: BlobBatchMessage = { t: 'blobs', job: this.job, ids: this.ids, lengths: this.lengths, raws: this.raws, codecs: this.codecs, data: ab, bytes: this.unreported };
    port.postMessage(m, [ab]);
    this.ids = [];
    this.lengths = [];
    this.raws = [];
    this.codecs = [];
    this.parts = [];
    this.size = 0;
    this.unreported = 0;
  }
}

// ---- backup: chunk a file, or a range of it
let cut: ((buf: Uint8Array, start: number, end: number, final: boolean) => number) | undefined;
let seen: Set<string> | undefined;
let buf: Buffer | undefined;

function knownIds(): Set<string> {
  if (!seen) {
    seen = new Set<string>();
    for (let o = 0; o + 32 <= wd.known.length; o += 32) seen.add(Buffer.from(wd.known.buffer, wd.known.byteOffset + o, 32).toString('hex'));
  }
  return seen;
}

function chunkFile(job: ChunkJob): void {
  const params = wd.chunker!;
  cut ??= makeCutter(params).cut;
  const known = knownIds();
  buf ??= Buffer.allocUnsafeSlow(params.maxSize * 4);
  const b = buf;
  const batch = new BlobBatch(job.id);
  let fd = -1;
  try {
    fd = fs.openSync(job.path, 'r');
    const fileHash = job.hash ? createHash('sha256') : undefined;
    const chunks: string[] = [];
    let pos = job.start;
    const stop = job.end ?? Infinity;
    let size = 0;
    let start = 0;
    let end = 0;
    let eof = false;
    let cutHere: typeof cut | undefined = job.page ? fixedCutter(params, job.page).cut : undefined;
    for (;;) {
      if (!eof && end - start < params.maxSize) {
        if (start > 0) {
          b.copy(b, 0, start, end);
          end -= start;
          start = 0;
        }
        while (end < b.length && pos < stop) {
          const n = fs.readSync(fd, b, end, Math.min(b.length - end, stop - pos), pos);
          if (n === 0) break;
          end += n;
          pos += n;
        }
        if (end < b.length) eof = true;
      }
      if (end === start) break;
      if (!cutHere) {
        const page = sqliteChunkSize(b.subarray(0, end));
        cutHere = page ? fixedCutter(params, page).cut : cut;
      }
      const len = cutHere(b, start, end, eof);
      const chunk = b.subarray(start, start + len);
      const hex = sha256(chunk);
      fileHash?.update(chunk);
      chunks.push(hex);
      batch.unreported += len;
      if (!known.has(hex)) {
        known.add(hex);
        batch.add(hex, len, encodeBlobSync(chunk, wd.compression, key));
      } else {
        batch.flush();
      }
      size += len;
      start += len;
    }
    batch.flush(true);
    port.postMessage({ t: 'done', job: job.id, bytes: 0, result: { size, sha256: fileHash?.digest('hex') ?? '', chunks } });
  } catch (e) {
    port.postMessage({ t: 'error', job: job.id, error: errorOf(e) });
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

// ---- backup: the SHA-256 and size of a whole file (beside the segments of a large SQLite file)
function hashFile(job: { id: number; path: string }): void {
  let fd = -1;
  try {
    fd = fs.openSync(job.path, 'r');
    const h = createHash('sha256');
    buf ??= Buffer.allocUnsafeSlow(wd.chunker!.maxSize * 4);
    let size = 0;
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      size += n;
    }
    port.postMessage({ t: 'done', job: job.id, bytes: 0, result: { size, sha256: h.digest('hex') } });
  } catch (e) {
    port.postMessage({ t: 'error', job: job.id, error: errorOf(e) });
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

// ---- restore: write one file from its blobs, then verify it on disk
const packFds = new Map<string, number>();
// read buffers, reused (a blob is decoded and written before the next is read)
let rbuf: Buffer | undefined;
let vbuf: Buffer | undefined;

function packFd(path: string): number {
  let fd = packFds.get(path);
  if (fd === undefined) {
    if (packFds.size >= 16) {
      const [oldPath, oldFd] = packFds.entries().next().value as [string, number];
      packFds.delete(oldPath);
      fs.closeSync(oldFd);
    }
    fd = fs.openSync(path, 'r');
    packFds.set(path, fd);
  }
  return fd;
}

function restoreFile(job: Extract<RepoWorkerJob, { t: 'restore' }>): void {
  let fd = -1;
  let stage = 'open';
  try {
    fd = fs.openSync(job.dest, job.flags, 0o600);
    let unreported = 0;
    for (const c of job.chunks) {
      stage = 'read';
      if (!rbuf || rbuf.length < c.length) rbuf = Buffer.allocUnsafeSlow(Math.max(c.length, 8 << 20));
      const stored = rbuf.subarray(0, c.length);
      let got = 0;
      let pfd: number;
      try {
        pfd = packFd(c.pack);
      } catch (e) {
        port.postMessage({ t: 'error', job: job.id, error: errorOf(e, { kind: 'missing', chunk: c.id, pack: c.pack }) });
        return;
      }
      while (got < c.length) {
        const n = fs.readSync(pfd, stored, got, c.length - got, c.offset + got);
        if (n === 0) break;
        got += n;
      }
      let plain: Buffer;
      try {
        if (got !== c.length) throw new Error('pack truncated');
        plain = decodeBlobSync(stored, key, c.rawLength);
        if (plain.length !== c.rawLength) throw new Error(`length ${plain.length}, expected ${c.rawLength}`);
        if (job.check && sha256(plain) !== c.id) throw new Error('content does not match its hash');
      } catch (e) {
        port.postMessage({ t: 'error', job: job.id, error: errorOf(e, { kind: 'corrupt', chunk: c.id, pack: c.pack }) });
        return;
      }
      stage = 'write';
      let off = 0;
      while (off < plain.length) off += fs.writeSync(fd, plain, off, plain.length - off);
      unreported += plain.length;
      if (unreported >= 8 << 20) {
        port.postMessage({ t: 'progress', job: job.id, bytes: unreported });
        unreported = 0;
      }
    }
    fs.closeSync(fd);
    fd = -1;
    // verify what is on disk now
    stage = 'verify';
    const h = createHash('sha256');
    vbuf ??= Buffer.allocUnsafeSlow(8 << 20);
    const vfd = fs.openSync(job.dest, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    let size = 0;
    try {
      for (;;) {
        const n = fs.readSync(vfd, vbuf, 0, vbuf.length, null);
        if (n === 0) break;
        h.update(n === vbuf.length ? vbuf : vbuf.subarray(0, n));
        size += n;
      }
    } finally {
      fs.closeSync(vfd);
    }
    port.postMessage({ t: 'done', job: job.id, bytes: unreported, result: { size, sha256: h.digest('hex') } });
  } catch (e) {
    port.postMessage({ t: 'error', job: job.id, error: errorOf(e, { stage }) });
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

// ---- verify: hash the whole pack, decode and hash every blob of it
let packBuf: Buffer | undefined;

/** A whole pack file, read into this thread's buffer (reused: one pack's worth of memory per thread). */
function readPack(path: string): Buffer {
  const fd = fs.openSync(path, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (!packBuf || packBuf.length < size) packBuf = Buffer.allocUnsafeSlow(Math.max(size, 16 << 20));
    let got = 0;
    while (got < size) {
      const n = fs.readSync(fd, packBuf, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    return packBuf.subarray(0, got);
  } finally {
    fs.closeSync(fd);
  }
}

function checkPack(job: { id: number; path: string; blobs: ChunkLoc[] }): void {
  try {
    const data = readPack(job.path);
    const bad: { id: string; why: string }[] = [];
    for (const b of job.blobs) {
      if (b.offset + b.length > data.length) {
        bad.push({ id: b.id, why: 'beyond the end of the pack' });
        continue;
      }
      try {
        const plain = decodeBlobSync(data.subarray(b.offset, b.offset + b.length), key, b.rawLength);
        if (plain.length !== b.rawLength) bad.push({ id: b.id, why: `decoded to ${plain.length} bytes, expected ${b.rawLength}` });
        else if (sha256(plain) !== b.id) bad.push({ id: b.id, why: 'content does not match its SHA-256' });
      } catch (e) {
        bad.push({ id: b.id, why: (e as Error).message });
      }
    }
    port.postMessage({ t: 'done', job: job.id, bytes: data.length, result: { bad, sha256: sha256(data) } });
  } catch (e) {
    port.postMessage({ t: 'error', job: job.id, error: errorOf(e) });
  }
}

port.on('message', (m: RepoWorkerJob) => {
  if (m.t === 'chunk') chunkFile(m);
  else if (m.t === 'hash') hashFile(m);
  else if (m.t === 'restore') restoreFile(m);
  else if (m.t === 'check') checkPack(m);
});
