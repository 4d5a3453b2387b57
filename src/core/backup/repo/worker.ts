/**
 * The pool of worker threads that does the CPU-heavy work of the repository, so it runs on every
 * core and stays out of the main thread (and its garbage collector): chunking, hashing and
 * compressing for backups, writing and checking files for restores, reading whole packs for
 * verify. What a thread does is in worker-thread.ts (bundled as dist/repo-worker.js); this file
 * starts the threads, hands them jobs one at a time and routes their messages back.
 *
 * Backups: each thread writes the blobs it encodes into pack files of its own (pack-file.ts) and
 * posts only their blob tables, so no blob bytes cross threads or wait in memory: neither a large
 * data set nor a slow disk makes memory grow (a slow disk slows the threads down instead).
 */
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startWorkerFile } from '../../worker-file';
import { KnownIds, NewIds } from './known-ids';
import type { ChunkerParams, CompressionSetting } from './model';
import { tablePack, type PackBlob, type PackInfo } from './pack';
import type { RestoreChunks, RestoredFile } from './restore-chunks';
import type { PackMessage, RepoWorkerData } from './worker-thread';

const YOUNG_GENERATION_MB = 8;
/** The most slots of the threads' table of new blobs (36 bytes each: 4.5 MiB). */
const MAX_CLAIM_SLOTS = 1 << 17;
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
  chunks: string[];
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
  /** Backups: chunker, compression, the ids the repository has, where the threads write packs. */
  chunker?: ChunkerParams;
  compression?: CompressionSetting;
  known?: KnownIds;
  /** Backups: about how many new blobs there may be (sizes the threads' shared table of them). */
  newBlobs?: number;
  packs?: { repoDir: string; packSize: number; dryRun: boolean };
  /** Takes a pack a thread wrote (durable but for its folder's fsync; pack-file.ts). */
  onPack?: (p: PackInfo) => Promise<void>;
}

/** How long close() waits for a thread to end its job and answer before it terminates it. */
const END_WAIT_MS = 10_000;

