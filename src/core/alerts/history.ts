/**
 * The incidents as `.opsdeck/alerts/history.jsonl` tells them: start, end, duration, severity,
 * acknowledgement, the highest level sent. What `opsdeck alerts history` and a report read; it
 * needs no engine. A line that does not parse (a crash mid-write) is skipped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AlertHistoryRecord, IncidentRecord } from '../contract/alerts';
import { alertsDir, HISTORY_FILE } from './alert-store';

/** The records of `.opsdeck/alerts/history.jsonl` (`dir` is the alerts folder), oldest first. */
export function readHistory(dir: string): AlertHistoryRecord[] {
  const file = join(dir, HISTORY_FILE);
  if (!existsSync(file)) return [];
  const out: AlertHistoryRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as AlertHistoryRecord);
    } catch {
      // a torn last line
    }
  }
  return out;
}

/** Incidents that were open at or after `since` (default: all), newest first. */
export function incidentsFrom(records: readonly AlertHistoryRecord[], query: { since?: number; until?: number } = {}): IncidentRecord[] {
  const byId = new Map<string, IncidentRecord>();
  for (const r of records) {
    if (r.kind === 'opened') {
      byId.set(r.incident, { id: r.incident, group: r.group, service: r.service, severity: r.severity, alerts: r.alerts, summary: r.summary, start: r.at, level: 0 });
      continue;
    }
    if (!('incident' in r)) continue;
    const inc = byId.get(r.incident);
    if (!inc) continue;
    if (r.kind === 'sent') inc.level = Math.max(inc.level, r.level);
    else if (r.kind === 'acked') inc.ack = { at: r.at, ...(r.by ? { by: r.by } : {}), ...(r.comment ? { comment: r.comment } : {}) };
    else if (r.kind === 'resolved') {
      inc.end = r.at;
      inc.durationMs = r.at - inc.start;
    }
  }
  return [...byId.values()]
    .filter((i) => (query.since === undefined || (i.end ?? Infinity) >= query.since) && (query.until === undefined || i.start <= query.until))
    .sort((a, b) => b.start - a.start);
}

/** The incidents of the stack in `stackDir`, read from its history file (no engine needed). */
export const incidentHistory = (stackDir: string, query: { since?: number; until?: number } = {}) => incidentsFrom(readHistory(alertsDir(stackDir)), query);
