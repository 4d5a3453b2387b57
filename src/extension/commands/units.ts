/**
 * "Opsdeck: Start at Login / Boot…" (opsdeck.startAtBoot): pick the init system and the mode,
 * see what would be written and run (the files and a dry run, in an untitled document), confirm,
 * install. Called with `{ target, mode, confirm: true }` it asks nothing (tests, other commands).
 */
import * as vscode from 'vscode';
import type { BootMode, BootTarget, UnitSet, UnitsChange } from '../../core/contract';
import type { CommandContext, CommandHandlers } from './context';
import { pickValue } from './pick-value';
import { withProgress } from './progress';

interface StartAtBootArgs {
  target?: BootTarget;
  mode?: BootMode;
  /** Install without asking (after the preview is opened). */
  confirm?: boolean;
}

const platformTarget = (): BootTarget => (process.platform === 'darwin' ? 'launchd' : 'systemd');

/** The preview: each file, then what install would do. */
function preview(set: UnitSet, dry: UnitsChange): string {
  const files = set.files.map((f) => `==> ${dry.unitDir}/${f.name} (mode ${f.mode.toString(8)}) <==\n${f.text}`).join('\n');
  const plan = [...dry.written.map((f) => `write   ${f}`), ...dry.unchanged.map((f) => `same    ${f}`), ...dry.removed.map((f) => `remove  ${f}`), ...dry.commands.map((c) => `run     ${c.join(' ')}`)];
  return `${files}\n==> what install does <==\n${plan.join('\n')}\n${dry.notes.map((n) => `note: ${n}`).join('\n')}\n`;
}

export function unitsCommands(ctx: CommandContext): CommandHandlers {
  return {
    'opsdeck.startAtBoot': async (arg) => {
      const a = (arg && typeof arg === 'object' ? arg : {}) as StartAtBootArgs;
      const here = platformTarget();
      const target =
        a.target ??
        (await pickValue<BootTarget>(
          [
            { value: here, label: here === 'launchd' ? 'launchd (LaunchAgents)' : 'systemd (user units)', detail: 'this machine\'s init system: starts the stack when you log in' },
            { value: 'cron', label: 'cron (@reboot)', detail: 'for machines without systemd or launchd; cron restarts nothing itself' },
          ],
          'Start the stack at login with…',
        ));
      const mode =
        a.mode ??
        (await pickValue<BootMode>(
          [
            { value: 'engine', label: 'Engine', detail: 'one unit runs the Opsdeck engine: probes, restarts with backoff, backups and schedules as now' },
            { value: 'native', label: 'Native', detail: 'one unit per service: the init system owns the processes (what it cannot express is listed)' },
          ],
          'How should the stack run?',
        ));
      const flags = ['--target', target, '--mode', mode];
      const [set, dry] = await withProgress('preparing the units…', () => Promise.all([ctx.bootUnits.run<UnitSet>(['generate', ...flags]), ctx.bootUnits.run<UnitsChange>(['install', ...flags, '--dry-run'])]));
      const doc = await vscode.workspace.openTextDocument({ content: preview(set, dry), language: 'properties' });
      await vscode.window.showTextDocument(doc, { preview: true });
      if (!a.confirm) {
        const ok = await vscode.window.showInformationMessage(`Install ${set.files.length} file${set.files.length === 1 ? '' : 's'} into ${dry.unitDir}?`, { modal: true, detail: 'The preview shows every file and command.' }, 'Install');
        if (ok !== 'Install') throw new vscode.CancellationError();
      }
      const done = await withProgress('installing the units…', () => ctx.bootUnits.run<UnitsChange>(['install', ...flags]));
      await ctx.bootUnits.refresh();
      void vscode.window.showInformationMessage(`Opsdeck: the stack starts at login (${target}, ${mode} mode): ${done.written.length} written, ${done.unchanged.length} unchanged, ${done.removed.length} removed.`);
      return done;
    },
  };
}
