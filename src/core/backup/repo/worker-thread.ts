/**
 * The repository's worker thread (worker.ts starts a pool of them; scripts/build.mjs bundles this
 * file as dist/repo-worker.js). It only transforms bytes, with the repository's own chunker and
 * blob codec (chunker.ts, blob.ts); the main thread keeps the index, the packs and every decision:
 *
 *   chunk    (backup)  read a file or a range of it, chunk it (on page boundaries if it is a SQLite
 *                      database), hash every chunk (its id: a file is known by its chunks' ids, never hashed whole),
 *                      compress and encrypt the chunks the repository does not have yet and append
 *                      them to this thread's own pack file (pack-file.ts), posting each pack to
 *                      the main thread once it is written (its blob table only, never blob bytes);
 *   flush    (backup)  write out the pack being filled (the backup's end);
 *   restore  (restore) read a file's blobs from their packs, decrypt, decompress, hash each chunk
 *                      against its id and write it (a file an older snapshot recorded with its
 *                      SHA-256 is also hashed whole, as written, against that);
 *   check    (verify)  read a whole pack, hash it, decode every blob and compare its SHA-256 with its id.
 *
 * Memory of a backup's thread, by design and whatever the size of the backup: its read buffer
 * (two largest chunks), the staging buffer and blob table of its pack file, and the ids of the
 * blobs the repository has (32 bytes each, in one table).
 */
import { createHash, hash } from 'node:crypto';
import fs from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { decodeBlobSync, encodeBlobPartsSync } from './blob';
import { fixedCutter, makeCutter, sqliteChunkSize } from './chunker';
import type { ChunkerParams, CompressionSetting } from './model';
import { KnownIds, NewIds } from './known-ids';
import { PackFileWriter, type WrittenPack } from './pack-file';
import { RestoreChunkTable, type RestoreChunks, type RestoredFile } from './restore-chunks';
import { packHashNeeded, type PackBlob } from './pack';

/** What each worker is started with. */
export interface RepoWorkerData {
  /** Backups only (the other jobs neither chunk nor encode). */
  chunker?: ChunkerParams;
  compression: CompressionSetting;
  key: Uint8Array | null;
  /** The ids of the blobs the repository has (known-ids.ts: sorted, 32 bytes each, shared by the threads). */
  known: SharedArrayBuffer;
  /** Backups: the table where the threads claim the new blobs they meet (known-ids.ts, NewIds). */
  claims?: SharedArrayBuffer;
  /** Backups: where this thread writes its packs (dryRun: counted, not written). */
  packs?: { repoDir: string; packSize: number; dryRun: boolean };
  /** One Int32 the pool sets when it closes: a job under way stops at its next read (stopIfAsked). */
  stop: SharedArrayBuffer;
}

/**
 * A backup's read of a file: the whole file (content-defined chunks, or pages of a SQLite file
 * found from its header), or a byte range of it cut into fixed `page`-sized chunks (a segment of a
 * large SQLite file, several of which run on different threads at once).
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
}

export type RepoWorkerJob =
  | ChunkJob
  | { t: 'flush'; id: number }
  /** sha256: the whole file's, recorded by older snapshots ('' for a file known by its chunks only). */
  | { t: 'restore'; id: number; dest: string; flags: number; chunks: RestoreChunks; sha256: string }
  | { t: 'check'; id: number; path: string; blobs: PackBlob[] }
  /** The pool closes: let go of what this thread holds, then answer `ended`. */
  | { t: 'end' };

/** A pack this thread wrote (posted during a chunk or flush job, before its `done`). */
export interface PackMessage {
  t: 'pack';
  job: number;
  pack: WrittenPack;
}

const wd = workerData as RepoWorkerData;
const port = parentPort!;
const key = wd.key ? Buffer.from(wd.key.buffer, wd.key.byteOffset, wd.key.length) : undefined;

const stopFlag = new Int32Array(wd.stop);

/**
 * A job stops at its next read once the pool closes (a failed or cancelled backup, restore or
 * verify): it ends with an error, and the thread is terminated only after it answered `end`. A
 * terminate() in the middle of a job can abort the whole process: Node 20 asserts ("close before
 * init") when a thread ends between making a brotli stream and starting it.
 */
function stopIfAsked(): void {
  if (Atomics.load(stopFlag, 0) !== 0) throw Object.assign(new Error('stopped: the repository worker threads are closing'), { code: 'STOPPED' });
}

