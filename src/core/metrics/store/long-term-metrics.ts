/**
 * The long-term metrics of the engine that owns a stack (docs/metrics.md, "Long-term store").
 * On the engine's thread: a RollupAccumulator fed by every metrics sample (the collector's
 * onSample hook) and the bus's events, closed once a minute into the rollup journal (one append
 * a minute). Off it: metrics.db, opened only on a worker thread (store-worker.ts) that takes the
 * journal in once it holds `ingestBytes` or every `ingestEveryMs`, and to answer a query; the
 * worker ends after `idleMs` without a request. So an engine never holds SQLite for writing, and
 * a quiet stack costs one timer a minute.
 */
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { Clock, TimerHandle } from '../../clock';
import { OpsError } from '../../errors';
import type { EventBus } from '../../events';
import { startWorkerFile } from '../../worker-file';
import { WorkerCalls } from '../../worker-rpc';
import { MINUTE_MS, RollupAccumulator } from './rollup-accumulator';
import { metricsDbPath, RollupJournal, rollupJournalDir } from './rollup-journal';
import type { CompactResult } from './ingest';
import type { RowsQuery, StoreStats } from './rollup-db';
import type { RollupReader } from './rollup-reader';
import type { JournalEntry, ServiceRow, StackRow } from './rows';
import type { StoreWorkerData, StoreWorkerOp, StoreWorkerRequest } from './store-worker';
import type { Disposable, ServiceState } from '../../contract/events';
import type { StackMetrics } from '../../contract/metrics';
import type { MetricsMark, RollupRetention } from '../../contract/metrics-store';

export interface LongTermMetricsOptions {
  clock: Clock;
  retention: RollupRetention;
  /** The services' states now (the accumulator counts state time from them). */
  states: () => readonly { name: string; state: ServiceState }[];
  /** Take the journal in once it holds this many bytes. Default 256 KiB. */
  ingestBytes?: number;
  /** …or this long after the last time. Default 1 h. */
  ingestEveryMs?: number;
  /** End the worker after this long without a request. Default 30 s. */
  idleMs?: number;
}

export const LONG_TERM_DEFAULTS = { ingestBytes: 256 * 1024, ingestEveryMs: 3_600_000, idleMs: 30_000 } as const;

export class LongTermMetrics implements RollupReader {
  private readonly journal: RollupJournal;
  private readonly acc: RollupAccumulator;
  private marksPending: MetricsMark[] = [];
  private minuteTimer: TimerHandle | undefined;
  private idleTimer: TimerHandle | undefined;
  private worker: Worker | undefined;
  private readonly calls = new WorkerCalls();
  private nextId = 1;
  private lastIngest: number;
  private closed = false;
  private warned = false;

  constructor(
    /** `<stack>/.opsdeck`. */
    readonly dir: string,
    private readonly opts: LongTermMetricsOptions,
  ) {
    this.journal = new RollupJournal(rollupJournalDir(dir));
    this.acc = new RollupAccumulator(opts.clock.now(), opts.states());
    this.lastIngest = opts.clock.now();
    this.armMinute();
  }

  /** Count what the bus carries until disposed. */
  attach(bus: EventBus): Disposable {
    return bus.onAny((e) => {
      const m = this.acc.event(e);
      if (m) this.marksPending.push(m);
    });
  }

  /** One metrics sample (MetricsCollector's onSample). */
  sample(m: StackMetrics): void {
    this.acc.sample(m);
  }

  /** A mark that is no engine event (a config change, an engine start). */
  mark(m: MetricsMark): void {
    this.marksPending.push(m);
  }

  /** Close the minutes that ended and append them (and the marks) to the journal now. */
  flush(now = this.opts.clock.now()): void {
    const closed = this.acc.closeBefore(now);
    const entries: JournalEntry[] = [
      ...closed.services.map((r) => ({ t: 's' as const, ...r })),
      ...closed.stack.map((r) => ({ t: 'k' as const, ...r })),
      ...this.marksPending.map((m) => ({ t: 'm' as const, ...m })),
    ];
    try {
      this.journal.append(entries);
      this.marksPending = [];
      this.warned = false;
    } catch (err) {
      if (!this.warned) process.emitWarning(`opsdeck metrics store: cannot write the rollup journal: ${(err as Error).message}`);
      this.warned = true;
    }
  }

