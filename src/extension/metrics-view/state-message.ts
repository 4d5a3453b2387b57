/**
 * The extension's StackSnapshot as the Metrics view's `state` message: the header's numbers
 * (ready count, IPC score, profile) computed exactly as the status bar computes them, the status,
 * the latest metrics sample and the backups, all from that one snapshot. Without an engine only
 * the connection and why: nothing of a former engine. Pure, no vscode.
 */
import { currentIpc, type StackSnapshot } from '../state/stack-store';
import { readyCount } from '../status-model';
import type { BackupsInfo, Header, StackState } from '../../shared/protocol';
import { backupsInfoFromStatus, clampScore, metricsSample, statusSnapshot } from './shape';

export const NO_ENGINE = 'No engine is running.';
export const BACKUPS_UNAVAILABLE: BackupsInfo = { available: false, reason: 'This engine keeps no backups.' };

/** Whether the snapshot has an engine to show (connected, its status read). */
export const hasEngine = (s: StackSnapshot) => s.connection.mode !== 'none' && s.status !== undefined;

/** The backups part: unavailable with the reason, or per service; undefined until first read. */
export function backupsOfSnapshot(s: StackSnapshot): BackupsInfo | undefined {
  if (!hasEngine(s)) return undefined;
  if (!s.backupsAvailable) return BACKUPS_UNAVAILABLE;
  if (s.backupsError) return { available: false, reason: `Backups could not be read: ${s.backupsError}`.slice(0, 2000) };
  return s.backups ? backupsInfoFromStatus(s.backups, s.at) : undefined;
}

export function stateMessage(s: StackSnapshot): StackState {
  const base = { seq: s.seq, epoch: s.epoch, at: s.at };
  const problem = s.connection.problem?.slice(0, 2000);
  if (s.connection.mode === 'none' || !s.status) {
    const connection =
      s.connection.mode === 'none'
        ? ({ state: 'unavailable', mode: 'none', message: problem || NO_ENGINE } as const)
        : ({ state: 'connected', mode: s.connection.mode } as const);
    return { ...base, connection };
  }
  const status = s.status;
  const { ready, total } = readyCount(status);
  const ipc = currentIpc(s) ?? status.ipc;
  const header: Header = {
    ready,
    total,
    ipc: { score: clampScore(ipc.score), level: ipc.level, summary: ipc.summary.slice(0, 2000) },
    ...(status.profile ? { profile: status.profile } : {}),
  };
  const backups = backupsOfSnapshot(s);
  return {
    ...base,
    connection: { state: 'connected', mode: s.connection.mode },
    header,
    status: statusSnapshot(status, s.profiles ?? { active: status.profile, profiles: [] }, s.at),
    ...(s.metrics ? { sample: metricsSample(s.metrics) } : {}),
    ...(backups ? { backups } : {}),
  };
}