const errorOf = (e: unknown, extra: Record<string, unknown> = {}) => {
  const err = e as NodeJS.ErrnoException;
  return { code: err.code ?? null, message: String(err.message ?? e), ...extra };
};
// crypto.hash: one call per chunk instead of three and a Hash object (SQLite's 4 KiB pages are
// tens of thousands of chunks; an incremental backup of the bench stack: 3.30 against 3.49 s,
// bench/README.md "Seventh round")
const sha256 = (b: Uint8Array) => hash('sha256', b);

/** Bytes read between two progress messages. */
const PROGRESS_BYTES = 8 << 20;

/**
 * Every blob encoded or decoded leaves buffers behind (its compressed or plain form, zlib's
 * output buffer): small objects for V8, which lets such garbage reach tens of megabytes per
 * thread before it collects it, and the allocator keeps what it grew to. A young-generation
 * collection after every GC_EVERY_BYTES of blobs bounds it (about a millisecond each, for a heap
 * this small).
 */
const GC_EVERY_BYTES = 8 << 20;
/**
 * A verify, which keeps nothing of a blob but its hash, collects twice as often: its peak on the
 * bench stack 133 against 145 MiB (medians of 6), for ~4 % of its time, where it has the most
 * margin (restic's verify takes ~1.5x as long). Backups and restores keep GC_EVERY_BYTES.
 */
const VERIFY_GC_EVERY_BYTES = 4 << 20;
const minorGc = ((): (() => void) | undefined => {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (options: { type: 'minor' }) => void;
    return () => gc({ type: 'minor' });
  } catch {
    return undefined;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
})();
let sinceGc = 0;

/** Count `n` bytes of blobs encoded or decoded; collect the garbage they left once there are `every`. */
function collectAfter(n: number, every = GC_EVERY_BYTES): void {
  sinceGc += n;
  if (sinceGc < every) return;
  sinceGc = 0;
  minorGc?.();
}

// ---- backup: chunk a file, or a range of it
let cut: ((buf: Uint8Array, start: number, end: number, final: boolean) => number) | undefined;
let known: KnownIds | undefined;
let claims: NewIds | undefined;
/** The new blobs this thread stored once the shared table had no room left. */
const stored = new Set<string>();

/** Is this new blob this thread's to store? Claimed in the shared table, or alone once it is full. */
function mine(digest: Buffer, hex: string): boolean {
  const claimed = claims?.claim(digest);
  if (claimed !== undefined) return claimed;
  if (stored.has(hex)) return false;
  stored.add(hex);
  return true;
}
let buf: Buffer | undefined;
let packs: PackFileWriter | undefined;

/** This thread's pack file writer. */
function packWriter(): PackFileWriter {
  const p = wd.packs!;
  packs ??= new PackFileWriter(p.repoDir, p.packSize, key, p.dryRun, packHashNeeded(wd.compression));
  return packs;
}

/** Store one new blob in this thread's pack; a pack it completes goes to the main thread. */
function store(job: number, id: string, parts: readonly Buffer[], rawLength: number): void {
  let done: WrittenPack | undefined;
  try {
    done = packWriter().add(id, parts, rawLength);
  } catch (e) {
    packs!.abandon();
    throw Object.assign(e as Error, { packWrite: true });
  }
  if (done) port.postMessage({ t: 'pack', job, pack: done } satisfies PackMessage);
}

/** A chunk job's error: a failed pack write says so (stage 'pack': it fails the backup, whatever its code). */
const chunkError = (e: unknown) => errorOf(e, (e as { packWrite?: boolean }).packWrite ? { stage: 'pack' } : {});


/**
 * The read buffer of chunking and hashing: two largest chunks, so a refill moves at most one
 * chunk's worth of bytes to its start and reads at least as much (one per thread, reused).
 */
function readBuffer(): Buffer {
  buf ??= Buffer.allocUnsafeSlow(wd.chunker!.maxSize * 2);
  return buf;
}

