/**
 * Memory: the engine's searchable history of the stack. Every engine event and every captured
 * log line goes into `<stack>/.opsdeck/memory.db` (SQLite + FTS5, see schema.ts), and "search
 * memory" answers "when did storage last crash, and what did it log before?".
 *
 * Writes are buffered and go in one transaction every `flushMs` (1 s) or `batchRows` (500) rows,
 * whichever comes first, and on close, so a service printing thousands of lines a second costs
 * the engine a few transactions a second. Reads flush first, so they see everything recorded.
 * The file is written in WAL mode with `synchronous = NORMAL`: a commit appends to the WAL with
 * no fsync (a killed engine keeps every committed row; a power loss can lose the last ones, never
 * the file). Retention is by size: the newest `maxRows` rows are kept (and, with `maxBytes`, the
 * file is kept near that size). Only the stack's owning engine opens the store.
 *
 * attach() records what a bus carries except passing probes: of each service's readiness and
 * liveness probe it keeps the failures and the first pass after a failure (the recovery), so an
 * idle healthy stack writes nothing.
 *
 * memory.db is owner-only (0600, narrowed when an older version left it readable): it holds what
 * the services printed.
 */
import { closeSync, mkdirSync, rmdirSync } from 'node:fs';
import { dirname } from 'node:path';
import sqlite3, { type Database as Db, type JSValue, type SQLiteValue } from 'node-sqlite3-wasm';
import { systemClock, type Clock } from '../clock';
import { OpsError } from '../errors';
import type { EventBus } from '../events';
import { openPrivate, PRIVATE_DIR_MODE } from '../private-files';
import { redactDeep, redactSecrets } from '../redact';
import { FlushTimer } from './flush-timer';
import { recordFrom, toMemoryRow, type MemoryRow } from './memory-row';
import { QUERY_HINT, toFtsQuery } from './query';
import { NewerSchemaError, TOKENIZER, migrate } from './schema';

// node-sqlite3-wasm is CommonJS; its default import is the one form that works both under tsx
// (Node ESM) and in the esbuild CommonJS bundles.
const { Database } = sqlite3;

export interface MemoryStoreOptions {
  /** Rows kept; the oldest go first. Default 200 000. */
  maxRows?: number;
  /** Keep the file near this many bytes as well (approximate: FTS5 reclaims deleted words lazily). */
  maxBytes?: number;
  /** Drives the flush timer and "now" for the recency boost. Default: the system clock. */
  clock?: Clock;
  /** Flush buffered rows at most this long after the first of them was recorded. Default 1000 ms. */
  flushMs?: number;
  /** Flush as soon as this many rows are buffered. Default 500. */
  batchRows?: number;
  /**
   * Remove a `<path>.lock` folder left by a killed process before opening. node-sqlite3-wasm
   * locks a database with that folder, and the store keeps it for as long as it is open (one
   * writer). Pass true only when no other process can have the file open: the engine holding the
   * stack lock, or a command that found no engine running. Default false: a held lock is an error.
   */
  breakStaleLock?: boolean;
}

import type { MemoryFilter, MemoryHit, MemoryQuery, OneOrMany } from '../contract/memory';
import type { Disposable, EngineEvent } from '../contract/events';

export interface AroundOptions {
  /** Rows before the hit. Default 10, at most 500. */
  before?: number;
  /** Rows after the hit. Default 10, at most 500. */
  after?: number;
  /** Only rows of these services (the hit itself is always included). */
  service?: OneOrMany;
  /** Only rows of these kinds, e.g. 'log' (the hit itself is always included). */
  kind?: OneOrMany;
}

/** Marks around a matched word in MemoryHit.snippet, and what stands for cut text. */
export const SNIPPET_OPEN = '«';
export const SNIPPET_CLOSE = '»';
export const SNIPPET_ELLIPSIS = '…';
/** Words of context a snippet shows at most. */
export const SNIPPET_TOKENS = 24;

export const MEMORY_DEFAULTS = { maxRows: 200_000, flushMs: 1000, batchRows: 500, limit: 20, maxLimit: 500, around: 10 } as const;

