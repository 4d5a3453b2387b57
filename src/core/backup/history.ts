/**
 * What the engine remembers about backups beyond the repository itself, in
 * `<stack>/.opsdeck/backup-history.json`: every measured recovery (restores and drills, with the
 * RTO each was held against), the last verification (so the RPO check knows which snapshots are
 * damaged), the last run of each scheduled job, and the rotation counter of scheduled subset
 * verification. Written atomically (temp file, then rename); a damaged file is set aside and
 * started afresh, never an error.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { RecoveryRecord } from '../contract/backups';
import { PRIVATE_FILE_MODE, privateDir } from '../private-files';

export interface JobRecord {
  at: number;
  ok: boolean;
  detail: string;
}

export interface HistoryData {
  version: 1;
  recoveries: RecoveryRecord[];
  lastVerify?: { at: number; ok: boolean; readData: boolean; subset?: string; damagedSnapshots: string[] };
  jobs: Partial<Record<'backup' | 'retention' | 'verify', JobRecord>>;
  verifyRotation: number;
  /** The repository this stack backs up into (recorded when a backup created or used it): one that vanishes is not silently made again. */
  repository?: { dir: string; id: string; at: number };
}

const MAX_RECOVERIES = 500;

export class BackupHistory {
  constructor(readonly file: string) {}

  static forStack(stackDir: string): BackupHistory {
    return new BackupHistory(path.join(stackDir, '.opsdeck', 'backup-history.json'));
  }

  read(): HistoryData {
    try {
      const data = JSON.parse(readFileSync(this.file, 'utf8')) as HistoryData;
      if (data.version === 1 && Array.isArray(data.recoveries)) return { ...data, jobs: data.jobs ?? {}, verifyRotation: data.verifyRotation ?? 0 };
      throw new Error('unknown format');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        try {
          renameSync(this.file, `${this.file}.damaged-${Date.now()}`);
        } catch {
          // nothing to set aside
        }
      }
      return { version: 1, recoveries: [], jobs: {}, verifyRotation: 0 };
    }
  }

  update(fn: (data: HistoryData) => void): HistoryData {
    const data = this.read();
    fn(data);
    if (data.recoveries.length > MAX_RECOVERIES) data.recoveries = data.recoveries.slice(-MAX_RECOVERIES);
    privateDir(path.dirname(this.file));
    const tmp = `${this.file}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(data, null, 2) + '\n', { mode: PRIVATE_FILE_MODE });
    renameSync(tmp, this.file);
    return data;
  }

  addRecovery(r: RecoveryRecord): void {
    this.update((d) => d.recoveries.push(r));
  }
}