  rows(query: RowsQuery): Promise<{ services: ServiceRow[]; stack: StackRow[] }> {
    return this.call({ op: 'rows', query }) as Promise<{ services: ServiceRow[]; stack: StackRow[] }>;
  }

  marks(since: number, until: number, opts: { lastBefore?: boolean } = {}): Promise<MetricsMark[]> {
    return this.call({ op: 'marks', since, until, lastBefore: !!opts.lastBefore }) as Promise<MetricsMark[]>;
  }

  stats(): Promise<StoreStats> {
    return this.call({ op: 'stats' }) as Promise<StoreStats>;
  }

  /** Take the journal in, apply retention, VACUUM and optimize metrics.db (on the worker). */
  compact(): Promise<CompactResult> {
    return this.call({ op: 'compact' }) as Promise<CompactResult>;
  }

  /** Take the journal into metrics.db now. */
  async ingest(): Promise<void> {
    await this.call({ op: 'ingest' });
  }

  get workerRunning(): boolean {
    return this.worker !== undefined;
  }

  /** Journal what is closed and the open minute's marks, end the worker. The open minute's samples are dropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.minuteTimer?.cancel();
    this.idleTimer?.cancel();
    await this.endWorker();
  }

  // ------------------------------------------------------------------ internals

  private armMinute(): void {
    const now = this.opts.clock.now();
    // One second past the minute's end, so samples of the minute's last second are in.
    const delay = Math.floor(now / MINUTE_MS) * MINUTE_MS + MINUTE_MS + 1000 - now;
    this.minuteTimer = this.opts.clock.setTimeout(() => {
      if (this.closed) return;
      this.flush();
      const now = this.opts.clock.now();
      const every = this.opts.ingestEveryMs ?? LONG_TERM_DEFAULTS.ingestEveryMs;
      if (this.journal.currentBytes() >= (this.opts.ingestBytes ?? LONG_TERM_DEFAULTS.ingestBytes) || now - this.lastIngest >= every) {
        this.ingest().catch((err: unknown) => process.emitWarning(`opsdeck metrics store: ${(err as Error).message}`));
      }
      this.armMinute();
    }, delay);
  }

  private async call(req: StoreWorkerOp): Promise<unknown> {
    if (this.closed) throw new OpsError('NOT_AVAILABLE', `the metrics store in ${this.dir} is closed`, 'the store is read through the engine that owns the stack');
    this.flush();
    this.journal.seal();
    this.lastIngest = this.opts.clock.now();
    const w = this.worker ?? this.startWorker();
    const id = this.nextId++;
    this.idleTimer?.cancel();
    w.ref();
    try {
      const reply = this.calls.wait(id);
      w.postMessage({ ...req, id, now: this.opts.clock.now() } satisfies StoreWorkerRequest);
      return await reply;
    } finally {
      if (!this.calls.size && this.worker === w) {
        w.unref();
        this.idleTimer = this.opts.clock.setTimeout(() => {
          if (!this.calls.size) void this.endWorker();
        }, this.opts.idleMs ?? LONG_TERM_DEFAULTS.idleMs);
      }
    }
  }

  private startWorker(): Worker {
    const data: StoreWorkerData = { dbPath: metricsDbPath(this.dir), journalDir: join(this.dir, 'metrics-journal'), retention: this.opts.retention };
    const w = startWorkerFile('metrics-store-worker.js', new URL('./store-worker.ts', import.meta.url), { execArgv: [], workerData: data });
    this.worker = w;
    this.calls.listen(
      w,
      () => {
        if (this.worker === w) this.worker = undefined;
      },
      (why) => new OpsError('METRICS_STORE_FAILED', `the metrics store worker stopped: ${why}`, 'Try again; if it keeps failing, see .opsdeck/logs/engine.log.'),
    );
    return w;
  }

  private endWorker(): Promise<void> {
    const w = this.worker;
    if (!w) return Promise.resolve();
    this.worker = undefined;
    return new Promise<void>((resolve) => {
      const kill = setTimeout(() => void w.terminate(), 10_000);
      kill.unref();
      w.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      w.ref();
      w.postMessage({ id: 0, op: 'close' } satisfies StoreWorkerRequest);
    });
  }
}
