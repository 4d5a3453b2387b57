/**
 * Memory as the engine that owns a stack keeps it: events go to the journal (journal.ts) on the
 * engine's thread; memory.db is opened only on a worker thread (memory-worker.ts), started when
 * someone searches or when the journal holds `ingestBytes`, and ended after `idleMs` without a
 * request. Every request first takes the journal in, so a search sees everything recorded before
 * it. An engine whose stack is quiet so never holds SQLite in memory, and a search costs the
 * worker's start (tens of milliseconds) only when none ran in the last `idleMs`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { systemClock, type Clock, type TimerHandle } from '../clock';
import { OpsError } from '../errors';
import type { EventBus } from '../events';
import type { IngestResult } from './ingest';
import { MemoryJournal, journalDir } from './journal';
import type { AroundOptions } from './memory-store';
import type { MemoryWorkerData, MemoryWorkerOp, MemoryWorkerRequest } from './memory-worker';
import { WorkerCalls } from '../worker-rpc';
import type { Disposable } from '../contract/events';
import type { MemoryFilter, MemoryHit, MemoryQuery } from '../contract/memory';

export interface JournaledMemoryOptions {
  clock?: Clock;
  /** Journal appends at most this long after an event. Default 1000 ms. */
  flushMs?: number;
  /** End the worker after this long without a request. Default 30 s. */
  idleMs?: number;
  /** Index the journal once it holds this many bytes, searched or not. Default 1 MiB. */
  ingestBytes?: number;
  /** Retention of memory.db (MemoryStoreOptions). */
  maxRows?: number;
  maxBytes?: number;
}

export const JOURNALED_MEMORY_DEFAULTS = { idleMs: 30_000, ingestBytes: 1024 * 1024 } as const;

export class JournaledMemory {
  readonly journal: MemoryJournal;
  private readonly clock: Clock;
  private readonly idleMs: number;
  private readonly ingestBytes: number;
  private worker: Worker | undefined;
  /** The worker being ended, until it has exited. */
  private ending: Promise<void> | undefined;
  private readonly calls = new WorkerCalls();
  private nextId = 1;
  private idleTimer: TimerHandle | undefined;
  private indexing = false;
  private closed = false;
  private warned = false;

  private constructor(
    /** `<stack>/.opsdeck`: memory.db and memory-journal/ are in it. */
    readonly dir: string,
    private readonly opts: JournaledMemoryOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.idleMs = opts.idleMs ?? JOURNALED_MEMORY_DEFAULTS.idleMs;
    this.ingestBytes = opts.ingestBytes ?? JOURNALED_MEMORY_DEFAULTS.ingestBytes;
    this.journal = MemoryJournal.open(journalDir(dir), {
      clock: this.clock,
      ...(opts.flushMs !== undefined ? { flushMs: opts.flushMs } : {}),
      onAppend: (bytes) => {
        if (bytes >= this.ingestBytes) this.indexSoon();
      },
    });
  }

  /** The memory of the stack whose `.opsdeck` folder is `dir`. Only the stack's owner opens it. */
  static open(dir: string, opts: JournaledMemoryOptions = {}): JournaledMemory {
    return new JournaledMemory(dir, opts);
  }

  /** Record what the bus carries until disposed (see probeFilter). */
  attach(bus: EventBus): Disposable {
    return this.journal.attach(bus);
  }

  /** MemoryStore.search, on the worker, after taking the journal in. */
  search(query: MemoryQuery = {}): Promise<MemoryHit[]> {
    return this.call({ op: 'search', query }) as Promise<MemoryHit[]>;
  }

  /** MemoryStore.latest, on the worker. */
  latest(filter: MemoryFilter = {}): Promise<MemoryHit[]> {
    return this.call({ op: 'latest', filter }) as Promise<MemoryHit[]>;
  }

  /** MemoryStore.around, on the worker. */
  around(rowId: number, options: AroundOptions = {}): Promise<MemoryHit[]> {
    return this.call({ op: 'around', rowId, options }) as Promise<MemoryHit[]>;
  }

  /** Take the journal into memory.db now. */
  ingest(): Promise<IngestResult> {
    return this.call({ op: 'ingest' }) as Promise<IngestResult>;
  }

  /** Journal compaction: take every segment into memory.db (and delete it) now. */
  compactJournal(): Promise<IngestResult> {
    return this.ingest();
  }