/**
 * SQLite's page cache, KiB (`PRAGMA cache_size = -N`). The cache lives in the WebAssembly heap,
 * which never shrinks, so this bounds what searches leave behind in the engine's memory; the
 * indexes a search walks are small, and the OS caches the file anyway.
 */
export const MEMORY_CACHE_KIB = 2048;

/**
 * Ranking of a text search: FTS5's bm25 over the event text (a word found only in the service or
 * kind field makes the event match but adds nothing to its relevance), made positive, times a mild
 * boost for recent events: ×1.2 for the last hour, ×1.1 for the last day, ×1.05 for the last week
 * (by recording time). Among equally relevant hits the newer wins; a clearly more relevant old hit
 * still beats a fresh weak one. Ties: newest first.
 *
 * Relevance is computed over the newest RANK_WINDOW events that match: a word found in more
 * events than that is ranked among its most recent ones, which keeps every search within a few
 * milliseconds however common the word. Add words or a time range to reach further back.
 */
export const RANK_WEIGHTS = { text: 1, service: 0, kind: 0 } as const;
export const RECENCY_BOOSTS: readonly { withinMs: number; factor: number }[] = [
  { withinMs: 3_600_000, factor: 1.2 },
  { withinMs: 86_400_000, factor: 1.1 },
  { withinMs: 7 * 86_400_000, factor: 1.05 },
];
export const RANK_WINDOW = 2000;

/** Rows deleted per statement when retention trims. */
const DELETE_CHUNK = 5000;
/** Buffered rows kept while the database cannot be written; older ones are dropped. */
const MAX_PENDING = 50_000;

type Row = Record<string, SQLiteValue>;

/** What the filters of a query come to. */
interface Plan {
  /** Exact conditions on `events e`: service, kind and time. */
  where: string[];
  params: JSValue[];
  /** The service / kind filters as an FTS5 expression (a superset: words, not exact names). */
  fts: string[];
  /** The time range as a range of ids (a superset, see the schema), when it has one. */
  lo?: number;
  hi?: number;
  /** True when the time range holds no row at all. */
  empty: boolean;
}

export class MemoryStore {
  private readonly clock: Clock;
  private readonly maxRows: number;
  private readonly maxBytes: number | undefined;
  private readonly batchRows: number;
  private pending: MemoryRow[] = [];
  private readonly flusher: FlushTimer;
  private rows: number;
  private atMax: number;
  private closed = false;
  private dropped = 0;

  private constructor(
    /** The database file. */
    readonly path: string,
    private readonly db: Db,
    opts: MemoryStoreOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.maxRows = Math.max(1, Math.floor(opts.maxRows ?? MEMORY_DEFAULTS.maxRows));
    this.maxBytes = opts.maxBytes;
    this.flusher = new FlushTimer(this.clock, opts.flushMs ?? MEMORY_DEFAULTS.flushMs, () => this.flush(), () => this.closed);
    this.batchRows = Math.max(1, opts.batchRows ?? MEMORY_DEFAULTS.batchRows);
    this.rows = Number(db.get('SELECT count(*) AS n FROM events')?.n ?? 0);
    this.atMax = Number(db.get('SELECT max(at_max) AS m FROM events')?.m ?? Number.MIN_SAFE_INTEGER);
    // Snippets are cut from the few hits a search returns by running the same query over just
    // them in a scratch index (in memory, same tokenizer), instead of for every candidate.
    db.exec(`CREATE VIRTUAL TABLE temp.hits_fts USING fts5 (text, service, kind, tokenize = '${TOKENIZER}')`);
    if (this.rows > this.maxRows) this.transaction(() => this.deleteOldest(this.rows - this.maxRows));
  }

