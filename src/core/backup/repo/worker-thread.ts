/**
 * The repository's worker thread (worker.ts starts a pool of them; scripts/build.mjs bundles this
 * file as dist/repo-worker.js). It only transforms bytes, with the repository's own chunker and
 * blob codec (chunker.ts, blob.ts); the main thread keeps the index, the packs and every decision:
 *
 *   chunk    (backup)  read a file, chunk it (on page boundaries if it is a SQLite database), hash every chunk and the whole file, compress and
 *                      encrypt the chunks the repository does not have yet, post them back;
 *   restore  (restore) read a file's blobs from their packs, decrypt, decompress, check, write
 *                      the file, then re-read it and compare its SHA-256 with the manifest;
 *   check    (verify)  read a whole pack, hash it, decode every blob and compare its SHA-256 with its id.
 *
 * Flow control for backups: at most `maxInFlight` blobs posted and not yet taken by the main
 * thread (a counter in a SharedArrayBuffer; Atomics.wait here), so a slow disk bounds memory.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { decodeBlobSync, encodeBlobSync, CODEC_BYTE } from './blob';
import { fixedCutter, makeCutter, sqliteChunkSize } from './chunker';
import type { ChunkerParams, CompressionSetting } from './model';

/** What each worker is started with. */
export interface RepoWorkerData {
  /** Backups only (the other jobs neither chunk nor encode). */
  chunker?: ChunkerParams;
  compression: CompressionSetting;
  key: Uint8Array | null;
  /** The ids (32 bytes each) of the blobs the repository has. */
  known: Uint8Array;
  credits: SharedArrayBuffer;
  slot: number;
  maxInFlight: number;
}

/** Where one blob is: its pack file, offset and stored length. */
export interface ChunkLoc {
  id: string;
  pack: string;
  offset: number;
  length: number;
  rawLength: number;
}

export type RepoWorkerJob =
  | { t: 'chunk'; id: number; path: string }
  | { t: 'restore'; id: number; dest: string; flags: number; chunks: ChunkLoc[]; sha256: string; size: number; check: boolean }
  | { t: 'check'; id: number; path: string; blobs: ChunkLoc[] };

const wd = workerData as RepoWorkerData;
const port = parentPort!;
const key = wd.key ? Buffer.from(wd.key.buffer, wd.key.byteOffset, wd.key.length) : undefined;
const credits = new Int32Array(wd.credits);

const errorOf = (e: unknown, extra: Record<string, unknown> = {}) => {
  const err = e as NodeJS.ErrnoException;
  return { code: err.code ?? null, message: String(err.message ?? e), ...extra };
};
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A buffer's bytes as an ArrayBuffer of their own, to transfer (pooled small buffers are copied). */
function ownBuffer(b: Buffer): ArrayBuffer {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) return b.buffer as ArrayBuffer;
  const own = Buffer.allocUnsafeSlow(b.length);
  b.copy(own);
  return own.buffer as ArrayBuffer;
}

// ---- backup: chunk one file
let cut: ((buf: Uint8Array, start: number, end: number, final: boolean) => number) | undefined;
let seen: Set<string> | undefined;
let buf: Buffer | undefined;

function chunkFile(job: { id: number; path: string }): void {
  const params = wd.chunker!;
  cut ??= makeCutter(params).cut;
  if (!seen) {
    seen = new Set<string>();
    for (let o = 0; o + 32 <= wd.known.length; o += 32) seen.add(Buffer.from(wd.known.buffer, wd.known.byteOffset + o, 32).toString('hex'));
  }
  buf ??= Buffer.allocUnsafeSlow(params.maxSize * 4);
  const b = buf;
  let fd = -1;
  try {
    fd = fs.openSync(job.path, 'r');
    const fileHash = createHash('sha256');
    const chunks: string[] = [];
    let size = 0;
    let unreported = 0;
    let start = 0;
    let end = 0;
    let eof = false;
    let cutHere: typeof cut | undefined;
    for (;;) {
      if (!eof && end - start < params.maxSize) {
        if (start > 0) {
          b.copy(b, 0, start, end);
          end -= start;
          start = 0;
        }
        while (end < b.length) {
          const n = fs.readSync(fd, b, end, b.length - end, null);
          if (n === 0) {
            eof = true;
            break;
          }
          end += n;
        }
      }
      if (end === start) break;
      if (!cutHere) {
        const page = sqliteChunkSize(b.subarray(0, end));
        cutHere = page ? fixedCutter(params, page).cut : cut;
      }
      const len = cutHere(b, start, end, eof);
      const chunk = b.subarray(start, start + len);
      const hex = sha256(chunk);
      fileHash.update(chunk);
      chunks.push(hex);
      if (!seen.has(hex)) {
        seen.add(hex);
        while (Atomics.load(credits, wd.slot) >= wd.maxInFlight) Atomics.wait(credits, wd.slot, Atomics.load(credits, wd.slot), 200);
        const enc = encodeBlobSync(chunk, wd.compression, key);
        Atomics.add(credits, wd.slot, 1);
        const ab = ownBuffer(enc.data);
        port.postMessage({ t: 'blob', job: job.id, id: hex, data: ab, raw: len, codec: CODEC_BYTE[enc.codec], bytes: unreported + len }, [ab]);
        unreported = 0;
      } else {
        unreported += len;
        if (unreported >= 8 << 20) {
          port.postMessage({ t: 'progress', job: job.id, bytes: unreported });
          unreported = 0;
        }
      }
      size += len;
      start += len;
    }
    port.postMessage({ t: 'done', job: job.id, bytes: unreported, result: { size, sha256: fileHash.digest('hex'), chunks } });
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
function checkPack(job: { id: number; path: string; blobs: ChunkLoc[] }): void {
  try {
    const data = fs.readFileSync(job.path);
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
  else if (m.t === 'restore') restoreFile(m);
  else if (m.t === 'check') checkPack(m);
});
