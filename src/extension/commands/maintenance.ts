/**
 * The maintenance commands (docs/maintenance.md), through the engine's ApiClient:
 * Run Maintenance… (a multi-select quick pick of the stack's tasks, the daily ones picked, then a
 * cancellable progress notification: cancelling stops the run before its next task) and Clean
 * Up… (the dry run's total per kind, then a question before anything is deleted). Both callable
 * with arguments and no UI: task ids (or words `opsdeck maintain` takes), and `'confirm'`.
 */
import * as vscode from 'vscode';
import { count, formatBytes, type MaintenanceProgress, type MaintenanceRunResult } from '../../core/contract';
import { resultNotice } from '../notify-policy';
import { withAbort } from './backups';
import type { CommandContext, CommandHandlers } from './context';
import { showFailure } from './failure';
import { withProgress, type ProgressSink } from './progress';

export function maintenanceCommands({ connection, output, reportsItself, showResult }: CommandContext): CommandHandlers {
  return {
    'opsdeck.runMaintenance': async (tasksArg) => {
      let tasks: string[] | undefined = Array.isArray(tasksArg) ? tasksArg.map(String) : typeof tasksArg === 'string' ? [tasksArg] : undefined;
      if (!tasks) {
        const all = await connection.requireClient().maintenanceTasks();
        const picked = await vscode.window.showQuickPick(
          all.map((t) => ({ label: t.id, description: `${t.kind}${t.requiresStop ? ' · stops the service' : ''}${t.daily ? '' : ' · on request'}`, detail: t.title, picked: t.daily })),
          { title: 'Opsdeck: Run Maintenance', placeHolder: 'Tasks to run (the daily set is selected)', canPickMany: true },
        );
        if (!picked?.length) return undefined;
        tasks = picked.map((p) => p.label);
      }
      const only = tasks;
      const result = await reportsItself(['maintenance-completed', 'maintenance-failed'], () =>
        withProgress('running maintenance…', (p, token) => withAbort(connection, token, (api) => api.runMaintenance({ tasks: only }, reporter(p), undefined)), true),
      );
      if (result === undefined) return undefined;
      report(result, output, showResult);
      return result;
    },

    'opsdeck.cleanUp': async (confirmArg) => {
      const api = connection.requireClient();
      const dry = await api.cleanup({ dryRun: true });
      if (dry.files === 0) {
        showResult(resultNotice('maintenance-completed', 'info', 'Clean up: nothing to remove.'));
        return dry;
      }
      if (confirmArg !== 'confirm') {
        const detail = dry.kinds.map((k) => `${k.kind}: ${count(k.files, 'item')}, ${formatBytes(k.bytes)}`).join('\n');
        const ok = await vscode.window.showWarningMessage(`Remove ${count(dry.files, 'item')} (${formatBytes(dry.bytes)}) the stack no longer needs?`, { modal: true, detail }, 'Clean Up');
        if (ok !== 'Clean Up') return undefined;
      }
      const done = await api.cleanup({});
      showResult(resultNotice('maintenance-completed', 'info', `Cleaned up ${count(done.files, 'item')}, ${formatBytes(done.bytes)} freed.`));
      return done;
    },
  };
}

/** Each task's step as the notification's message; the bar moves a task's share as each task ends. */
function reporter(p: ProgressSink): (r: MaintenanceProgress) => void {
  return (r) => p.report({ message: `${r.index}/${r.tasks} ${r.task}: ${r.step}`, ...(r.step === 'done' ? { increment: 100 / r.tasks } : {}) });
}

function report(result: MaintenanceRunResult, output: vscode.LogOutputChannel, showResult: CommandContext['showResult']): void {
  const failed = result.tasks.filter((t) => !t.ok);
  const reclaimed = result.tasks.reduce((n, t) => n + (t.reclaimedBytes ?? 0), 0);
  const ran = result.tasks.filter((t) => !t.skipped).length;
  for (const t of result.tasks) output.info(`maintenance ${t.id}: ${t.skipped ? `skipped, ${t.skipped}` : t.ok ? `ok in ${t.durationMs} ms` : `failed: ${t.error}`}`);
  if (failed.length) void showFailure(output, new Error(`maintenance: ${failed.map((t) => `${t.id} failed: ${t.error}`).join('; ')}`), undefined);
  else showResult(resultNotice('maintenance-completed', 'info', `Maintenance done: ${count(ran, 'task')}${reclaimed ? `, ${formatBytes(reclaimed)} reclaimed` : ''}.`));
}
