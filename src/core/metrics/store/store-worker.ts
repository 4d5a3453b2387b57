/**
 * The metrics store worker thread (long-term-metrics.ts starts it): the one place an engine's
 * process opens metrics.db. Every request first takes in the sealed journal files; `close`
 * closes the database and ends the thread, which gives its SQLite heap back.
 */
import { workerData } from 'node:worker_threads';
import { serveWorkerRequests } from '../../worker-rpc';
import { compactRollups, ingestRollups } from './ingest';
import { RollupDb, type RowsQuery } from './rollup-db';
import type { RollupRetention } from '../../contract/metrics-store';

export interface StoreWorkerData {
  dbPath: string;
  journalDir: string;
  retention: RollupRetention;
}

export type StoreWorkerOp =
  | { op: 'ingest' }
  | { op: 'rows'; query: RowsQuery }
  | { op: 'marks'; since: number; until: number; lastBefore: boolean }
  | { op: 'stats' }
  | { op: 'compact' }
  | { op: 'services' };

export type StoreWorkerRequest = (StoreWorkerOp & { id: number; now: number }) | { id: number; op: 'close' };

const data = workerData as StoreWorkerData;
let db: RollupDb | undefined;

function handle(m: StoreWorkerRequest): unknown {
  if (m.op === 'close') {
    db?.close();
    db = undefined;
    return null;
  }
  // The owner holds the stack lock: a lock folder left by a killed owner is stale.
  db ??= RollupDb.open(data.dbPath, { breakStaleLock: true });
  ingestRollups(db, data.journalDir, { withCurrent: false, now: m.now, retention: data.retention });
  switch (m.op) {
    case 'ingest':
      return null;
    case 'rows':
      return db.rows(m.query);
    case 'marks':
      return db.marks(m.since, m.until, { lastBefore: m.lastBefore });
    case 'stats':
      return db.stats();
    case 'compact':
      return compactRollups(db, m.now, data.retention);
    case 'services':
      return db.services();
  }
}

serveWorkerRequests(handle);
