/**
 * The pool of worker threads that does the CPU-heavy work of the repository, so it runs on every
 * core and stays out of the main thread (and its garbage collector): chunking, hashing and
 * compressing for backups, writing and checking files for restores, reading whole packs for
 * verify. What a thread does is in worker-thread.ts (bundled as dist/repo-worker.js); this file
 * starts the threads, hands them jobs one at a time and routes their messages back.
 *
 * Flow control for backups: a worker may have at most MAX_IN_FLIGHT blobs posted and not yet
 * taken by the main thread (a counter in a SharedArrayBuffer, Atomics.wait in the worker), so a
 * slow disk bounds memory instead of letting blobs pile up.
 */
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startWorkerFile } from '../../worker-file';
import type { ChunkerParams, CompressionSetting } from './model';
import type { ChunkLoc, RepoWorkerData } from './worker-thread';

const MAX_IN_FLIGHT = 6;
/** Below this many bytes of work, starting threads costs more than it saves. */
export const WORKER_MIN_BYTES = 16 * 1024 * 1024;

export function defaultThreads(): number {
  const cores = os.availableParallelism();
  return cores >= 2 ? Math.min(4, cores) : 0;
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
    for (let slot = 0; slot < count; slot++) {
      const workerData: RepoWorkerData = {
        ...(options.chunker ? { chunker: options.chunker } : {}),
        compression: options.compression ?? { codec: 'none', level: 0 },
        key: options.key ? new Uint8Array(options.key) : null,
        known,
        credits: sab,
        slot,
        maxInFlight: MAX_IN_FLIGHT,
      };
      const w = startWorkerFile('repo-worker.js', new URL('./worker-thread.ts', import.meta.url), { execArgv: [], workerData });
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
