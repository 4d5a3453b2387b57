/**
 * "Opsdeck: Update Stack…" (opsdeck.updateStack) and "Opsdeck: Roll Back…" (opsdeck.rollBack):
 * pick a version (and for a rollback what the data does), see the plan (a dry run, in an untitled
 * document), confirm, run it in the engine; a notification says how it ended (success, failure,
 * automatic rollback) with Show Report (opsdeck.showReleaseReport). Called with `{ to, confirm:
 * true }` (and `data`), or with the version alone (a string: a failure is then also thrown to the
 * caller), they ask nothing (tests, other commands).
 */
import * as vscode from 'vscode';
import { formatDuration, ROLLBACK_DATA, type ReleaseRunResult, type RollbackData } from '../../core/contract';
import { resultNotice } from '../notify-policy';
import type { CommandContext, CommandHandlers } from './context';
import { withProgress } from './progress';

interface UpdateArgs {
  to?: string;
  allowDowngrade?: boolean;
  /** Run without asking (after the plan is opened). */
  confirm?: boolean;
}

interface RollbackArgs {
  to?: string;
  data?: RollbackData;
  confirm?: boolean;
}

const DATA_DETAIL: Record<RollbackData, string> = {
  down: 'run the down-steps of the newer release (a safety snapshot first): what was written since the update stays',
  restore: 'restore the snapshot taken before the update: what was written since then is lost',
  keep: 'leave the data as it is (only when the older release reads the newer schema)',
};

/** The report of a run, as Show Report opens it (Markdown). */
export function releaseReport(r: ReleaseRunResult): string {
  const lines = [`# Opsdeck ${r.op} ${r.from ? `${r.from} → ` : ''}${r.version}${r.dryRun ? ' (plan, nothing changed)' : ''}`, ''];
  if (r.recovered) lines.push(`Recovered first: the ${r.recovered.op} to ${r.recovered.version} interrupted at ${r.recovered.stage}: ${(r.recovered.actions ?? []).join('; ')}`, '');
  if (!r.dryRun) lines.push(r.ok ? `**Done** in ${formatDuration(r.durationMs)}.` : `**Failed** at ${r.failure!.stage}: ${r.failure!.error}`, '');
  if (r.failure) lines.push(r.failure.rolledBackTo ? `Rolled back automatically to ${r.failure.rolledBackTo}:` : 'What was done:', ...r.failure.actions.map((a) => `- ${a}`), '');
  lines.push('## Plan', ...r.plan.map((p, i) => `${i + 1}. ${p}`));
  if (r.timings.length) lines.push('', '## Timings', ...r.timings.map((t) => `- ${t.stage}: ${formatDuration(t.ms)}`));
  if (r.entry) lines.push('', `Ledger entry ${r.entry.id} by ${r.entry.by} at ${r.entry.startedAt}${r.entry.snapshot ? `, snapshot ${r.entry.snapshot.slice(0, 8)}` : ''}.`);
  return lines.join('\n') + '\n';
}

async function pick<T>(items: (vscode.QuickPickItem & { value: T })[], title: string, placeHolder: string): Promise<T> {
  const chosen = await vscode.window.showQuickPick(items, { title, placeHolder, ignoreFocusOut: true });
  if (!chosen) throw new vscode.CancellationError();
  return chosen.value;
}

async function openReport(r: ReleaseRunResult): Promise<void> {
  const doc = await vscode.workspace.openTextDocument({ content: releaseReport(r), language: 'markdown' });
  await vscode.window.showTextDocument(doc, { preview: true });
}

export function releaseCommands({ connection, showResult, refreshRelease }: CommandContext): CommandHandlers {
  let last: ReleaseRunResult | undefined;

  /** Plan (dry run) opened, confirmed, run with progress, notified, the views refreshed. */
  const run = async (what: string, confirm: boolean, go: (dryRun: boolean, api: ReturnType<typeof connection.operationClient>) => Promise<ReleaseRunResult>): Promise<ReleaseRunResult> => {
    const plan = await withProgress(`checking ${what}…`, () => go(true, connection.requireClient()));
    await openReport(plan);
    if (!confirm) {
      const ok = await vscode.window.showWarningMessage(`${plan.plan[0]}?`, { modal: true, detail: 'The plan is open in the editor. A failure rolls back automatically.' }, 'Go');
      if (ok !== 'Go') throw new vscode.CancellationError();
    }
    const result = await withProgress(`${what}…`, () => go(false, connection.operationClient()));
    last = result;
    refreshRelease();
    const took = formatDuration(result.durationMs);
    if (result.ok) showResult(resultNotice('release-completed', 'info', `Opsdeck: ${result.op} ${result.from ? `${result.from} → ` : ''}${result.version} done in ${took}.`, ['show-release-report']));
    else if (result.failure?.rolledBackTo) showResult(resultNotice('release-rolled-back', 'warning', `Opsdeck: ${result.op} to ${result.version} failed at ${result.failure.stage} and was rolled back to ${result.failure.rolledBackTo}.`, ['show-release-report']));
    else showResult(resultNotice('release-failed', 'error', `Opsdeck: ${result.op} to ${result.version} failed at ${result.failure?.stage}: ${result.failure?.error}`, ['show-release-report']));
    return result;
  };

  return {
    'opsdeck.updateStack': async (arg) => {
      const a = (typeof arg === 'string' ? { to: arg, confirm: true } : arg && typeof arg === 'object' ? arg : {}) as UpdateArgs;
      const list = await connection.requireClient().releases();
      const to =
        a.to ??
        (await pick(
          list.releases
            .filter((r) => !r.current)
            .reverse()
            .map((r) => ({ value: r.version, label: r.version, description: r.installed ? 'installed' : 'from the source' })),
          'Opsdeck: Update Stack',
          `Running ${list.current ?? 'nothing'}: update to…`,
        ));
      return run(`update to ${to}`, !!a.confirm, (dryRun, api) => api.update({ to, dryRun, ...(a.allowDowngrade ? { allowDowngrade: true } : {}) }));
    },

    'opsdeck.rollBack': async (arg) => {
      const a = (typeof arg === 'string' ? { to: arg, data: 'down', confirm: true } : arg && typeof arg === 'object' ? arg : {}) as RollbackArgs;
      const list = await connection.requireClient().releases();
      const to =
        a.to ??
        (await pick(
          list.releases.filter((r) => r.installed && !r.current).reverse().map((r) => ({ value: r.version, label: r.version })),
          'Opsdeck: Roll Back',
          `Running ${list.current ?? 'nothing'}: roll back to…`,
        ));
      const data = a.data ?? (await pick(ROLLBACK_DATA.map((d) => ({ value: d, label: d, detail: DATA_DETAIL[d] })), 'Opsdeck: Roll Back', 'The data…'));
      return run(`roll back to ${to}`, !!a.confirm, (dryRun, api) => api.rollback({ to, data, dryRun }));
    },

    'opsdeck.showReleaseReport': async () => {
      if (!last) {
        void vscode.window.showInformationMessage('Opsdeck: no update or rollback ran in this window yet (`opsdeck releases` lists the ledger).');
        return undefined;
      }
      await openReport(last);
      return last;
    },
  };
}
