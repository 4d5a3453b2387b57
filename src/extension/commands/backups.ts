/**
 * The backup commands (shown while the engine serves backups: `opsdeck.backupsAvailable`):
 * Backup Now, Restore from Backup and Verify Backups, through the engine's ApiClient. Each shows a
 * cancellable progress notification that reports its phase as it goes (a backup's and a restore's
 * files and bytes, a verify's packs);
 * cancelling stops waiting for the engine's answer. The result follows as one notification: the
 * engine's own event about the same job is not notified again (Notifications.reportsItself).
 */
import * as vscode from 'vscode';
import { type BackupProgress, count, formatBytes, progressCounts, type RestoreProgress, shortId, type VerifyProgress } from '../../core/contract';
import type { ApiClient } from '../../core/client';
import type { EngineConnection } from '../engine-connection';
import { resultNotice, type NotificationKind } from '../notify-policy';
import type { CommandContext, CommandHandlers } from './context';
import { showFailure } from './failure';
import { withProgress, type ProgressSink } from './progress';
import { servicesOf } from './service-args';
import { unreadableSummary } from '../../shared/unreadable-snapshots';

/** The notifications a backup job's engine events raise, which the commands report themselves. */
const JOB_KINDS: NotificationKind[] = ['backup-completed', 'backup-failed'];

export function backupCommands({ connection, output, reportsItself, showResult }: CommandContext): CommandHandlers {
  return {
    'opsdeck.backupNow': async () => {
      requireBackups(connection);
      const result = await reportsItself(JOB_KINDS, () => withProgress('backing up…', (p, token) => withAbort(connection, token, (api) => api.backup({}, reporter(p))), true));
      if (result === undefined) return undefined;
      const files = `${count(result.files, 'file')} (${result.filesNew} new, ${result.filesChanged} changed)`;
      showResult(resultNotice('backup-completed', 'info', `Backup done: snapshot ${shortId(result.snapshot)}, ${files}, ${formatBytes(result.bytesAdded)} added.`, ['open-dashboard']));
      return result;
    },

    'opsdeck.restoreBackup': async (snapshotArg, scopeArg) => {
      requireBackups(connection);
      const programmatic = typeof snapshotArg === 'string';
      let snapshot = programmatic ? snapshotArg : undefined;
      if (!snapshot) {
        const { snapshots: list, unreadable } = await connection.requireClient().snapshotListing();
        // a manifest that cannot be read is not offered, and not passed over in silence either
        const damaged = unreadable.length ? unreadableSummary(unreadable.map((u) => u.id)) : '';
        if (list.length === 0) {
          void (damaged ? vscode.window.showWarningMessage(`Opsdeck: no backup can be restored: ${damaged}.`) : vscode.window.showInformationMessage('Opsdeck: there are no backups to restore yet.'));
          return undefined;
        }
        const picked = await vscode.window.showQuickPick(
          list.map((s) => ({ label: s.id.slice(0, 12), description: s.time, detail: [s.services.join(', '), s.tags.join(', ')].filter(Boolean).join(' · '), id: s.id })),
          { title: 'Opsdeck: Restore from Backup', placeHolder: damaged ? `Snapshot to restore (${damaged})` : 'Snapshot to restore' },
        );
        snapshot = picked?.id;
      }
      if (!snapshot) return undefined;
      let scope: string[];
      if (Array.isArray(scopeArg)) scope = scopeArg.map(String);
      else if (typeof scopeArg === 'string') scope = scopeArg === 'all' ? [] : [scopeArg];
      else {
        const picked = await vscode.window.showQuickPick(
          [{ label: '$(layers) Whole stack', value: [] as string[] }, ...servicesOf(connection).map((s) => ({ label: s.name, description: s.tier, value: [s.name] }))],
          { title: 'Opsdeck: Restore from Backup', placeHolder: 'What to restore' },
        );
        if (!picked) return undefined;
        scope = picked.value;
      }
      if (!programmatic) {
        const what = scope.length ? scope.join(', ') : 'the whole stack';
        const ok = await vscode.window.showWarningMessage(
          `Restore ${what} from snapshot ${snapshot.slice(0, 12)} in place?`,
          { modal: true, detail: 'The affected services are stopped, a safety snapshot is taken first, the data is restored and verified, and the services are started again. A failure rolls back to the safety snapshot.' },
          'Restore',
        );
        if (ok !== 'Restore') return undefined;
      }
      const id = snapshot;
      const only: string[] = scope;
      const result = await reportsItself(JOB_KINDS, () =>
        withProgress(
          `restoring ${id.slice(0, 12)}…`,
          (p, token) => withAbort(connection, token, (api) => api.restore(id, { inPlace: true, ...(only.length ? { services: only } : {}) }, reporter(p))),
          true,
        ),
      );
      await connection.refresh();
      if (result !== undefined) showResult(resultNotice('backup-completed', 'info', `Restored ${only.length ? only.join(', ') : 'the stack'} from ${id.slice(0, 12)}.`));
      return result;
    },

    'opsdeck.verifyBackups': async () => {
      requireBackups(connection);
      const result = await reportsItself(JOB_KINDS, () => withProgress('verifying backups…', (p, token) => withAbort(connection, token, (api) => api.verify({}, reporter(p))), true));
      if (result === undefined) return undefined;
      const { problems } = result;
      const ok = result.ok && problems.length === 0;
      const counts = [count(result.snapshots, 'snapshot'), count(result.packs, 'pack'), count(result.blobs, 'blob')].join(', ');
      const text = ok ? `no problems in ${counts}` : `${problems.length ? count(problems.length, 'problem') : 'some problems'}${problems[0] ? `: ${problems[0].message}` : ''}`;
      if (ok) showResult(resultNotice('backup-completed', 'info', `Backups verified: ${text}.`));
      else void showFailure(output, new Error(`backup verification: ${text}`), undefined);
      return result;
    },
  };
}

/** Backup commands fail clearly on an engine that does not serve backups (they are hidden then). */
function requireBackups(connection: EngineConnection): void {
  if (connection.backupsAvailable) return;
  throw Object.assign(new Error('backups are not available from this engine yet'), { hint: 'they come with a newer Opsdeck engine' });
}

/**
 * A job's progress as the notification's message (phase; files, or a verify's packs) and bar (bytes
 * done; packs while a verify checks the structure, which has no bytes to count).
 */
function reporter(p: ProgressSink): (r: BackupProgress | RestoreProgress | VerifyProgress) => void {
  let last = 0;
  return (r) => {
    const { done, total, unit, value, of } = progressCounts(r);
    const fraction = of > 0 ? Math.round(Math.min(1, value / of) * 100) : undefined;
    const increment = fraction === undefined ? undefined : Math.max(0, fraction - last);
    if (fraction !== undefined) last = Math.max(last, fraction);
    p.report({ message: `${r.phase} · ${done}/${total} ${unit}`, ...(increment ? { increment } : {}) });
  };
}

const CANCELLED = Symbol('cancelled');

/** Run `work` on a client whose requests the progress's cancellation aborts; undefined when cancelled. */
export async function withAbort<T>(connection: EngineConnection, token: vscode.CancellationToken, work: (api: ApiClient) => Promise<T>): Promise<T | undefined> {
  const ac = new AbortController();
  const sub = token.onCancellationRequested(() => ac.abort(CANCELLED));
  try {
    return await work(connection.operationClient(ac.signal));
  } catch (e) {
    if (ac.signal.aborted) return undefined;
    throw e;
  } finally {
    sub.dispose();
  }
}
