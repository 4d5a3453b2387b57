/**
 * In-host: Run Diagnostics on the workspace's stack (a copy of examples/default): the report the
 * command returns, the Diagnostics view, and the config finding (messaging, a stateful service
 * without a backup) as a warning on its line of opsdeck.yaml, apart from validation's problems.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { DoctorReport } from '../../src/core/contract/doctor';
import { testApi, workspaceDir, type OpsdeckTestApi } from './helpers';

type WithDiagnostics = OpsdeckTestApi & { diagnostics(): { label: string; description: string; children: { label: string; description: string; status: string }[] }[] };

describe('Run Diagnostics', function () {
  this.timeout(60_000);

  it('returns the report, fills the Diagnostics view and puts config findings on their lines of opsdeck.yaml', async () => {
    const api = (await testApi()) as WithDiagnostics;
    const report = await vscode.commands.executeCommand<DoctorReport>('opsdeck.runDiagnostics');
    assert.equal(report.stack, 'default-stack');
    assert.deepEqual(report.services, ['storage', 'messaging', 'api']);

    const view = api.diagnostics();
    assert.deepEqual(view.map((c) => c.label), ['Environment', 'Config', 'Connections', 'Logs']);
    const config = view.find((c) => c.label === 'Config')!;
    const backup = config.children.find((c) => c.label === 'messaging: Stateful service has a backup');
    assert.ok(backup, JSON.stringify(config.children));
    assert.equal(backup.status, 'warn');
    assert.match(backup.description, /tier messaging holds data/);

    const file = path.join(workspaceDir(), 'opsdeck.yaml');
    const lines = readFileSync(file, 'utf8').split('\n');
    const doctorDiagnostics = vscode.languages.getDiagnostics(vscode.Uri.file(file)).filter((d) => d.source === 'opsdeck doctor');
    const finding = doctorDiagnostics.find((d) => d.code === 'config.backup');
    assert.ok(finding, JSON.stringify(doctorDiagnostics.map((d) => d.message)));
    assert.equal(finding.severity, vscode.DiagnosticSeverity.Warning);
    assert.match(lines[finding.range.start.line]!, /^\s+messaging:/);
    assert.match(finding.message, /^Stateful service has a backup: tier messaging holds data/);
  });

  it('a port taken by another process: an error on the probe\'s line, with the quick fix "Run: kill PID"', async () => {
    const file = path.join(workspaceDir(), 'opsdeck.yaml');
    const port = Number(/url: "?http:\/\/127\.0\.0\.1:(\d+)\/health/.exec(readFileSync(file, 'utf8'))![1]);
    const stopped = (await vscode.commands.executeCommand<DoctorReport>('opsdeck.runDiagnostics', 'storage')).checks.find((c) => c.id === 'config.ports.taken');
    assert.equal(stopped?.found, 'nothing else listens on it', 'storage is stopped and its port free before the test');
    const squatter = spawn(process.execPath, ['-e', `require('net').createServer().listen(${port}, '127.0.0.1', () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise((ok) => squatter.stdout!.once('data', ok));
      await vscode.commands.executeCommand('opsdeck.runDiagnostics', 'storage');
      const uri = vscode.Uri.file(file);
      const taken = vscode.languages.getDiagnostics(uri).find((d) => d.source === 'opsdeck doctor' && d.code === 'config.ports.taken');
      assert.ok(taken, 'a diagnostic for the taken port');
      assert.equal(taken.severity, vscode.DiagnosticSeverity.Error);
      assert.match(taken.message, new RegExp(`taken by pid ${squatter.pid} `));
      await vscode.workspace.openTextDocument(uri); // code actions are asked of an open document
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, taken.range, vscode.CodeActionKind.QuickFix.value);
      const fix = actions.find((a) => a.title === `Run: kill ${squatter.pid}`);
      assert.ok(fix, JSON.stringify(actions.map((a) => a.title)));
      assert.deepEqual(fix.command?.arguments, [`kill ${squatter.pid}`]);
    } finally {
      squatter.kill('SIGKILL');
    }
  });

  it('an unknown service is refused with the error, nothing shown for it', async () => {
    await assert.rejects(Promise.resolve(vscode.commands.executeCommand('opsdeck.runDiagnostics', 'nope')), /no service named "nope"/);
  });
});
