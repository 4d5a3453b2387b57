/**
 * Taking the rollup journal into metrics.db (on the store worker, or in-process when no engine
 * runs), then applying retention; and opening the store in-process for a command.
 */
import { drainJournal, metricsDbPath, rollupJournalDir } from './rollup-journal';
import { RollupDb } from './rollup-db';
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
