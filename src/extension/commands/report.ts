/**
 * Show Report: the operations report (docs/reports.md) in a webview panel. With a file path (or
 * `latest`, as the "Open" of a scheduled report's notification passes), that report; without, a
 * pick: generate the last day, week or month now, or one of the reports written in .opsdeck/reports/.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { ReportPeriod } from '../../core/contract';
import { showReportPanel } from '../report-view/report-panel';
import type { CommandContext, CommandHandlers } from './context';

type Pick = vscode.QuickPickItem & ({ period: ReportPeriod } | { path: string });

export function reportCommands({ connection }: CommandContext): CommandHandlers {
  const openFile = (path: string) => showReportPanel(basename(path), readFileSync(path, 'utf8'));
  const generate = async (period: ReportPeriod) => {
    const answer = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Opsdeck: making the report of the last ${period}…` }, () =>
      connection.requireClient().report({ period, format: 'html' }),
    );
    showReportPanel(`Opsdeck report — last ${period}`, answer.text ?? '');
    return answer.report;
  };
  return {
    'opsdeck.showReport': async (arg) => {
      const { reports } = await connection.requireClient().listReports();
      const html = reports.filter((r) => r.format === 'html');
      if (arg === 'latest') {
        if (!html[0]) return generate('week');
        openFile(html[0].path);
        return html[0].path;
      }
      if (typeof arg === 'string' && arg in { day: 1, week: 1, month: 1 }) return generate(arg as ReportPeriod);
      if (typeof arg === 'string') {
        openFile(arg);
        return arg;
      }
      const items: Pick[] = [
        ...(['week', 'day', 'month'] as const).map((period) => ({ label: `$(graph) Last ${period}`, description: 'make it now', period })),
        ...html.map((r) => ({ label: `$(file) ${r.name}`, description: new Date(r.at).toLocaleString(), path: r.path })),
      ];
      const picked = await vscode.window.showQuickPick(items, { title: 'Opsdeck: Show Report', placeHolder: 'Make a report now, or open one the engine wrote' });
      if (!picked) return undefined;
      if ('period' in picked) return generate(picked.period);
      openFile(picked.path);
      return picked.path;
    },
  };
}
