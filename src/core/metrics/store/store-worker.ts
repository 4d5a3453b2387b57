/**
 * The metrics store worker thread (long-term-metrics.ts starts it): the one place an engine's
 * process opens metrics.db. Every request first takes in the sealed journal files; `close`
 * closes the database and ends the thread, which gives its SQLite heap back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isOpsError } from '../../errors';
import { ingestRollups } from './ingest';
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
  | { op: 'services' };

export type StoreWorkerRequest = (StoreWorkerOp & { id: number; now: number }) | { id: number; op: 'close' };
export type StoreWorkerReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: { code?: string; message: string; hint?: string } };

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
    case 'services':
      return db.services();
  }
}

parentPort!.on('message', (m: StoreWorkerRequest) => {
  let reply: StoreWorkerReply;
  try {
    reply = { id: m.id, ok: true, result: handle(m) };
  } catch (err) {
    reply = isOpsError(err)
      ? { id: m.id, ok: false, error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) } }
      : { id: m.id, ok: false, error: { message: err instanceof Error ? err.message : String(err) } };
  }
  parentPort!.postMessage(reply);
  if (m.op === 'close') parentPort!.close();
});
