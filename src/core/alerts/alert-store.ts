/**
 * The alerts' persisted state under `.opsdeck/alerts/` (owner-only files):
 *
 *   state.json     what an engine restart must not lose: the firing alerts (with since), the
 *                  open incidents (level sent, when, acknowledgement), the silences, and the
 *                  engine that wrote it (pid, start, whether it stopped cleanly). Rewritten
 *                  whole (write to a temporary file, then rename) on every change.
 *   history.jsonl  append-only, one AlertHistoryRecord a line: incidents opened, sent (level,
 *                  channels), acknowledged, resolved; silences made and removed. What a report
 *                  reads (history.ts).
 *
 * A level is written as sent before its channels are called: an engine that dies while sending
 * may lose that page, but never sends it twice (at most once).
 */
import { appendFileSync, closeSync, existsSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Alert, AlertHistoryRecord, Incident, Silence } from '../contract/alerts';
import { openPrivate, privateDir } from '../private-files';

export interface AlertState {
  version: 1;
  engine?: { pid: number; startedAt: number; stoppedAt?: number };
  alerts: Alert[];
  incidents: Incident[];
  silences: Silence[];
}

export const emptyState = (): AlertState => ({ version: 1, alerts: [], incidents: [], silences: [] });

export const alertsDir = (stackDir: string) => join(stackDir, '.opsdeck', 'alerts');
export const STATE_FILE = 'state.json';
export const HISTORY_FILE = 'history.jsonl';

export class AlertStore {
  constructor(readonly dir: string) {}

  /** The state a previous engine left, or an empty one (a damaged file is set aside as state.json.bad). */
  load(): AlertState {
    const file = join(this.dir, STATE_FILE);
    if (!existsSync(file)) return emptyState();
    try {
      const s = JSON.parse(readFileSync(file, 'utf8')) as AlertState;
      if (s.version !== 1 || !Array.isArray(s.incidents) || !Array.isArray(s.silences) || !Array.isArray(s.alerts)) throw new Error('not an alert state');
      return s;
    } catch {
      renameSync(file, `${file}.bad`);
      return emptyState();
    }
  }

  save(state: AlertState): void {
    privateDir(this.dir);
    const file = join(this.dir, STATE_FILE);
    const tmp = `${file}.${process.pid}.tmp`;
    const fd = openPrivate(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify(state));
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  }

  append(record: AlertHistoryRecord): void {
    privateDir(this.dir);
    const fd = openPrivate(join(this.dir, HISTORY_FILE), 'a');
    closeSync(fd);
    appendFileSync(join(this.dir, HISTORY_FILE), JSON.stringify(record) + '\n');
  }
}
