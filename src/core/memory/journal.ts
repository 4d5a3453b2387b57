/**
 * The memory journal: where the engine that owns a stack writes what memory records, as it
 * happens, without SQLite. Rows (memory-row.ts) are buffered and appended once a second as JSON
 * lines to numbered segment files in `<stack>/.opsdeck/memory-journal/`; the store indexes them
 * later into memory.db (ingestJournal, on a worker thread: journaled-memory.ts), segment by
 * segment, and deletes each once it is in.
 *
 * So the engine's own process never loads SQLite (several megabytes of WebAssembly heap and code
 * that would stay for its whole life) just to write a few rows; memory.db is opened when someone
 * searches, or when the journal has grown enough to be worth indexing.
 *
 * Segments are append-only: the journal never writes into a segment it did not start (a new
 * journal starts the segment after the highest it finds), and seal() ends the current one, so an
 * indexer can take every segment up to the one sealed while rows keep coming into the next. A
 * segment's name is its number and a random tag (`000000000007-9f2c41d0.jsonl`): memory.db
 * remembers the name of the last segment it took in, which tells a segment left by a crash
 * after it was taken in from a new one, whatever the numbers.
 * A killed engine loses at most the rows of its last second; a line cut short by the kill is
 * skipped when read (readSegment).
 * Owner-only: the folder is 0700 and each segment 0600 (older segments are narrowed on open).
 */
import { appendFileSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock, type Clock } from '../clock';
import { OpsError } from '../errors';
import type { EventBus } from '../events';
import { PRIVATE_FILE_MODE, privateDir, privateFile } from '../private-files';
import { FlushTimer } from './flush-timer';
import { parseMemoryRow, recordFrom, toMemoryRow, type MemoryRow } from './memory-row';
import type { Disposable, EngineEvent } from '../contract/events';

export interface MemoryJournalOptions {
  /** Drives the flush timer. Default: the system clock. */
  clock?: Clock;
  /** Append buffered rows at most this long after the first of them was recorded. Default 1000 ms. */
  flushMs?: number;
  /** Start a new segment once the current one holds this many bytes. Default 4 MiB. */
  segmentBytes?: number;
  /**
   * Keep the journal under this many bytes: when it is over (memory.db has not been written for
   * a long while, say the disk was full), the oldest segments are deleted. Default 256 MiB.
   */
  maxBytes?: number;
  /** Called after each append with the bytes the journal now holds (to decide when to index). */
  onAppend?: (bytes: number) => void;
}

export const JOURNAL_DEFAULTS = { flushMs: 1000, segmentBytes: 4 * 1024 * 1024, maxBytes: 256 * 1024 * 1024 } as const;

/** Buffered rows kept while the journal cannot be written; older ones are dropped. */
const MAX_PENDING = 50_000;

export interface JournalSegment {
  seq: number;
  /** The file's name: the number and a random tag. */
  name: string;
  path: string;
  bytes: number;
}

export class MemoryJournal {
  private readonly clock: Clock;
  private readonly segmentBytes: number;
  private readonly maxBytes: number;
  private readonly onAppend: ((bytes: number) => void) | undefined;
  private pending: MemoryRow[] = [];
  private readonly flusher: FlushTimer;
  /** The segment rows go to; its file exists once something was appended to it. */
  private seq: number;
  private segmentFile: string;
  private currentBytes = 0;
  /** Bytes of the journal's segments as this journal knows them (it is the only writer). */
  private bytes: number;
  private closed = false;
  private dropped = 0;
  private warnedDrop = false;

  private constructor(
    readonly dir: string,
    existing: JournalSegment[],
    opts: MemoryJournalOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.flusher = new FlushTimer(this.clock, opts.flushMs ?? JOURNAL_DEFAULTS.flushMs, () => this.flush(), () => this.closed);
    this.segmentBytes = opts.segmentBytes ?? JOURNAL_DEFAULTS.segmentBytes;
    this.maxBytes = opts.maxBytes ?? JOURNAL_DEFAULTS.maxBytes;
    this.onAppend = opts.onAppend;
    this.seq = (existing.at(-1)?.seq ?? 0) + 1;
    this.segmentFile = segmentName(this.seq);
    this.bytes = existing.reduce((a, s) => a + s.bytes, 0);
  }

  /** Open the journal in `dir` (created if needed). Only the stack's owner opens it. */
  static open(dir: string, opts: MemoryJournalOptions = {}): MemoryJournal {
    try {
      privateDir(dir);
    } catch (err) {
      throw new OpsError('MEMORY_OPEN_FAILED', `cannot create the memory journal ${dir}: ${(err as Error).message}`, 'Check that the stack folder is writable.');
    }
    const existing = journalSegments(dir);
    for (const s of existing) privateFile(s.path);
    return new MemoryJournal(dir, existing, opts);
  }

  /** Record what the bus carries (see probeFilter) until disposed. */
  attach(bus: EventBus): Disposable {
    return recordFrom(bus, (e) => this.record(e));
  }

  /** Buffer one event for the next append. Never throws; ignored after close(). */
  record(e: EngineEvent): void {
    if (this.closed) return;
    this.pending.push(toMemoryRow(e, this.clock.now()));
    this.flusher.schedule();
  }

