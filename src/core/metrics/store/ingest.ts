/**
 * Taking the rollup journal into metrics.db (on the store worker, or in-process when no engine
 * runs), then applying retention; and opening the store in-process for a command.
 */
import { drainJournal, metricsDbPath, rollupJournalDir } from './rollup-journal';
import { RollupDb, type StoreStats } from './rollup-db';
import type { ServiceRow, StackRow } from './rows';
import type { MetricsMark, RollupRetention } from '../../contract/metrics-store';

export function ingestRollups(db: RollupDb, journalDir: string, opts: { withCurrent: boolean; now: number; retention: RollupRetention }): number {
  const n = drainJournal(journalDir, opts.withCurrent, (entries) => {
    const services: ServiceRow[] = [];
    const stack: StackRow[] = [];
    const marks: MetricsMark[] = [];
    for (const { t, ...e } of entries) {
      if (t === 's') services.push(e as ServiceRow);
      else if (t === 'k') stack.push(e as StackRow);
      else if (t === 'm') marks.push(e as MetricsMark);
    }
    db.add(services, stack, marks);
  });
  // Retention with every batch taken in (the worker's hourly ingest); a read with nothing new skips it.
  if (n) db.retain(opts.now, opts.retention);
  return n;
}

/** The store of a stack no engine owns: opened in this process with what the last engine journaled taken in. */
export function openRollupsInProcess(opsdeckDir: string, now: number, retention: RollupRetention): RollupDb {
  const db = RollupDb.open(metricsDbPath(opsdeckDir), { breakStaleLock: true });
  try {
    ingestRollups(db, rollupJournalDir(opsdeckDir), { withCurrent: true, now, retention });
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** What a compaction did: the store's figures before and after. */
export interface CompactResult {
  before: StoreStats;
  after: StoreStats;
}

/** Retention applied now (whatever was taken in), then VACUUM and PRAGMA optimize (`opsdeck maintain opsdeck:metrics`). */
export function compactRollups(db: RollupDb, now: number, retention: RollupRetention): CompactResult {
  const before = db.stats();
  db.retain(now, retention);
  db.compact();
  return { before, after: db.stats() };
}

/** Compact the store of a stack no engine owns (the caller holds the stack lock): open, compact, close. */
export function compactRollupsInProcess(opsdeckDir: string, now: number, retention: RollupRetention): CompactResult {
  const db = openRollupsInProcess(opsdeckDir, now, retention);
  try {
    return compactRollups(db, now, retention);
  } finally {
    db.close();
  }
}
