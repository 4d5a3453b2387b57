/**
 * The doctor's commands: Run Diagnostics (the report in the Diagnostics view, config findings on
 * the lines of opsdeck.yaml; returns the DoctorReport) and Profile Service… (samples a running
 * service, takes a V8 CPU profile of a Node one and opens the `.cpuprofile`; returns the
 * ProfileReport). Both work through the connected engine, or in this process without one.
 */
import * as vscode from 'vscode';
import { parseDuration, type ProfileReport } from '../../core/contract';
import { loadConfig, profileService } from '../../core/host';
import { isRunning } from '../status-model';
import type { CommandContext, CommandHandlers } from './context';
import { withProgress } from './progress';
import { pickService, serviceName } from './service-args';

const DEFAULT_DURATION = '10s';

export function doctorCommands({ connection, doctor }: CommandContext): CommandHandlers {
  return {
    'opsdeck.runDiagnostics': async (arg) => {
      const services = typeof arg === 'string' ? [arg] : Array.isArray(arg) ? arg.map(String) : undefined;
      const report = await withProgress('running diagnostics…', () => doctor.run(services));
      const { ok, warn, fail } = report.summary;
      const message = `Diagnostics of ${report.stack}: ${fail} failure${fail === 1 ? '' : 's'}, ${warn} warning${warn === 1 ? '' : 's'}, ${ok} ok.`;
      const show = fail ? vscode.window.showErrorMessage : warn ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
      void show(message, 'Show Diagnostics').then((a) => a && vscode.commands.executeCommand('opsdeck.diagnostics.focus'));
      return report;
    },

    'opsdeck.profileService': async (arg, given?: unknown) => {
      const name = serviceName(arg) ?? (await pickService(connection, 'Service to profile (it must be running)', isRunning));
      if (!name) return undefined;
      const duration =
        typeof (given as { duration?: unknown } | undefined)?.duration === 'string'
          ? (given as { duration: string }).duration
          : await vscode.window.showInputBox({
              title: `Opsdeck: profile ${name}`,
              prompt: 'How long to sample (100ms to 10m)',
              value: DEFAULT_DURATION,
              validateInput: (v) => (parseDuration(v) === undefined ? 'a duration such as 10s or 1m' : undefined),
            });
      if (!duration) return undefined;
      const report: ProfileReport = await withProgress(`profiling ${name} for ${duration}…`, async () => {
        if (connection.client) return connection.operationClient().profileService(name, { duration });
        const dir = connection.stackDir;
        if (!dir) throw new Error('no opsdeck.yaml in this workspace');
        return profileService(await loadConfig(dir), name, { durationMs: parseDuration(duration)! });
      });
      if (report.cpuProfile) await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(report.cpuProfile.file));
      const busiest = report.processes[0];
      void vscode.window.showInformationMessage(
        `Profiled ${name}: CPU ${report.total.cpuAvgPercent}% of a core, RSS ${report.total.rssMaxMb} MB${busiest ? ` (busiest: pid ${busiest.pid})` : ''}${report.cpuProfile ? '' : ` · no CPU profile: ${report.cpuProfileSkipped}`}.`,
      );
      return report;
    },
  };
}