/** A pool of repository worker threads; one job per worker at a time. */
export class RepoWorkers {
  private readonly workers: Worker[] = [];
  private readonly idle: number[] = [];
  private readonly waiting: (() => void)[] = [];
  private readonly jobs = new Map<number, Job>();
  private nextJob = 1;
  /** Messages are handled one at a time, in arrival order (a file's blobs before its `done`). */
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;
  private closing = false;
  private closed: Promise<void> | undefined;
  /** Set when the pool closes: the threads' jobs under way stop at their next read (worker-thread.ts). */
  private readonly stop = new Int32Array(new SharedArrayBuffer(4));
  /** Per thread: called when it answered `end` or exited. */
  private readonly ended: (() => void)[] = [];
  private readonly exited = new Set<number>();

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
    const known = (options.known ?? KnownIds.of([])).shared;
    // the new blobs' table: twice the expected count (kept sparse), at most MAX_CLAIM_SLOTS
    const claims = options.newBlobs !== undefined ? NewIds.create(Math.min(MAX_CLAIM_SLOTS, 2 * options.newBlobs)).shared : undefined;
    for (let slot = 0; slot < count; slot++) {
      const workerData: RepoWorkerData = {
        ...(options.chunker ? { chunker: options.chunker } : {}),
        compression: options.compression ?? { codec: 'none', level: 0 },
        key: options.key ? new Uint8Array(options.key) : null,
        known,
        ...(claims ? { claims } : {}),
        ...(options.packs ? { packs: options.packs } : {}),
        stop: this.stop.buffer as SharedArrayBuffer,
      };
      // a small young generation: a thread's garbage (a hash and a buffer per 4 KiB page) is
      // collected often and cheaply instead of growing the process by tens of megabytes
      const w = startWorkerFile('repo-worker.js', new URL('./worker-thread.ts', import.meta.url), { execArgv: [], workerData, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
      w.unref();
      w.on('message', (m: Record<string, unknown>) => {
        if (m.t === 'ended') return this.ended[slot]?.();
        this.chain = this.chain.then(() => this.handle(slot, m)).catch((e) => this.fail(e));
      });
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => {
        this.exited.add(slot);
        this.ended[slot]?.();
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
    if (m.t === 'pack') {
      await this.options.onPack?.(tablePack((m as unknown as PackMessage).pack));
      return;
    }
    if (!job) return;
    if (m.t === 'progress') {
      job.onBytes(m.bytes as number);
      return;
    }
    this.jobs.delete(m.job as number);
    this.idle.push(slot);
    for (const wake of this.waiting.splice(0)) wake(); // each checks again for the thread it waits for
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
    this.assertOpen();
    while (this.idle.length === 0) {
      await new Promise<void>((r) => this.waiting.push(r));
      this.assertOpen();
    }
    return this.post<T>(this.idle.shift()!, msg, onBytes);
  }

  /** Run a job on one given thread, once it is free. */
  private async runOn<T>(slot: number, msg: Record<string, unknown>): Promise<T> {
    this.assertOpen();
    while (!this.idle.includes(slot)) {
      await new Promise<void>((r) => this.waiting.push(r));
      this.assertOpen();
    }
    this.idle.splice(this.idle.indexOf(slot), 1);
    return this.post<T>(slot, msg, () => undefined);
  }

  private assertOpen(): void {
    if (this.failure) throw this.failure;
    if (this.closing) throw new Error('the repository worker threads are closed');
  }

  private post<T>(slot: number, msg: Record<string, unknown>, onBytes: (n: number) => void): Promise<T> {
    const id = this.nextJob++;
    return new Promise<T>((resolve, reject) => {
      this.jobs.set(id, { resolve: resolve as (r: unknown) => void, reject, onBytes });
      this.workers[slot]!.postMessage({ ...msg, id });
    });
  }

  get threads(): number {
    return this.workers.length;
  }

  /** Backup: chunk a file on a free worker; its new blobs go to `onBlob` before this resolves. */
  chunkFile(path: string, onBytes: (n: number) => void): Promise<FileChunked> {
    return this.run({ t: 'chunk', path, start: 0 }, onBytes);
  }

  /** Backup: the chunk ids of `page`-sized chunks of bytes [start, end) of a file (a segment of a SQLite database); new blobs go to `onBlob`. */
  chunkRange(path: string, start: number, end: number, page: number, onBytes: (n: number) => void): Promise<FileChunked> {
    return this.run({ t: 'chunk', path, start, end, page }, onBytes);
  }

  /** Backup: every thread writes out the pack it is filling (posted to onPack before this resolves). */
  async flushPacks(): Promise<void> {
    await Promise.all(this.workers.map((_, slot) => this.runOn(slot, { t: 'flush' })));
  }

  /**
   * Restore: write `dest` from its chunks, each hashed against its id before it is written (and
   * the whole file against `sha256` when an older snapshot recorded one); what was written.
   */
  restoreFile(dest: string, flags: number, chunks: RestoreChunks, sha256: string | undefined, onBytes: (n: number) => void): Promise<RestoredFile> {
    return this.run({ t: 'restore', dest, flags, chunks, sha256: sha256 ?? '' }, onBytes);
  }

  /** Verify: the damaged blobs of one pack, and the SHA-256 of the whole file. */
  checkPack(path: string, blobs: PackBlob[]): Promise<PackCheck> {
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

  /**
   * Stop the threads: each ends the job it is in at its next read, lets go of its files (the pack
   * it was filling is removed), answers, and only then is terminated. A thread that does not
   * answer within END_WAIT_MS (a read that hangs) is terminated where it is.
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      Atomics.store(this.stop, 0, 1);
      for (const wake of this.waiting.splice(0)) wake();
      await Promise.all(
        this.workers.map(async (w, slot) => {
          if (this.exited.has(slot)) return;
          w.ref(); // the process waits for the answer (a one-shot command ending on a failure)
          let timer: NodeJS.Timeout | undefined;
          await new Promise<void>((resolve) => {
            this.ended[slot] = resolve;
            timer = setTimeout(resolve, END_WAIT_MS);
            w.postMessage({ t: 'end' });
          });
          clearTimeout(timer);
          await w.terminate();
        }),
      );
    })();
    return this.closed;
  }
}
