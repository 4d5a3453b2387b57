/**
 * In-host: Opsdeck: Show Report on the default stack's engine — a report made now, and the newest
 * one written, each shown in the report webview panel.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { COMMANDS, engineClient, SERVICES, testApi, waitFor } from './helpers';

const reportTab = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && /opsdeck\.report/.test(t.input.viewType));

describe('Show Report', function () {
  this.timeout(60_000);

  it('makes the report of the last day now, with every service that ran, and shows it in the report panel', async () => {
    await testApi();
    await waitFor('the engine', () => engineClient().status().then(() => true, () => false));
    const report = (await vscode.commands.executeCommand(COMMANDS.showReport, 'day')) as { period: string; usage: { services: { service: string }[] } };
    assert.equal(report.period, 'day');
    // Every service of the stack is in it; a service another suite added and removed within the day
    // (config.test's worker) may be too, since the report covers what ran, not what is configured now.
    const listed = report.usage.services.map((s) => s.service);
    for (const name of SERVICES) assert.ok(listed.includes(name), `${name} missing from the report: ${listed.join(', ')}`);
    assert.deepEqual(listed.filter((n) => !SERVICES.includes(n)).filter((n) => n !== 'worker'), [], 'a service that never ran in this stack');
    const tab = await waitFor('the report panel', reportTab);
    assert.match(tab.label, /Opsdeck report — last day/);
  });

  it("opens the newest report the engine wrote ('latest', as the scheduled report's notification does)", async () => {
    const saved = await engineClient().report({ period: 'week', save: true });
    const html = saved.files.find((f) => f.format === 'html')!;
    const path = await vscode.commands.executeCommand(COMMANDS.showReport, 'latest');
    assert.equal(path, html.path);
    // The one panel is reused: its tab takes the file's name.
    const tab = await waitFor(`the report panel titled ${html.name}`, () => (reportTab()?.label === html.name ? reportTab() : undefined));
    assert.equal(tab.label, html.name);
  });
});
