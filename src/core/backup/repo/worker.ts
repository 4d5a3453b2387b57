/**
 * Worker threads for the CPU-heavy work of the repository, so it runs on every core and stays
 * out of the main thread (and its garbage collector):
 *
 *   chunk    (backup)  read a file, chunk it, hash every chunk and the whole file, compress and
 *                      encrypt the chunks the repository does not have yet, post them back;
 *   restore  (restore) read a file's blobs from their packs, decrypt, decompress, check, write
 *                      the file, then re-read it and compare its SHA-256 with the manifest;
 *   check    (verify)  read a whole pack, hash it, decode every blob and compare its SHA-256 with its id.
 *
 * The main thread keeps the index, the packs being written, the order of entries and every
 * decision; workers only transform bytes. Workers start from source text (`eval`) built from
 * the very functions the main thread uses (gearTable and cutFunction from chunker.ts, encodeSync
 * and decodeSync below), so the bundle needs no separate worker file. Those functions are
 * self-contained: they use nothing but their parameters and globals.
 *
 * Flow control for backups: a worker may have at most MAX_IN_FLIGHT blobs posted and not yet
 * taken by the main thread (a counter in a SharedArrayBuffer, Atomics.wait in the worker), so a
 * slow disk bounds memory instead of letting blobs pile up.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { CODEC_BYTE } from './blob';
import { cutFunction, gearTable } from './chunker';
import type { ChunkerParams, CompressionSetting } from './index';

const MAX_IN_FLIGHT = 6;
/** Below this many bytes of work, starting threads costs more than it saves. */
export const WORKER_MIN_BYTES = 16 * 1024 * 1024;

export function defaultThreads(): number {
  const cores = os.availableParallelism();
  return cores >= 2 ? Math.min(4, cores) : 0;
}

/**
 * Encode a blob synchronously (blob.ts's encodeBlob is the async twin, same format):
 * codec byte ‖ payload, sealed with AES-256-GCM when a key is given. Incompressible data is
 * detected on a 32 KiB sample first. Self-contained.
 */
export function encodeSync(
  plain: Uint8Array,
  codec: number,
  level: number,
  key: Uint8Array | null,
  zlib: typeof import('node:zlib'),
  crypto: typeof import('node:crypto'),
): { data: Buffer; codec: number } {
  const compress = (b: Uint8Array) =>
    codec === 2
      ? zlib.brotliCompressSync(b, {
          params: {
            [zlib.constants.BROTLI_PARAM_QUALITY]: level,
            [zlib.constants.BROTLI_PARAM_SIZE_HINT]: b.length,
            [zlib.constants.BROTLI_PARAM_LGWIN]: 22,
          },
        })
      : zlib.deflateRawSync(b, { level });
  let used = 0;
  let payload: Uint8Array = plain;
  if (codec !== 0 && plain.length >= 64) {
    let worth = true;
    if (plain.length > 256 * 1024) {
      const off = (plain.length >> 1) - 16384;
      const sample = plain.subarray(off, off + 32768);
      worth = compress(sample).length < sample.length * 0.97;
    }
    if (worth) {
      const z = compress(plain);
      if (z.length < plain.length - 16) {
        used = codec;
        payload = z;
      }
    }
  }
  const head = Buffer.of(used);
  if (key) {
    const nonce = crypto.randomBytes(12);
    const c = crypto.createCipheriv('aes-256-gcm', key, nonce);
    const a = c.update(head);
    const b = c.update(payload);
    const f = c.final();
    const tag = c.getAuthTag();
    const out = Buffer.allocUnsafeSlow(12 + a.length + b.length + f.length + 16);
    let o = 0;
    for (const part of [nonce, a, b, f, tag]) {
      out.set(part, o);
      o += part.length;
    }
    return { data: out, codec: used };
  }
  const out = Buffer.allocUnsafeSlow(1 + payload.length);
  out[0] = used;
  out.set(payload, 1);
  return { data: out, codec: used };
}