  /**
   * Open (creating it and its folder if needed) the memory database at `path`, normally
   * `<stack>/.opsdeck/memory.db`. Throws OpsError MEMORY_OPEN_FAILED when the file is not a
   * memory database, was written by a newer Opsdeck, or is open in another process.
   */
  static open(path: string, opts: MemoryStoreOptions = {}): MemoryStore {
    let db: Db | undefined;
    try {
      mkdirSync(dirname(path), { recursive: true, mode: PRIVATE_DIR_MODE });
      if (opts.breakStaleLock) removeStaleLock(path);
      // Created (or narrowed) 0600 before SQLite opens it; its -wal / -journal files follow it.
      closeSync(openPrivate(path, 'a'));
      db = new Database(path);
      // One process owns memory.db (the stack lock), so it keeps the file lock from the first
      // statement until close(): no lock / unlock and no cache revalidation per statement, and
      // any other process that opens the file meanwhile gets "locked" instead of racing it.
      db.exec(`PRAGMA locking_mode = EXCLUSIVE; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -${MEMORY_CACHE_KIB}; PRAGMA temp_store = MEMORY`);
      migrate(db);
      // WAL needs shared memory for its index unless the lock is exclusive, and node-sqlite3-wasm's
      // file layer has none: so WAL comes after the exclusive mode (its index then lives in the
      // heap), and after migrate(), which sets auto_vacuum on a new file before anything is
      // written to it. A commit then appends to the WAL without an fsync (synchronous = NORMAL);
      // checkpoints copy the pages back every 1000 pages or so, and on close.
      db.get('PRAGMA journal_mode = WAL');
      return new MemoryStore(path, db, opts);
    } catch (err) {
      try {
        db?.close();
      } catch {
        // already failing; the first error is the one to report
      }
      if (err instanceof NewerSchemaError) {
        throw new OpsError('MEMORY_OPEN_FAILED', `cannot open ${path}: ${err.message}`, 'Upgrade Opsdeck, or move the file aside to start an empty memory.');
      }
      if (/locked|busy/i.test((err as Error).message)) {
        throw new OpsError(
          'MEMORY_OPEN_FAILED',
          `cannot open memory database ${path}: another process has it open`,
          `Search through the engine that owns the stack (opsdeck memory search does). If no Opsdeck process runs, a killed one left the lock: remove the folder ${path}.lock.`,
        );
      }
      throw new OpsError(
        'MEMORY_OPEN_FAILED',
        `cannot open memory database ${path}: ${(err as Error).message}`,
        'Check that the folder is writable. If the file is damaged, move it aside: memory starts empty and the rest of the stack is unaffected.',
      );
    }
  }

  /**
   * Record the events the bus carries, until disposed: every event but a passing probe after a
   * passing one (see probeFilter).
   */
  attach(bus: EventBus): Disposable {
    return recordFrom(bus, (e) => this.record(e));
  }

  /** Buffer one event for the next flush. Never throws; ignored after close(). */
  record(e: EngineEvent): void {
    if (this.closed) return;
    this.add(toMemoryRow(e, this.clock.now()));
  }