  /** MemoryStore.optimize, on the worker. */
  optimize(rebuild = false): Promise<{ bytesBefore: number; bytesAfter: number; rows: number }> {
    return this.call({ op: 'optimize', rebuild }) as Promise<{ bytesBefore: number; bytesAfter: number; rows: number }>;
  }

  /** Is the worker (and so SQLite) running now? */
  get workerRunning(): boolean {
    return this.worker !== undefined;
  }

  /**
   * Append what the journal buffers and end the worker. The journal stays on disk: the next
   * owner (or `opsdeck memory search` with no engine) takes it in.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.journal.close();
    this.idleTimer?.cancel();
    await this.endWorker();
  }

  // ------------------------------------------------------------------ internals

  private async call(req: MemoryWorkerOp): Promise<unknown> {
    if (this.closed) throw new OpsError('MEMORY_CLOSED', `memory in ${this.dir} is closed`, 'Memory is searched through the engine that owns the stack.');
    await this.ending;
    // close() may have come while the idle worker was ending: no new worker after it.
    if (this.closed) throw new OpsError('MEMORY_CLOSED', `memory in ${this.dir} is closed`, 'Memory is searched through the engine that owns the stack.');
    const upTo = this.journal.seal();
    const w = this.worker ?? this.startWorker();
    const id = this.nextId++;
    this.idleTimer?.cancel();
    this.idleTimer = undefined;
    w.ref();
    try {
      const reply = this.calls.wait(id);
      w.postMessage({ ...req, id, upTo } satisfies MemoryWorkerRequest);
      return await reply;
    } finally {
      this.journal.refreshSize();
      if (!this.calls.size && this.worker === w) {
        w.unref();
        this.idleTimer = this.clock.setTimeout(() => {
          this.idleTimer = undefined;
          if (!this.calls.size) void this.endWorker();
        }, this.idleMs);
      }
    }
  }

  private startWorker(): Worker {
    const data: MemoryWorkerData = {
      dbPath: join(this.dir, 'memory.db'),
      journalDir: journalDir(this.dir),
      ...(this.opts.maxRows !== undefined ? { maxRows: this.opts.maxRows } : {}),
      ...(this.opts.maxBytes !== undefined ? { maxBytes: this.opts.maxBytes } : {}),
    };
    const url = workerUrl();
    // From the sources (tests, development), the worker registers tsx itself: Node 20 does not
    // hand a thread the module hooks of the main one.
    const w = url.pathname.endsWith('.ts')
      ? new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true, workerData: data })
      : new Worker(url, { workerData: data });
    this.worker = w;
    this.calls.listen(
      w,
      () => {
        if (this.worker === w) this.worker = undefined;
      },
      (why) => new OpsError('MEMORY_OPEN_FAILED', `the memory worker stopped: ${why}`, 'Try again; if it keeps failing, see the engine log (.opsdeck/logs/engine.log).'),
    );
    return w;
  }

  private endWorker(): Promise<void> {
    const w = this.worker;
    if (!w) return this.ending ?? Promise.resolve();
    this.worker = undefined;
    this.ending = new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(kill);
        resolve();
      };
      // Closing checkpoints memory.db; a worker that does not end in 10 s is stopped.
      const kill = setTimeout(() => void w.terminate(), 10_000);
      kill.unref();
      w.once('exit', done);
      // Idle, the worker does not keep the process alive; ending it must (the caller awaits it).
      w.ref();
      w.postMessage({ id: 0, op: 'close' } satisfies MemoryWorkerRequest);
    }).finally(() => {
      this.ending = undefined;
    });
    return this.ending;
  }

  /** Index the journal in the background (it grew past ingestBytes). */
  private indexSoon(): void {
    if (this.indexing || this.closed) return;
    this.indexing = true;
    this.ingest()
      .then(() => {
        this.warned = false;
      })
      .catch((err: unknown) => {
        if (!this.warned) process.emitWarning(`opsdeck memory: cannot index the journal: ${(err as Error).message}`);
        this.warned = true;
      })
      .finally(() => {
        this.indexing = false;
      });
  }
}

/** The worker's script: next to the bundle (dist/memory-worker.js), or the source under tsx. */
function workerUrl(): URL {
  const bundled = new URL('./memory-worker.js', import.meta.url);
  return existsSync(fileURLToPath(bundled)) ? bundled : new URL('./memory-worker.ts', import.meta.url);
}
