/**
 * metrics.db, the long-term metrics store: 1-minute and 1-hour rollups per service and of the
 * stack, and the marks, in SQLite (node-sqlite3-wasm). Opened only on the store worker
 * (store-worker.ts) in an engine's process, or in-process by a command when no engine runs.
 *
 * Minutes come from the recorder (rollup-accumulator.ts, through the journal); each hour is
 * recomputed from its minutes whenever one of them comes in, so hours are exact sums and their
 * latency percentiles come from the merged minute histograms. retain() drops minutes older than
 * the minute retention, hours and marks older than the hour retention, and marks past
 * MAX_MARKS; freed pages go back to the file system (incremental vacuum). Size bound:
 * docs/metrics.md.
 */
import { closeSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import sqlite3, { type Database as Db, type QueryResult } from 'node-sqlite3-wasm';
import { OpsError } from '../../errors';
import { openPrivate, PRIVATE_DIR_MODE } from '../../private-files';
import { decodeHistogram, encodeHistogram, histogramPercentile } from './latency-histogram';
import { emptyServiceRow, emptyStackRow, mergeServiceRows, mergeStackRows, type ServiceRow, type StackRow } from './rows';
import { RESOLUTION_MS, type MetricsMark, type RollupResolution, type RollupRetention } from '../../contract/metrics-store';

const { Database } = sqlite3;

/** Marks kept at most, whatever their age (the newest are kept). */
export const MAX_MARKS = 200_000;
const SCHEMA_VERSION = 1;
const RES_CODE: Record<RollupResolution, number> = { minute: 0, hour: 1 };

/**
 * The numbers of a service row, in the order they are packed into its `v` blob (64-bit floats,
 * little-endian, NaN for none): one column read instead of eighteen, which is what makes reading a week of
 * hours fast through node-sqlite3-wasm. `hist` is its own blob (encodeHistogram).
 */
const SERVICE_COLUMNS = [
  'samples', 'cpuSum', 'cpuN', 'cpuMax', 'rssSum', 'rssN', 'rssMax', 'probes', 'probeFailures', 'p50', 'p95', 'latMax',
  'activeSec', 'upSec', 'readySec', 'restarts', 'checksOk', 'checksFailed',
] as const satisfies readonly (keyof ServiceRow)[];

const SCHEMA = `
CREATE TABLE IF NOT EXISTS service_rollups (
  res INTEGER NOT NULL, service TEXT NOT NULL, at INTEGER NOT NULL,
  v BLOB NOT NULL,      -- SERVICE_COLUMNS as 64-bit floats, little-endian
  hist BLOB NOT NULL,   -- the latency histogram (latency-histogram.ts)
  PRIMARY KEY (res, at, service)   -- a time range is contiguous in the file: a week of hours is a few pages
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS service_rollups_service ON service_rollups (res, service, at);
CREATE TABLE IF NOT EXISTS stack_rollups (
  res INTEGER NOT NULL, at INTEGER NOT NULL, samples REAL, ipcSum REAL, ipcMax REAL, bins TEXT NOT NULL,
  PRIMARY KEY (res, at)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS marks (at INTEGER NOT NULL, kind TEXT NOT NULL, service TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS marks_at ON marks (at);
`;

export interface RowsQuery {
  resolution: RollupResolution;
  since: number;
  until: number;
  services?: string[];
}

export interface StoreStats {
  bytes: number;
  minuteRows: number;
  hourRows: number;
  marks: number;
}

type Row = QueryResult;

export class RollupDb {
  private constructor(
    readonly path: string,
    private readonly db: Db,
  ) {}

  /**
   * Open (creating it 0600) the store at `path`. `breakStaleLock`: remove the `<path>.lock`
   * folder a killed process left (only when no other process can have the file open).
   */
  static open(path: string, opts: { breakStaleLock?: boolean } = {}): RollupDb {
    let db: Db | undefined;
    try {
      mkdirSync(dirname(path), { recursive: true, mode: PRIVATE_DIR_MODE });
      if (opts.breakStaleLock) {
        try {
          rmdirSync(`${path}.lock`);
        } catch {
          // no stale lock
        }
      }
      closeSync(openPrivate(path, 'a'));
      db = new Database(path);
      db.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -2048; PRAGMA temp_store = MEMORY');
      const version = Number(Object.values(db.get('PRAGMA user_version') ?? {})[0] ?? 0);
      if (version > SCHEMA_VERSION) throw new Error(`written by a newer Opsdeck (schema ${version})`);
      if (version === 0) db.exec(`PRAGMA auto_vacuum = INCREMENTAL; ${SCHEMA} PRAGMA user_version = ${SCHEMA_VERSION};`);
      return new RollupDb(path, db);
    } catch (err) {
      try {
        db?.close();
      } catch {
        // the first error is the one to report
      }
      throw new OpsError('METRICS_STORE_FAILED', `cannot open the metrics store ${path}: ${(err as Error).message}`, 'If no Opsdeck process runs, remove the folder ' + `${path}.lock; or move the file aside to start an empty store.`);
    }
  }

  /** Add minutes (merged into a minute already stored), their hours recomputed, and marks, in one transaction. */
  add(services: ServiceRow[], stack: StackRow[], marks: MetricsMark[]): void {
    if (!services.length && !stack.length && !marks.length) return;
    this.tx(() => {
      const hours = new Set<string>();
      for (const row of services) {
        const old = this.serviceRow(0, row.service, row.at);
        if (old) {
          mergeServiceRows(old, row);
          // Two halves of one minute (an engine restarted in it): percentiles from their histograms.
          old.p50 = histogramPercentile(old.hist, 50) ?? null;
          old.p95 = histogramPercentile(old.hist, 95) ?? null;
        }
        this.putService(0, old ?? row);
        hours.add(`${row.service}\n${hourOf(row.at)}`);
      }
      for (const key of hours) {
        const [service, at] = key.split('\n') as [string, string];
        this.rollHour(service, Number(at));
      }
      const stackHours = new Set<number>();
      for (const row of stack) {
        const old = this.stackRow(0, row.at);
        this.putStack(0, old ? mergeStack(old, row) : row);
        stackHours.add(hourOf(row.at));
      }
      for (const at of stackHours) this.rollStackHour(at);
      for (const m of marks) this.db.run('INSERT INTO marks (at, kind, service, data) VALUES (?, ?, ?, ?)', [m.at, m.kind, m.service, JSON.stringify(m.data)]);
    });
  }

  /** Drop what is past its retention (relative to `now`) and marks past MAX_MARKS; give freed pages back. */
  retain(now: number, retention: RollupRetention): void {
    this.tx(() => {
      this.db.run('DELETE FROM service_rollups WHERE res = 0 AND at < ?', [now - retention.minute]);
      this.db.run('DELETE FROM stack_rollups WHERE res = 0 AND at < ?', [now - retention.minute]);
      this.db.run('DELETE FROM service_rollups WHERE res = 1 AND at < ?', [now - retention.hour]);
      this.db.run('DELETE FROM stack_rollups WHERE res = 1 AND at < ?', [now - retention.hour]);
      this.db.run('DELETE FROM marks WHERE at < ?', [now - retention.hour]);
      this.db.run(`DELETE FROM marks WHERE rowid IN (SELECT rowid FROM marks ORDER BY at DESC LIMIT -1 OFFSET ${MAX_MARKS})`);
    });
    this.db.exec('PRAGMA incremental_vacuum');
  }

  /** The rows of a range, oldest first. */
  rows(q: RowsQuery): { services: ServiceRow[]; stack: StackRow[] } {
    const res = RES_CODE[q.resolution];
    const names = q.services?.length ? ` AND service IN (${q.services.map(() => '?').join(', ')})` : '';
    const services = this.db
      .all(`SELECT at, service, v, hist FROM service_rollups WHERE res = ? AND at >= ? AND at < ?${names} ORDER BY at, service`, [res, floorTo(q.since, q.resolution), q.until, ...(q.services ?? [])])
      .map(toServiceRow);
    const stack = this.db.all('SELECT at, samples, ipcSum, ipcMax, bins FROM stack_rollups WHERE res = ? AND at >= ? AND at < ? ORDER BY at', [res, floorTo(q.since, q.resolution), q.until]).map(toStackRow);
    return { services, stack };
  }

  /** Marks in [since, until), oldest first; with `lastBefore`, also the newest mark of each kind and service before `since`. */
  marks(since: number, until: number, opts: { lastBefore?: boolean } = {}): MetricsMark[] {
    const before = opts.lastBefore
      ? this.db.all('SELECT m.* FROM marks m JOIN (SELECT kind, service, MAX(at) AS at FROM marks WHERE at < ? GROUP BY kind, service) l ON m.kind = l.kind AND m.service = l.service AND m.at = l.at ORDER BY m.at', [since])
      : [];
    const inRange = this.db.all('SELECT * FROM marks WHERE at >= ? AND at < ? ORDER BY at, rowid', [since, until]);
    return [...before, ...inRange].map((r) => ({ at: Number(r.at), kind: r.kind as MetricsMark['kind'], service: String(r.service), data: JSON.parse(String(r.data)) as MetricsMark['data'] }));
  }

  /** Services with rows in the store. */
  services(): string[] {
    return this.db.all('SELECT DISTINCT service FROM service_rollups WHERE res = 1 ORDER BY service').map((r) => String(r.service));
  }

  stats(): StoreStats {
    const count = (sql: string) => Number(Object.values(this.db.get(sql) ?? {})[0] ?? 0);
    let bytes = 0;
    try {
      bytes = statSync(this.path).size;
    } catch {
      // not written yet
    }
    return {
      bytes,
      minuteRows: count('SELECT COUNT(*) FROM service_rollups WHERE res = 0'),
      hourRows: count('SELECT COUNT(*) FROM service_rollups WHERE res = 1'),
      marks: count('SELECT COUNT(*) FROM marks'),
    };
  }

  /** Rewrite the file without free pages or fragmentation (VACUUM), then refresh the planner's statistics (PRAGMA optimize). */
  compact(): void {
    this.db.exec('VACUUM');
    this.db.exec('PRAGMA optimize');
  }

  close(): void {
    this.db.close();
  }

  // ------------------------------------------------------------------ internals

  private tx(fn: () => void): void {
    this.db.exec('BEGIN');
    try {
      fn();
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  private rollHour(service: string, at: number): void {
    const hour = emptyServiceRow(at, service);
    for (const r of this.db.all('SELECT at, service, v, hist FROM service_rollups WHERE res = 0 AND service = ? AND at >= ? AND at < ?', [service, at, at + RESOLUTION_MS.hour])) {
      mergeServiceRows(hour, toServiceRow(r));
    }
    hour.p50 = histogramPercentile(hour.hist, 50) ?? null;
    hour.p95 = histogramPercentile(hour.hist, 95) ?? null;
    this.putService(1, hour);
  }

  private rollStackHour(at: number): void {
    const hour = emptyStackRow(at);
    for (const r of this.db.all('SELECT * FROM stack_rollups WHERE res = 0 AND at >= ? AND at < ?', [at, at + RESOLUTION_MS.hour])) mergeStack(hour, toStackRow(r));
    this.putStack(1, hour);
  }

  private serviceRow(res: number, service: string, at: number): ServiceRow | undefined {
    const r = this.db.get('SELECT * FROM service_rollups WHERE res = ? AND service = ? AND at = ?', [res, service, at]);
    return r ? toServiceRow(r) : undefined;
  }

  private stackRow(res: number, at: number): StackRow | undefined {
    const r = this.db.get('SELECT * FROM stack_rollups WHERE res = ? AND at = ?', [res, at]);
    return r ? toStackRow(r) : undefined;
  }

  private putService(res: number, row: ServiceRow): void {
    const v = new Uint8Array(SERVICE_COLUMNS.length * 8);
    const view = new DataView(v.buffer);
    SERVICE_COLUMNS.forEach((c, i) => view.setFloat64(i * 8, row[c] ?? NaN, true));
    this.db.run('INSERT OR REPLACE INTO service_rollups (res, service, at, v, hist) VALUES (?, ?, ?, ?, ?)', [res, row.service, row.at, v, encodeHistogram(row.hist)]);
  }

  private putStack(res: number, row: StackRow): void {
    this.db.run('INSERT OR REPLACE INTO stack_rollups (res, at, samples, ipcSum, ipcMax, bins) VALUES (?, ?, ?, ?, ?, ?)', [res, row.at, row.samples, row.ipcSum, row.ipcMax, JSON.stringify(row.bins)]);
  }
}

const hourOf = (at: number) => Math.floor(at / RESOLUTION_MS.hour) * RESOLUTION_MS.hour;
const floorTo = (at: number, res: RollupResolution) => Math.floor(at / RESOLUTION_MS[res]) * RESOLUTION_MS[res];

function mergeStack(a: StackRow, b: StackRow): StackRow {
  mergeStackRows(a, b);
  return a;
}

function toServiceRow(r: Row): ServiceRow {
  const row = emptyServiceRow(Number(r.at), String(r.service));
  const out = row as unknown as Record<string, number | null>;
  const blob = r.v as Uint8Array;
  const v = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  SERVICE_COLUMNS.forEach((c, i) => {
    const x = v.getFloat64(i * 8, true);
    out[c] = Number.isNaN(x) ? (out[c] === null ? null : 0) : x;
  });
  row.hist = decodeHistogram(r.hist as Uint8Array);
  return row;
}

function toStackRow(r: Row): StackRow {
  return { at: Number(r.at), samples: Number(r.samples), ipcSum: Number(r.ipcSum), ipcMax: r.ipcMax === null ? null : Number(r.ipcMax), bins: JSON.parse(String(r.bins)) as number[] };
}