/** Decode a stored blob synchronously (blob.ts's decodeBlob is the async twin). Throws an Error saying why. Self-contained. */
export function decodeSync(
  stored: Uint8Array,
  key: Uint8Array | null,
  rawLength: number,
  zlib: typeof import('node:zlib'),
  crypto: typeof import('node:crypto'),
): Buffer {
  let inner: Uint8Array = stored;
  if (key) {
    if (stored.length < 28) throw new Error('authentication failed (damaged data or wrong key)');
    try {
      const d = crypto.createDecipheriv('aes-256-gcm', key, stored.subarray(0, 12));
      d.setAuthTag(stored.subarray(stored.length - 16));
      const body = d.update(stored.subarray(12, stored.length - 16));
      d.final();
      inner = body;
    } catch {
      throw new Error('authentication failed (damaged data or wrong key)');
    }
  }
  if (inner.length < 1) throw new Error('empty blob');
  const codec = inner[0];
  const payload = Buffer.from(inner.buffer, inner.byteOffset + 1, inner.length - 1);
  const limit = { maxOutputLength: Math.max(rawLength, 1) };
  try {
    if (codec === 0) return payload;
    if (codec === 1) return zlib.inflateRawSync(payload, limit);
    if (codec === 2) return zlib.brotliDecompressSync(payload, limit);
  } catch (e) {
    throw new Error(`cannot decompress: ${(e as Error).message}`);
  }
  throw new Error(`unknown codec byte ${codec}`);
}

interface ChunkLoc {
  id: string;
  pack: string;
  offset: number;
  length: number;
  rawLength: number;
}

