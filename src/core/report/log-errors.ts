/**
 * The report's "top log error signatures": the services' logs over the period read as the doctor
 * reads them (src/core/doctor/log-analysis.ts: error lines by signature, with counts and the
 * crashes they preceded), merged and the most frequent kept.
 */
import { analyseLines } from '../doctor/log-analysis';
import { tailLog } from '../logs/read-log';
import type { ReportLogError } from '../contract/reports';

/** Lines read per service at most (the newest), as the doctor does. */
const MAX_LINES = 200_000;
const TOP = 10;

export function topLogErrors(logDir: string, services: readonly string[], since: number, until: number, keep: number): ReportLogError[] {
  return services
    .flatMap((service) => {
      const lines = tailLog(logDir, service, { since, lines: MAX_LINES, keep }).filter((l) => l.at < until);
      return analyseLines(service, lines).signatures.map(({ signature, count, firstSeen, lastSeen, example, crashesPreceded }) => ({ service, signature, count, firstSeen, lastSeen, example, crashesPreceded }));
    })
    .sort((a, b) => b.count - a.count || b.lastSeen - a.lastSeen)
    .slice(0, TOP);
}
