/**
 * What reads the long-term store: the engine's store worker (LongTermMetrics) or metrics.db
 * opened in-process by a command when no engine runs (inProcessReader). The query and the report
 * are written against it.
 */
import type { RollupDb, RowsQuery, StoreStats } from './rollup-db';
import type { ServiceRow, StackRow } from './rows';
import type { MetricsMark } from '../../contract/metrics-store';

export interface RollupReader {
  rows(query: RowsQuery): Promise<{ services: ServiceRow[]; stack: StackRow[] }>;
  marks(since: number, until: number, opts?: { lastBefore?: boolean }): Promise<MetricsMark[]>;
  stats(): Promise<StoreStats>;
}

export function inProcessReader(db: RollupDb): RollupReader {
  return {
    rows: async (q) => db.rows(q),
    marks: async (since, until, opts) => db.marks(since, until, opts),
    stats: async () => db.stats(),
  };
}