/** The worker's main function. Runs in the worker, from its source text. */
function workerMain(
  gearTableFn: typeof gearTable,
  cutFunctionFn: typeof cutFunction,
  encodeSyncFn: typeof encodeSync,
  decodeSyncFn: typeof decodeSync,
  maxInFlight: number,
): void {
  const req = require as NodeJS.Require;
  const { parentPort, workerData } = req('node:worker_threads') as typeof import('node:worker_threads');
  const fs = req('node:fs') as typeof import('node:fs');
  const crypto = req('node:crypto') as typeof import('node:crypto');
  const zlib = req('node:zlib') as typeof import('node:zlib');
  const wd = workerData as {
    minSize: number;
    avgSize: number;
    maxSize: number;
    seed: number;
    codec: number;
    level: number;
    key: Uint8Array | null;
    known: Uint8Array;
    credits: SharedArrayBuffer;
    slot: number;
  };
  const port = parentPort!;
  const credits = new Int32Array(wd.credits);
  let cut: ((buf: Uint8Array, start: number, end: number, final: boolean) => number) | undefined;
  let seen: Set<string> | undefined;
  let buf: Buffer | undefined;
  const errorOf = (e: unknown, extra: Record<string, unknown> = {}) => {
    const err = e as NodeJS.ErrnoException;
    return { code: err.code ?? null, message: String(err.message ?? e), ...extra };
  };

  // ---- backup: chunk one file
  const chunkFile = (job: { id: number; path: string }) => {
    cut ??= cutFunctionFn(gearTableFn(wd.seed), wd.minSize, wd.avgSize, wd.maxSize);
    if (!seen) {
      seen = new Set<string>();
      for (let o = 0; o + 32 <= wd.known.length; o += 32) seen.add(Buffer.from(wd.known.buffer, wd.known.byteOffset + o, 32).toString('hex'));
    }
    buf ??= Buffer.allocUnsafeSlow(wd.maxSize * 4);
    const b = buf;
    let fd = -1;
    try {
      fd = fs.openSync(job.path, 'r');
      const fileHash = crypto.createHash('sha256');
      const chunks: string[] = [];
      let size = 0;
      let unreported = 0;
      let start = 0;
      let end = 0;
      let eof = false;
      for (;;) {
        if (!eof && end - start < wd.maxSize) {
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
        const len = cut(b, start, end, eof);
        const chunk = b.subarray(start, start + len);
        const hex = crypto.createHash('sha256').update(chunk).digest('hex');
        fileHash.update(chunk);
        chunks.push(hex);
        if (!seen.has(hex)) {
          seen.add(hex);
          while (Atomics.load(credits, wd.slot) >= maxInFlight) Atomics.wait(credits, wd.slot, Atomics.load(credits, wd.slot), 200);
          const enc = encodeSyncFn(chunk, wd.codec, wd.level, wd.key, zlib, crypto);
          Atomics.add(credits, wd.slot, 1);
          const ab = enc.data.buffer as ArrayBuffer;
          port.postMessage({ t: 'blob', job: job.id, id: hex, data: ab, raw: len, codec: enc.codec, bytes: unreported + len }, [ab]);
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
  };

  // ---- restore: write one file from its blobs, then verify it on disk
  const packFds = new Map<string, number>();
  // read buffers, reused (a blob is decoded and written before the next is read)
  let rbuf: Buffer | undefined;
  let vbuf: Buffer | undefined;
  const packFd = (path: string) => {
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
  };
  const restoreFile = (job: { id: number; dest: string; flags: number; chunks: ChunkLoc[]; sha256: string; size: number; check: boolean }) => {
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
          plain = decodeSyncFn(stored, wd.key, c.rawLength, zlib, crypto);
          if (plain.length !== c.rawLength) throw new Error(`length ${plain.length}, expected ${c.rawLength}`);
          if (job.check && crypto.createHash('sha256').update(plain).digest('hex') !== c.id) throw new Error('content does not match its hash');
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
      const h = crypto.createHash('sha256');
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
  };

  // ---- verify: hash the whole pack, decode and hash every blob of it
  const checkPack = (job: { id: number; path: string; blobs: ChunkLoc[] }) => {
    try {
      const data = fs.readFileSync(job.path);
      const sha256 = crypto.createHash('sha256').update(data).digest('hex');
      const bad: { id: string; why: string }[] = [];
      for (const b of job.blobs) {
        if (b.offset + b.length > data.length) {
          bad.push({ id: b.id, why: 'beyond the end of the pack' });
          continue;
        }
        try {
          const plain = decodeSyncFn(data.subarray(b.offset, b.offset + b.length), wd.key, b.rawLength, zlib, crypto);
          if (plain.length !== b.rawLength) bad.push({ id: b.id, why: `decoded to ${plain.length} bytes, expected ${b.rawLength}` });
          else if (crypto.createHash('sha256').update(plain).digest('hex') !== b.id) bad.push({ id: b.id, why: 'content does not match its SHA-256' });
        } catch (e) {
          bad.push({ id: b.id, why: (e as Error).message });
        }
      }
      port.postMessage({ t: 'done', job: job.id, bytes: data.length, result: { bad, sha256 } });
    } catch (e) {
      port.postMessage({ t: 'error', job: job.id, error: errorOf(e) });
    }
  };

  port.on('message', (m: { t: string; id: number }) => {
    if (m.t === 'chunk') chunkFile(m as never);
    else if (m.t === 'restore') restoreFile(m as never);
    else if (m.t === 'check') checkPack(m as never);
  });
}

let source: string | undefined;
function workerSource(): string {
  // `__name` is what esbuild's keepNames (tsx uses it) inserts into function bodies
  source ??= `"use strict";var __name=(f)=>f;(${workerMain.toString()})((${gearTable.toString()}),(${cutFunction.toString()}),(${encodeSync.toString()}),(${decodeSync.toString()}),${MAX_IN_FLIGHT});`;
  return source;
}

/** What verify learns from reading one pack whole: its damaged blobs, and the file's SHA-256. */
export interface PackCheck {
  bad: { id: string; why: string }[];
  sha256: string;
}

export interface FileChunked {
  size: number;
  sha256: string;
  chunks: string[];
}

export interface WorkerBlob {
  id: string;
  data: Buffer;
  rawLength: number;
  codec: number;
}

/** An error a worker reported, with what it was doing. */
export interface WorkerError extends Error {
  code?: string;
  kind?: 'missing' | 'corrupt';
  chunk?: string;
  pack?: string;
  stage?: string;
}

interface Job {
  resolve(r: unknown): void;
  reject(e: unknown): void;
  onBytes(n: number): void;
}

export interface PoolOptions {
  threads: number;
  key?: Buffer;
  /** Backups: chunker, compression, the ids the repository has, and where new blobs go. */
  chunker?: ChunkerParams;
  compression?: CompressionSetting;
  known?: Iterable<string>;
  onBlob?: (b: WorkerBlob) => Promise<void>;
}

/** A pool of repository worker threads; one job per worker at a time. */
export class RepoWorkers {
  private readonly workers: Worker[] = [];
  private readonly idle: number[] = [];
  private readonly waiting: (() => void)[] = [];
  private readonly jobs = new Map<number, Job>();
  private readonly credits: Int32Array;
  private nextJob = 1;
  /** Messages are handled one at a time, in arrival order (a file's blobs before its `done`). */
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;
  private closing = false;

  /** A pool, or undefined where worker threads cannot start (the caller then works on its own thread). */
  static tryStart(options: PoolOptions): RepoWorkers | undefined {
    try {
      return new RepoWorkers(options);
    } catch {
      return undefined;
    }
  }

  constructor(private readonly options: PoolOptions) {
    const count = Math.max(1, options.threads);
    const ids: Buffer[] = [];
    for (const id of options.known ?? []) ids.push(Buffer.from(id, 'hex'));
    const known = new Uint8Array(Buffer.concat(ids));
    const sab = new SharedArrayBuffer(4 * count);
    this.credits = new Int32Array(sab);
    const c = options.chunker;
    for (let slot = 0; slot < count; slot++) {
      const w = new Worker(workerSource(), {
        eval: true,
        execArgv: [],
        workerData: {
          minSize: c?.minSize ?? 0,
          avgSize: c?.avgSize ?? 0,
          maxSize: c?.maxSize ?? 0,
          seed: c?.seed ?? 0,
          codec: CODEC_BYTE[options.compression?.codec ?? 'none'],
          level: options.compression?.level ?? 0,
          key: options.key ? new Uint8Array(options.key) : null,
          known,
          credits: sab,
          slot,
        },
      });
      w.unref();
      w.on('message', (m: Record<string, unknown>) => {
        this.chain = this.chain.then(() => this.handle(slot, m)).catch((e) => this.fail(e));
      });
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => {
        if (!this.closing) this.fail(new Error(`repository worker thread exited (code ${code})`));
      });
      this.workers.push(w);
      this.idle.push(slot);
    }
  }

  private fail(e: unknown): void {
    this.failure ??= e;
    for (const j of this.jobs.values()) j.reject(this.failure);
    this.jobs.clear();
    for (const wake of this.waiting.splice(0)) wake();
  }

  private async handle(slot: number, m: Record<string, unknown>): Promise<void> {
    const job = this.jobs.get(m.job as number);
    if (m.t === 'blob') {
      try {
        job?.onBytes(m.bytes as number);
        await this.options.onBlob?.({ id: m.id as string, data: Buffer.from(m.data as ArrayBuffer), rawLength: m.raw as number, codec: m.codec as number });
      } finally {
        Atomics.sub(this.credits, slot, 1);
        Atomics.notify(this.credits, slot);
      }
      return;
    }
    if (!job) return;
    if (m.t === 'progress') {
      job.onBytes(m.bytes as number);
      return;
    }
    this.jobs.delete(m.job as number);
    this.idle.push(slot);
    this.waiting.shift()?.();
    if (m.t === 'done') {
      job.onBytes(m.bytes as number);
      job.resolve(m.result);
    } else {
      const info = m.error as { message: string; code: string | null } & Record<string, unknown>;
      const err = Object.assign(new Error(info.message), info) as WorkerError;
      if (!info.code) delete err.code;
      job.reject(err);
    }
  }

  private async run<T>(msg: Record<string, unknown>, onBytes: (n: number) => void): Promise<T> {
    if (this.failure) throw this.failure;
    while (this.idle.length === 0) {
      await new Promise<void>((r) => this.waiting.push(r));
      if (this.failure) throw this.failure;
    }
    const slot = this.idle.shift()!;
    const id = this.nextJob++;
    return new Promise<T>((resolve, reject) => {
      this.jobs.set(id, { resolve: resolve as (r: unknown) => void, reject, onBytes });
      this.workers[slot]!.postMessage({ ...msg, id });
    });
  }

  /** Backup: chunk a file on a free worker; its new blobs go to `onBlob` before this resolves. */
  chunkFile(path: string, onBytes: (n: number) => void): Promise<FileChunked> {
    return this.run({ t: 'chunk', path }, onBytes);
  }

  /** Restore: write `dest` from its chunks and return what a re-read of it found. */
  restoreFile(
    dest: string,
    flags: number,
    chunks: ChunkLoc[],
    expected: { sha256: string; size: number },
    check: boolean,
    onBytes: (n: number) => void,
  ): Promise<{ size: number; sha256: string }> {
    return this.run({ t: 'restore', dest, flags, chunks, sha256: expected.sha256, size: expected.size, check }, onBytes);
  }

  /** Verify: the damaged blobs of one pack, and the SHA-256 of the whole file. */
  checkPack(path: string, blobs: ChunkLoc[]): Promise<PackCheck> {
    return this.run({ t: 'check', path, blobs }, () => undefined);
  }

  /** Wait until every message received so far is handled. */
  async drain(): Promise<void> {
    await this.chain;
  }

  /** Stop now: jobs in progress fail with `reason`. */
  async abort(reason: unknown): Promise<void> {
    this.fail(reason);
    await this.close();
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
