/**
 * `opsdeck metrics` and `opsdeck report` when no engine owns the stack: open its long-term store
 * in this process (taking in what the last engine journaled), answer, close. SQLite is loaded on
 * demand, only here.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../clock';
import { assertServiceName, loadConfig } from '../config/load';
import { OpsError } from '../errors';
import { EventBus } from '../events';
import { metricsDbPath, rollupJournalDir } from '../metrics/store/rollup-journal';
import type { RollupReader } from '../metrics/store/rollup-reader';
import type { RollupAnswer, RollupQuery } from '../contract/metrics-store';
import type { ReportAnswer, ReportCommand, ReportList } from '../contract/reports';

async function withStore<T>(dir: string, fn: (reader: RollupReader, stack: Awaited<ReturnType<typeof loadConfig>>) => Promise<T>): Promise<T> {
  const stack = await loadConfig(dir);
  const opsdeckDir = join(stack.dir, '.opsdeck');
  if (!existsSync(metricsDbPath(opsdeckDir)) && !existsSync(rollupJournalDir(opsdeckDir))) {
    throw new OpsError('NOT_AVAILABLE', 'this stack has no long-term metrics yet', 'they are recorded while the engine runs: `opsdeck up`');
  }
  const { openRollupsInProcess } = await import('../metrics/store/ingest');
  const { inProcessReader } = await import('../metrics/store/rollup-reader');
  const db = openRollupsInProcess(opsdeckDir, Date.now(), stack.config.metrics.retention);
  try {
    return await fn(inProcessReader(db), stack);
  } finally {
    db.close();
  }
}

export function metricsRollupsWithoutEngine(dir: string, query: RollupQuery): Promise<RollupAnswer> {
  return withStore(dir, async (reader, stack) => {
    query.services?.forEach((s) => assertServiceName(stack, s));
    const { queryRollups } = await import('../metrics/store/rollup-query');
    return queryRollups(reader, query, Date.now(), stack.config.metrics.retention);
  });
}

export function reportWithoutEngine(dir: string, command: ReportCommand): Promise<ReportAnswer> {
  return withStore(dir, async (reader, stack) => {
    const { ReportService } = await import('../report/report-service');
    return new ReportService({ stack: () => stack, reader: () => reader, clock: systemClock, bus: new EventBus() }).answer(command);
  });
}

export async function listReportsWithoutEngine(dir: string): Promise<ReportList> {
  const stack = await loadConfig(dir);
  const { listReports } = await import('../report/report-files');
  return { reports: listReports(stack.dir) };
}
