/**
 * The memory worker thread (journaled-memory.ts starts it): the one place the owner's process
 * opens memory.db. Each request first takes the journal in up to the segment the owner sealed for
 * it, then answers (search, latest, around) from the index; `close` closes the database and ends
 * the thread, which gives back its SQLite heap and code.
 */
import { workerData } from 'node:worker_threads';
import { serveWorkerRequests, type WorkerReply } from '../worker-rpc';
import { ingestJournal } from './ingest';
import { MemoryStore, type AroundOptions } from './memory-store';
import type { MemoryFilter, MemoryQuery } from '../contract/memory';

export interface MemoryWorkerData {
  dbPath: string;
  journalDir: string;
  maxRows?: number;
  maxBytes?: number;
}

/** What the owner asks the worker (it adds an id, and the journal segment to take in up to). */
export type MemoryWorkerOp =
  | { op: 'search'; query: MemoryQuery }
  | { op: 'latest'; filter: MemoryFilter }
  | { op: 'around'; rowId: number; options: AroundOptions }
  | { op: 'ingest' }
  | { op: 'optimize'; rebuild: boolean };

export type MemoryWorkerRequest = (MemoryWorkerOp & { id: number; upTo: number }) | { id: number; op: 'close' };

export type MemoryWorkerReply = WorkerReply;

const data = workerData as MemoryWorkerData;
let store: MemoryStore | undefined;

function open(): MemoryStore {
  // The owner holds the stack lock: a SQLite lock left in memory.db by a killed owner is stale.
  return (store ??= MemoryStore.open(data.dbPath, {
    breakStaleLock: true,
    ...(data.maxRows !== undefined ? { maxRows: data.maxRows } : {}),
    ...(data.maxBytes !== undefined ? { maxBytes: data.maxBytes } : {}),
  }));
}

function handle(m: MemoryWorkerRequest): unknown {
  if (m.op === 'close') {
    store?.close();
    store = undefined;
    return null;
  }
  const s = open();
  const ingested = ingestJournal(s, data.journalDir, m.upTo);
  switch (m.op) {
    case 'ingest':
      return ingested;
    case 'search':
      return s.search(m.query);
    case 'latest':
      return s.latest(m.filter);
    case 'around':
      return s.around(m.rowId, m.options);
    case 'optimize':
      return s.optimize(m.rebuild);
  }
}

serveWorkerRequests(handle);