function chunkFile(job: ChunkJob): void {
  const params = wd.chunker!;
  cut ??= makeCutter(params).cut;
  known ??= new KnownIds(wd.known);
  if (wd.claims) claims ??= new NewIds(wd.claims);
  const b = readBuffer();
  let unreported = 0;
  let fd = -1;
  try {
    fd = fs.openSync(job.path, 'r');
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
        stopIfAsked();
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
      const digest = hash('sha256', chunk, 'buffer');
      const hex = digest.toString('hex');
      chunks.push(hex);
      if (!known.has(digest) && mine(digest, hex)) {
        store(job.id, hex, encodeBlobPartsSync(chunk, wd.compression, key).parts, len);
        collectAfter(len);
      }
      unreported += len;
      if (unreported >= PROGRESS_BYTES) {
        port.postMessage({ t: 'progress', job: job.id, bytes: unreported });
        unreported = 0;
      }
      size += len;
      start += len;
    }
    port.postMessage({ t: 'done', job: job.id, bytes: unreported, result: { size, chunks } });
  } catch (e) {
    port.postMessage({ t: 'error', job: job.id, error: chunkError(e) });
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

// ---- backup: the pack being filled, written out at the end
function flushPack(job: { id: number }): void {
  try {
    const done = packs?.finish();
    if (done) port.postMessage({ t: 'pack', job: job.id, pack: done } satisfies PackMessage);
    port.postMessage({ t: 'done', job: job.id, bytes: 0, result: null });
  } catch (e) {
    packs?.abandon();
    port.postMessage({ t: 'error', job: job.id, error: errorOf(e, { stage: 'pack' }) });
  }
}

// ---- restore: write one file from its blobs, each chunk hashed against its id before it is written
const packFds = new Map<string, number>();
// the read buffer, reused (a blob is decoded and written before the next is read): the largest
// blob, at least READ_BYTES. It grows to at least twice its size: grown to each larger blob as it
// came (a verify meets them pack after pack), a thread left a dozen outgrown buffers of 1.5-4.3
// MiB to the collector, ~20 MiB at once.
const READ_BYTES = 1 << 20;
let rbuf: Buffer | undefined;
const readBuf = (n: number): Buffer => {
  if (!rbuf || rbuf.length < n) rbuf = Buffer.allocUnsafeSlow(Math.max(n, READ_BYTES, 2 * (rbuf?.length ?? 0)));
  return rbuf;
};

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

/**
 * The chunks of a file that lie back to back in one pack (the pages of a SQLite database, stored in
 * order) are read with one read of up to READ_BYTES, and small decoded chunks are gathered into
 * one write of up to WRITE_BYTES: a 151 MiB database of 4 KiB pages is ~150 reads and writes, not
 * ~37 000 of each.
 */
const WRITE_BYTES = 1 << 20;
let wbuf: Buffer | undefined;

function restoreFile(job: Extract<RepoWorkerJob, { t: 'restore' }>): void {
  let fd = -1;
  let stage = 'open';
  try {
    fd = fs.openSync(job.dest, job.flags, 0o600);
    const out = (wbuf ??= Buffer.allocUnsafeSlow(WRITE_BYTES));
    let pending = 0;
    const write = (buf: Buffer, len: number) => {
      for (let off = 0; off < len; ) off += fs.writeSync(fd, buf, off, len - off);
    };
    const flush = () => {
      write(out, pending);
      pending = 0;
    };
    let unreported = 0;
    let written = 0;
    const whole = job.sha256 ? createHash('sha256') : undefined;
    const chunks = new RestoreChunkTable(job.chunks);
    for (let i = 0; i < chunks.count; ) {
      stopIfAsked();
      stage = 'read';
      // this chunk and those right after it in the same pack, up to READ_BYTES in all
      const firstPack = chunks.packNo(i);
      const firstOffset = chunks.offset(i);
      let end = i + 1;
      let span = chunks.length(i);
      while (end < chunks.count) {
        const length = chunks.length(end);
        if (chunks.packNo(end) !== firstPack || chunks.offset(end) !== firstOffset + span || span + length > READ_BYTES) break;
        span += length;
        end++;
      }
      const run = readBuf(span).subarray(0, span);
      let got = 0;
      let pfd: number;
      try {
        pfd = packFd(chunks.pack(i));
      } catch (e) {
        port.postMessage({ t: 'error', job: job.id, error: errorOf(e, { kind: 'missing', chunk: chunks.id(i), pack: chunks.pack(i) }) });
        return;
      }
      while (got < span) {
        const n = fs.readSync(pfd, run, got, span - got, firstOffset + got);
        if (n === 0) break;
        got += n;
      }
      for (let at = 0; i < end; i++) {
        const length = chunks.length(i);
        const rawLength = chunks.rawLength(i);
        let plain: Buffer;
        try {
          if (got < at + length) throw new Error('pack truncated');
          plain = decodeBlobSync(run.subarray(at, at + length), key, rawLength);
          if (plain.length !== rawLength) throw new Error(`length ${plain.length}, expected ${rawLength}`);
          if (!chunks.is(i, hash('sha256', plain, 'buffer'))) throw new Error('content does not match its hash');
        } catch (e) {
          port.postMessage({ t: 'error', job: job.id, error: errorOf(e, { kind: 'corrupt', chunk: chunks.id(i), pack: chunks.pack(i) }) });
          return;
        }
        at += length;
        whole?.update(plain);
        written += plain.length;
        stage = 'write';
        if (pending + plain.length > out.length) flush();
        if (plain.length >= out.length) {
          write(plain, plain.length);
        } else {
          plain.copy(out, pending); // plain may be a view of the read buffer (a stored chunk): copied before the next read
          pending += plain.length;
        }
        collectAfter(plain.length);
        unreported += plain.length;
        if (unreported >= 8 << 20) {
          port.postMessage({ t: 'progress', job: job.id, bytes: unreported });
          unreported = 0;
        }
      }
    }
    stage = 'write';
    flush();
    fs.closeSync(fd);
    fd = -1;
    const result: RestoredFile = { size: written, ...(whole ? { sha256: whole.digest('hex') } : {}) };
    port.postMessage({ t: 'done', job: job.id, bytes: unreported, result });
  } catch (e) {
    port.postMessage({ t: 'error', job: job.id, error: errorOf(e, { stage }) });
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

// ---- verify: hash the whole pack, decode and hash every blob of it
/**
 * One pass over the pack file through this thread's read buffer (the largest blob and a read's
 * worth more, not the whole pack): every byte is hashed once, in order, and each blob is decoded
 * as soon as it is in the buffer (in offset order; bytes before the next blob are let go).
 */
function checkPack(job: { id: number; path: string; blobs: PackBlob[] }): void {
  let fd = -1;
  try {
    fd = fs.openSync(job.path, 'r');
    const size = fs.fstatSync(fd).size;
    const order = job.blobs.map((b, i) => ({ b, i })).sort((x, y) => x.b.offset - y.b.offset);
    const win = readBuf(order.reduce((m, { b }) => Math.max(m, b.length), 0) + READ_BYTES);
    const h = createHash('sha256');
    let base = 0; // the file offset of win[0]
    let filled = 0;
    const read = (): number => {
      const n = fs.readSync(fd, win, filled, win.length - filled, base + filled);
      h.update(win.subarray(filled, filled + n));
      filled += n;
      return n;
    };
    const bad: { i: number; id: string; why: string }[] = [];
    for (const { b, i } of order) {
      stopIfAsked();
      const end = b.offset + b.length;
      if (end > size) {
        bad.push({ i, id: b.id, why: 'beyond the end of the pack' });
        continue;
      }
      while (base + filled < end) {
        if (filled === win.length) {
          const drop = b.offset - base; // what lies before this blob is hashed and done with
          win.copy(win, 0, drop, filled);
          base += drop;
          filled -= drop;
        }
        if (read() === 0) break;
      }
      if (base + filled < end) {
        bad.push({ i, id: b.id, why: 'beyond the end of the pack' });
        continue;
      }
      try {
        const plain = decodeBlobSync(win.subarray(b.offset - base, end - base), key, b.rawLength);
        collectAfter(plain.length, VERIFY_GC_EVERY_BYTES);
        if (plain.length !== b.rawLength) bad.push({ i, id: b.id, why: `decoded to ${plain.length} bytes, expected ${b.rawLength}` });
        else if (sha256(plain) !== b.id) bad.push({ i, id: b.id, why: 'content does not match its SHA-256' });
      } catch (e) {
        bad.push({ i, id: b.id, why: (e as Error).message });
      }
    }
    // the rest of the file (the trailer, and anything after the last blob)
    for (;;) {
      base += filled;
      filled = 0;
      if (read() === 0) break;
    }
    bad.sort((x, y) => x.i - y.i);
    port.postMessage({ t: 'done', job: job.id, bytes: base, result: { bad: bad.map(({ id, why }) => ({ id, why })), sha256: h.digest('hex') } });
  } catch (e) {
    port.postMessage({ t: 'error', job: job.id, error: errorOf(e) });
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

/** The pool closes: the pack being filled is given up (its temporary file removed), the pack files read are closed. */
function end(): void {
  try {
    packs?.abandon();
  } catch {
    // its file is left in tmp/, which prune removes
  }
  for (const fd of packFds.values()) fs.closeSync(fd);
  packFds.clear();
  port.postMessage({ t: 'ended' });
}

port.on('message', (m: RepoWorkerJob) => {
  if (m.t === 'end') end();
  else if (m.t === 'chunk') chunkFile(m);
  else if (m.t === 'flush') flushPack(m);
  else if (m.t === 'restore') restoreFile(m);
  else if (m.t === 'check') checkPack(m);
});