  /**
   * Append the buffered rows to the current segment now. Throws OpsError MEMORY_WRITE_FAILED
   * when it cannot: the rows stay buffered (up to 50 000) and are tried again a second later.
   */
  flush(): void {
    if (this.closed) return;
    this.flusher.cancel();
    if (!this.pending.length) return;
    const text = this.pending.map((r) => JSON.stringify(r) + '\n').join('');
    try {
      appendFileSync(join(this.dir, this.segmentFile), text, { mode: PRIVATE_FILE_MODE });
    } catch (err) {
      this.flusher.failing = true;
      // A retry goes to a new segment: never after a line the failed write may have cut short.
      this.nextSegment();
      if (this.pending.length > MAX_PENDING) {
        this.dropped += this.pending.length - MAX_PENDING;
        this.pending = this.pending.slice(-MAX_PENDING);
      }
      this.flusher.retryLater();
      throw new OpsError(
        'MEMORY_WRITE_FAILED',
        `cannot write to the memory journal ${this.dir}: ${(err as Error).message}`,
        'Check free disk space and that the folder is still there; recorded events wait in memory meanwhile.',
      );
    }
    this.flusher.failing = false;
    this.pending = [];
    const n = Buffer.byteLength(text);
    this.currentBytes += n;
    this.bytes += n;
    if (this.currentBytes >= this.segmentBytes) this.nextSegment();
    if (this.bytes > this.maxBytes) this.dropOldest();
    this.onAppend?.(this.bytes);
  }

  /**
   * Append what is buffered and end the current segment: rows recorded from now on go to the
   * next one. Returns the number of the last segment that is complete (0 when there is none),
   * for ingestJournal(…, upTo).
   */
  seal(): number {
    this.flusher.flushQuietly();
    if (this.currentBytes > 0) this.nextSegment();
    return this.seq - 1;
  }

  /** Bytes the journal holds: what memory.db has not taken in yet. */
  get size(): number {
    return this.bytes;
  }

  /** After an indexer took segments in and deleted them: count the bytes again. */
  refreshSize(): void {
    this.bytes = journalSegments(this.dir).reduce((a, s) => a + s.bytes, 0);
  }

  /** Rows recorded but not yet appended. */
  get pendingRows(): number {
    return this.pending.length;
  }

  /** Rows lost: dropped while the journal could not be written, or in segments deleted to stay under maxBytes. */
  get droppedRows(): number {
    return this.dropped;
  }

  /** Append what is buffered; further records are ignored. */
  close(): void {
    if (this.closed) return;
    try {
      this.flusher.flushQuietly();
    } finally {
      this.closed = true;
      this.flusher.cancel();
    }
  }

  private nextSegment(): void {
    this.seq++;
    this.segmentFile = segmentName(this.seq);
    this.currentBytes = 0;
  }

  /** Delete the oldest complete segments until the journal is under maxBytes (counting their rows as dropped). */
  private dropOldest(): void {
    for (const s of journalSegments(this.dir)) {
      if (this.bytes <= this.maxBytes || s.seq >= this.seq) break;
      try {
        this.dropped += readSegment(s.path).rows.length;
        unlinkSync(s.path);
        this.bytes -= s.bytes;
      } catch {
        // taken in by an indexer meanwhile
      }
    }
    if (!this.warnedDrop) process.emitWarning(`opsdeck memory: the journal in ${this.dir} grew over ${this.maxBytes} bytes without being indexed; its oldest rows are deleted (warned once)`);
    this.warnedDrop = true;
  }



}

/** The journal's folder in a stack's `.opsdeck` folder. */
export function journalDir(opsdeckDir: string): string {
  return join(opsdeckDir, 'memory-journal');
}

const SEGMENT = /^(\d{12})-[0-9a-f]{8}\.jsonl$/;

/**
 * The random part only keeps two segments of one sequence number apart (an engine that died
 * before its first rename, and the next); Math.random is enough for that, and keeps node:crypto
 * out of an idle daemon (src/daemon/shims/lazy-crypto.ts).
 */
function segmentName(seq: number): string {
  const salt = Math.floor(Math.random() * 0x1_0000_0000)
    .toString(16)
    .padStart(8, '0');
  return `${String(seq).padStart(12, '0')}-${salt}.jsonl`;
}

/** The journal's segments in `dir`, oldest first (none when the folder does not exist). */
export function journalSegments(dir: string): JournalSegment[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: JournalSegment[] = [];
  for (const name of names) {
    const m = SEGMENT.exec(name);
    if (!m) continue;
    const path = join(dir, name);
    try {
      out.push({ seq: Number(m[1]), name, path, bytes: statSync(path).size });
    } catch {
      // deleted meanwhile
    }
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/** The rows of one segment; `bad` counts the lines that were not whole rows (a write cut short by a kill). */
export function readSegment(path: string): { rows: MemoryRow[]; bad: number } {
  const rows: MemoryRow[] = [];
  let bad = 0;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    const row = parseMemoryRow(line);
    if (row) rows.push(row);
    else bad++;
  }
  return { rows, bad };
}