  /**
   * Write rows taken from the journal (journal.ts) as one transaction, and remember the name of
   * their `segment` in the same transaction: after a crash, journalSegment() tells whether that
   * segment is in, so none is written twice or lost (ingest.ts). Rows buffered by record() are
   * written first.
   */
  ingest(rows: readonly MemoryRow[], segment: string): void {
    this.assertOpen();
    this.flush();
    const rowsBefore = this.rows;
    const atMaxBefore = this.atMax;
    try {
      this.transaction(() => {
        this.insertRows(rows);
        this.db.run("INSERT INTO meta (key, value) VALUES ('journal_segment', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [segment]);
      });
    } catch (err) {
      this.rows = rowsBefore;
      this.atMax = atMaxBefore;
      throw new OpsError(
        'MEMORY_WRITE_FAILED',
        `cannot write to memory database ${this.path}: ${(err as Error).message}`,
        'Check free disk space and that the file is still there; the journal keeps the events meanwhile.',
      );
    }
    if (this.maxBytes !== undefined) this.enforceBytes(this.maxBytes);
  }

  /** The name of the last journal segment written by ingest(), if any. */
  journalSegment(): string | undefined {
    this.assertOpen();
    const v = this.db.get("SELECT value FROM meta WHERE key = 'journal_segment'")?.value;
    return typeof v === 'string' ? v : undefined;
  }

  private add(row: MemoryRow): void {
    this.pending.push(row);
    // A full batch is written at once, unless writes are failing: then the retry timer decides.
    if (this.pending.length >= this.batchRows && !this.flusher.failing) this.flusher.flushQuietly();
    else this.flusher.schedule();
  }

  /**
   * Find events. With `text`, hits are ordered by relevance (see RANK_WEIGHTS), then newest
   * first; without, newest first. Throws OpsError MEMORY_QUERY_INVALID for a text with an
   * operator that has nothing to act on (`crash OR`).
   */
  search(q: MemoryQuery = {}): MemoryHit[] {
    this.assertOpen();
    const text = q.text?.trim();
    if (!text) return this.latest(q);
    const match = toFtsQuery(text); // throws before any work on a bad query
    this.flusher.flushQuietly();
    if (match === undefined) return []; // nothing searchable in it, e.g. only punctuation
    const limit = clamp(q.limit, MEMORY_DEFAULTS.limit, MEMORY_DEFAULTS.maxLimit);
    const plan = this.plan(q);
    if (plan.empty) return [];
    // Everything narrows inside the FTS5 index (filters as words, the time range as ids), with no
    // lookup in `events` per candidate; the few hits are then checked against the exact filters.
    const fts = [`(${match})`, ...plan.fts].join(' AND ');
    const ids: JSValue[] = [];
    const range = [plan.lo !== undefined ? (ids.push(plan.lo), ' AND rowid >= ?') : '', plan.hi !== undefined ? (ids.push(plan.hi), ' AND rowid <= ?') : ''].join('');
    const now = this.clock.now();
    const boost = RECENCY_BOOSTS.map(({ withinMs, factor }) => {
      const from = this.firstIdSince(now - withinMs);
      return `WHEN id >= ${from ?? Number.MAX_SAFE_INTEGER} THEN ${factor}`;
    });
    const w = RANK_WEIGHTS;
    const sql =
      `WITH c AS (SELECT rowid AS id, bm25(events_fts, ${w.text}, ${w.service}, ${w.kind}) AS b FROM events_fts ` +
      `WHERE events_fts MATCH ?${range} ORDER BY rowid DESC LIMIT ${RANK_WINDOW}) ` +
      `SELECT id, -b * (CASE ${boost.join(' ')} ELSE 1.0 END) AS rank FROM c ORDER BY rank DESC, id DESC LIMIT ?`;
    let hits: MemoryHit[] = [];
    for (let fetch = limit + 10; ; fetch = Math.min(RANK_WINDOW, fetch * 4)) {
      let top: Row[];
      try {
        top = this.db.all(sql, [fts, ...ids, fetch]) as Row[];
      } catch (err) {
        if (/fts5|syntax error|unterminated|no such column/i.test((err as Error).message)) {
          throw new OpsError('MEMORY_QUERY_INVALID', `cannot search for ${JSON.stringify(text)}: ${(err as Error).message}`, QUERY_HINT);
        }
        throw err;
      }
      const rows = this.rowsById(top.map((r) => Number(r.id)), plan);
      hits = top.flatMap((t) => {
        const r = rows.get(Number(t.id));
        return r ? [hit(r, undefined, Number(t.rank) || 0)] : []; // `|| 0`: no -0 for a match in service / kind only
      });
      if (hits.length >= limit || top.length < fetch || fetch >= RANK_WINDOW) break;
    }
    hits = hits.slice(0, limit);
    const snippets = this.snippets(hits, match);
    for (const h of hits) h.snippet = snippets.get(h.id) ?? h.text;
    return hits;
  }

  /** The newest events that pass the filters, newest first. */
  latest(filter: MemoryFilter = {}): MemoryHit[] {
    this.assertOpen();
    this.flusher.flushQuietly();
    const plan = this.plan(filter);
    if (plan.empty) return [];
    const limit = clamp(filter.limit, MEMORY_DEFAULTS.limit, MEMORY_DEFAULTS.maxLimit);
    const where = [...plan.where];
    const params = [...plan.params];
    if (plan.lo !== undefined) {
      where.push('e.id >= ?');
      params.push(plan.lo);
    }
    if (plan.hi !== undefined) {
      where.push('e.id <= ?');
      params.push(plan.hi);
    }
    const sql = `SELECT ${COLUMNS} FROM events e${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY e.id DESC LIMIT ?`;
    return (this.db.all(sql, [...params, limit]) as Row[]).map((r) => hit(r));
  }

  /**
   * The rows recorded just before and after row `id`, oldest first, the row itself included
   * (e.g. what storage logged before it crashed: `around(crash.id, { service: 'storage', kind: 'log', after: 0 })`).
   * Empty when `id` is not (or no longer) in memory.
   */
  around(id: number, opts: AroundOptions = {}): MemoryHit[] {
    this.assertOpen();
    this.flusher.flushQuietly();
    const anchor = this.db.get(`SELECT ${COLUMNS} FROM events e WHERE e.id = ?`, [id]) as Row | null;
    if (!anchor) return [];
    const plan = this.plan({ service: opts.service, kind: opts.kind });
    const cond = plan.where.map((c) => ` AND ${c}`).join('');
    const before = clamp(opts.before, MEMORY_DEFAULTS.around, MEMORY_DEFAULTS.maxLimit, 0);
    const after = clamp(opts.after, MEMORY_DEFAULTS.around, MEMORY_DEFAULTS.maxLimit, 0);
    const older = before ? (this.db.all(`SELECT ${COLUMNS} FROM events e WHERE e.id < ?${cond} ORDER BY e.id DESC LIMIT ?`, [id, ...plan.params, before]) as Row[]) : [];
    const newer = after ? (this.db.all(`SELECT ${COLUMNS} FROM events e WHERE e.id > ?${cond} ORDER BY e.id ASC LIMIT ?`, [id, ...plan.params, after]) as Row[]) : [];
    return [...older.reverse(), anchor, ...newer].map((r) => hit(r));
  }

  /**
   * Upkeep (`opsdeck maintain opsdeck:memory`): merge the full-text index's segments into one
   * (or, with `rebuild`, build it again from the rows), give the free pages back, let SQLite
   * refresh its statistics; the file's size before and after (the WAL checkpointed into it).
   */
  optimize(rebuild = false): { bytesBefore: number; bytesAfter: number; rows: number } {
    this.assertOpen();
    this.flush();
    const size = () => {
      this.db.get('PRAGMA wal_checkpoint(TRUNCATE)');
      return Number(this.db.get('PRAGMA page_count')?.page_count ?? 0) * Number(this.db.get('PRAGMA page_size')?.page_size ?? 0);
    };
    const bytesBefore = size();
    this.db.exec(`INSERT INTO events_fts (events_fts) VALUES ('${rebuild ? 'rebuild' : 'optimize'}')`);
    this.db.exec('PRAGMA incremental_vacuum');
    this.db.exec('PRAGMA optimize');
    return { bytesBefore, bytesAfter: size(), rows: this.rows };
  }

  /** Journal compaction of an in-process store: it took the journal in when opened and records directly, so there is none. */
  compactJournal(): { segments: number; rows: number } {
    return { segments: 0, rows: 0 };
  }

  /** Rows in memory (buffered rows are flushed first). */
  count(): number {
    this.assertOpen();
    this.flusher.flushQuietly();
    return this.rows;
  }

  /**
   * Write buffered rows now, in one transaction, and apply retention. Throws OpsError
   * MEMORY_WRITE_FAILED when the database cannot be written: the rows stay buffered and are
   * tried again a second later (and by every read). A no-op after close().
   */
  flush(): void {
    if (this.closed) return;
    this.flusher.cancel();
    if (!this.pending.length) return;
    const batch = this.pending;
    this.pending = [];
    const atMaxBefore = this.atMax;
    const rowsBefore = this.rows;
    try {
      this.transaction(() => {
        this.insertRows(batch);
      });
      this.flusher.failing = false;
    } catch (err) {
      this.flusher.failing = true;
      this.flusher.retryLater();
      this.atMax = atMaxBefore;
      this.rows = rowsBefore; // the transaction was rolled back
      this.pending = batch.concat(this.pending);
      if (this.pending.length > MAX_PENDING) {
        this.dropped += this.pending.length - MAX_PENDING;
        this.pending = this.pending.slice(-MAX_PENDING);
      }
      throw new OpsError(
        'MEMORY_WRITE_FAILED',
        `cannot write to memory database ${this.path}: ${(err as Error).message}`,
        'Check free disk space and that the file is still there; recorded events wait in memory meanwhile.',
      );
    }
    if (this.maxBytes !== undefined) this.enforceBytes(this.maxBytes);
  }

  /**
   * Flush, then close the database. Further records are ignored; reads throw MEMORY_CLOSED.
   * The file is left in rollback-journal mode (the WAL checkpointed and removed), so any SQLite,
   * node-sqlite3-wasm without an exclusive lock or an older Opsdeck included, can open it.
   */
  close(): void {
    if (this.closed) return;
    try {
      this.flush();
    } finally {
      this.closed = true;
      this.flusher.cancel();
      try {
        this.db.get('PRAGMA journal_mode = DELETE');
      } catch {
        // the WAL stays; the next open() recovers it
      }
      this.db.close();
    }
  }

  /** Rows recorded but not yet written (they are written within flushMs, or by any read). */
  get pendingRows(): number {
    return this.pending.length;
  }

  /** Rows that could not be kept while the database was failing (they never reached the file). */
  get droppedRows(): number {
    return this.dropped;
  }

  // ------------------------------------------------------------------ internals

  /**
   * The filters as SQL. A time range becomes, besides the exact test on `at`, a range of ids
   * (one index seek each, see the schema), so a search only walks the part of the index it needs.
   */
  private plan(f: MemoryFilter): Plan {
    const p: Plan = { where: [], params: [], fts: [], empty: false };
    for (const [col, value] of [['service', f.service], ['kind', f.kind]] as const) {
      const list = value === undefined ? [] : typeof value === 'string' ? [value] : [...value];
      if (!list.length) continue;
      p.where.push(list.length === 1 ? `e.${col} = ?` : `e.${col} IN (${list.map(() => '?').join(', ')})`);
      p.params.push(...list);
      if (list.every((v) => SEARCHABLE.test(v))) {
        const terms = list.map((v) => `"${v.replace(/"/g, '""')}"`);
        p.fts.push(`${col} : ${terms.length === 1 ? terms[0] : `(${terms.join(' OR ')})`}`);
      }
    }
    if (f.since !== undefined) {
      const lo = this.firstIdSince(f.since);
      if (lo === undefined) p.empty = true;
      else {
        p.lo = lo;
        p.where.push('e.at >= ?');
        p.params.push(f.since);
      }
    }
    if (f.until !== undefined) {
      // The rows up to the last with at_max <= until, and any late row after them.
      const inOrder = this.db.get('SELECT max(id) AS id FROM events WHERE at_max = (SELECT max(at_max) FROM events WHERE at_max <= ?)', [f.until]);
      const late = this.db.get('SELECT max(id) AS id FROM events INDEXED BY events_late WHERE at < at_max AND at <= ?', [f.until]);
      const hi = Math.max(Number(inOrder?.id ?? -1), Number(late?.id ?? -1));
      if (hi < 0) p.empty = true;
      else {
        p.hi = hi;
        p.where.push('e.at <= ?');
        p.params.push(f.until);
      }
    }
    return p;
  }

  /**
   * The first id recorded at or after `t` by at_max, which never decreases with id: every row
   * with at >= t has this id or a later one. Undefined when no row is that recent.
   */
  private firstIdSince(t: number): number | undefined {
    const r = this.db.get('SELECT min(id) AS id FROM events WHERE at_max = (SELECT min(at_max) FROM events WHERE at_max >= ?)', [t]);
    return r?.id === null || r?.id === undefined ? undefined : Number(r.id);
  }

  /** The rows with these ids that pass the plan's exact filters. */
  private rowsById(ids: number[], plan: Plan): Map<number, Row> {
    if (!ids.length) return new Map();
    const cond = plan.where.map((c) => ` AND ${c}`).join('');
    const rows = this.db.all(`SELECT ${COLUMNS} FROM events e WHERE e.id IN (${ids.map(() => '?').join(', ')})${cond}`, [...ids, ...plan.params]) as Row[];
    return new Map(rows.map((r) => [Number(r.id), r]));
  }

  /** Snippets for a few hits: the same FTS5 query over just them, in the scratch index. */
  private snippets(hits: MemoryHit[], match: string): Map<number, string> {
    if (!hits.length) return new Map();
    const snippet = `snippet(hits_fts, 0, '${SNIPPET_OPEN}', '${SNIPPET_CLOSE}', '${SNIPPET_ELLIPSIS}', ${SNIPPET_TOKENS})`;
    this.db.exec('BEGIN');
    try {
      const add = this.db.prepare('INSERT INTO temp.hits_fts (rowid, text, service, kind) VALUES (?, ?, ?, ?)');
      try {
        for (const h of hits) add.run([h.id, h.text, h.service, h.kind]);
      } finally {
        add.finalize();
      }
      const out = this.db.all(`SELECT rowid AS id, ${snippet} AS snippet FROM temp.hits_fts WHERE hits_fts MATCH ?`, [match]) as Row[];
      return new Map(out.map((r) => [Number(r.id), String(r.snippet)]));
    } finally {
      this.db.exec('DELETE FROM temp.hits_fts');
      this.db.exec('COMMIT');
    }
  }



  /** Insert rows (in a transaction) and apply retention by rows. */
  private insertRows(rows: readonly MemoryRow[]): void {
    // Prepared per batch: a statement whose step failed cannot be reset for the next try.
    const insert = this.db.prepare('INSERT INTO events (at, at_max, service, kind, text, data) VALUES (?, ?, ?, ?, ?, ?)');
    try {
      for (const r of rows) {
        this.atMax = Math.max(this.atMax, r.at);
        insert.run([r.at, this.atMax, r.service, r.kind, r.text, r.data]);
      }
    } finally {
      insert.finalize();
    }
    this.rows += rows.length;
    if (this.rows > this.maxRows) this.deleteOldest(this.rows - this.maxRows);
  }

  private deleteOldest(n: number): void {
    for (let left = n; left > 0; ) {
      const chunk = Math.min(left, DELETE_CHUNK);
      const r = this.db.run('DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY id LIMIT ?)', [chunk]);
      this.rows -= r.changes;
      left -= chunk;
      if (r.changes < chunk) break;
    }
  }

  /**
   * Keep the file near `maxBytes`: when the pages in use exceed it, delete the oldest rows so
   * that, at the current bytes per row, the rest fill 90% of it, and give free pages back.
   */
  private enforceBytes(maxBytes: number): void {
    const used = this.usedBytes();
    if (used <= maxBytes || this.rows === 0) return;
    const keep = Math.floor((this.rows * 0.9 * maxBytes) / used);
    this.transaction(() => this.deleteOldest(this.rows - keep));
    this.db.exec("INSERT INTO events_fts (events_fts, rank) VALUES ('merge', 500)");
    this.db.exec('PRAGMA incremental_vacuum');
  }

  private usedBytes(): number {
    const n = (pragma: string) => Number(Object.values(this.db.get(`PRAGMA ${pragma}`) ?? {})[0] ?? 0);
    return (n('page_count') - n('freelist_count')) * n('page_size');
  }

  private transaction(fn: () => void): void {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      fn();
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }


  private assertOpen(): void {
    if (this.closed) throw new OpsError('MEMORY_CLOSED', `memory database ${this.path} is closed`, 'Open it again with MemoryStore.open().');
  }
}

const COLUMNS = 'e.id, e.at, e.service, e.kind, e.text, e.data';
const SEARCHABLE = /[\p{L}\p{N}]/u;

/** A row as a hit; redacted again, for rows an older Opsdeck stored with fewer patterns. */
function hit(r: Row, snippet?: string, rank = 0): MemoryHit {
  const text = redactSecrets(String(r.text));
  const kind = String(r.kind);
  const fields = JSON.parse(String(r.data)) as Record<string, unknown>;
  if (kind === 'log' && fields.line === undefined) fields.line = text;
  return {
    id: Number(r.id),
    at: Number(r.at),
    service: String(r.service),
    kind,
    text,
    snippet: snippet === undefined ? text : redactSecrets(snippet),
    rank,
    data: redactDeep({ type: kind, service: String(r.service), at: Number(r.at), ...fields }),
  };
}

function clamp(n: number | undefined, dflt: number, max: number, min = 1): number {
  if (n === undefined || !Number.isFinite(n)) return dflt;
  return Math.min(max, Math.max(min, Math.floor(n)));
}

function removeStaleLock(path: string): void {
  try {
    rmdirSync(`${path}.lock`);
  } catch {
    // none (the usual case), or not a folder we should touch
  }
}
