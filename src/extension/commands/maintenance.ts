/**
 * The maintenance commands (docs/maintenance.md), through the engine's ApiClient:
 * Run Maintenance… (the daily set as the schedule runs it, or a multi-select quick pick of the
 * stack's tasks with the daily set picked; then a cancellable progress notification: cancelling
 * stops the run before its next task) and Clean Up… (the dry run's total per kind, then a
 * question before anything is deleted). Both callable with arguments and no UI: task ids (or
 * words `opsdeck maintain` takes) or `{ preset: 'daily' }`, and `'confirm'`.
 */
import * as vscode from 'vscode';
import type { ApiClient } from '../../core/client';
import { count, formatBytes, MAINTENANCE_PRESETS, type MaintenanceProgress, type MaintenanceRequest, type MaintenanceRunResult } from '../../core/contract';
import { resultNotice } from '../notify-policy';
import { withAbort } from './backups';
import type { CommandContext, CommandHandlers } from './context';
import { showFailure } from './failure';
import { withProgress, type ProgressSink } from './progress';

export function maintenanceCommands({ connection, output, reportsItself, showResult }: CommandContext): CommandHandlers {
  return {
    'opsdeck.runMaintenance': async (arg) => {
      const req = requestOf(arg) ?? (await pickRequest(connection.requireClient()));
      if (!req) return undefined;
      const result = await reportsItself(['maintenance-completed', 'maintenance-failed'], () =>
        withProgress('running maintenance…', (p, token) => withAbort(connection, token, (api) => api.runMaintenance(req, reporter(p), undefined)), true),
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

/** The command's argument as a request: task words (an array or one string), or `{ preset: 'daily' }`. */
function requestOf(arg: unknown): MaintenanceRequest | undefined {
  if (Array.isArray(arg)) return { tasks: arg.map(String) };
  if (typeof arg === 'string') return { tasks: [arg] };
  const preset = MAINTENANCE_PRESETS.find((p) => p === (arg as { preset?: unknown } | undefined)?.preset);
  return preset ? { preset } : undefined;
}

/** The daily set (as the schedule runs it), or the tasks picked from all of them (the daily set selected). */
async function pickRequest(api: ApiClient): Promise<MaintenanceRequest | undefined> {
  const [all, daily] = await Promise.all([api.maintenanceTasks(), api.maintenanceTasks({ preset: 'daily' }).catch(() => [])]);
  const dailyIds = new Set(daily.map((t) => t.id));
  if (dailyIds.size) {
    const choice = await vscode.window.showQuickPick(
      [
        { label: '$(calendar) The daily set', description: count(dailyIds.size, 'task'), detail: `As the schedule runs it: ${[...dailyIds].join(', ')}`, preset: true },
        { label: '$(checklist) Choose tasks…', description: `${count(all.length, 'task')} in all`, preset: false },
      ],
      { title: 'Opsdeck: Run Maintenance', placeHolder: 'What to run' },
    );
    if (!choice) return undefined;
    if (choice.preset) return { preset: 'daily' };
  }
  const picked = await vscode.window.showQuickPick(
    all.map((t) => ({ label: t.id, description: `${t.kind}${t.requiresStop ? ' · stops the service' : ''}${t.daily ? '' : ' · on request'}`, detail: t.title, picked: dailyIds.has(t.id) })),
    { title: 'Opsdeck: Run Maintenance', placeHolder: 'Tasks to run (the daily set is selected)', canPickMany: true },
  );
  return picked?.length ? { tasks: picked.map((p) => p.label) } : undefined;
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
