/**
 * In-host: the extension activates in a real extension host on a workspace holding the default
 * stack (examples/default, copied with free ports by the runner), with the manifest, test API,
 * commands, views and status bar items of docs/extension-contract.md.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { COMMANDS, engineClient, extension, statusItem, testApi, waitFor, waitForStatusText, workspaceDir } from './helpers';

describe('activation on the default stack', function () {
  this.timeout(60_000);

  it('opens the default stack (opsdeck.yaml in the workspace folder)', async () => {
    const found = await vscode.workspace.findFiles('opsdeck.yaml');
    assert.equal(found.length, 1, `opsdeck.yaml in ${workspaceDir()}`);
  });

  it('the manifest activates on workspaceContains:**/opsdeck.yaml and on its own commands, never *', () => {
    const events: string[] = extension().packageJSON.activationEvents ?? [];
    assert.ok(events.includes('workspaceContains:**/opsdeck.yaml'), JSON.stringify(events));
    assert.ok(!events.includes('*'), 'activation on * is not allowed');
  });

  it('is active (by workspaceContains) and activate() returns the test API', async () => {
    const ext = extension();
    // workspaceContains activates it at startup; give it the time activation takes.
    await waitFor('the extension to be active', () => ext.isActive, 30_000).catch(() => undefined);
    const api = await testApi();
    assert.ok(ext.isActive);
    assert.ok(Array.isArray(api.statusBar()));
    assert.ok(Array.isArray(api.services()));
    assert.ok(Array.isArray(api.notifications()));
  });

  it('embeds the engine (no other engine owns the stack) and serves the control API on its socket', async () => {
    const api = await testApi();
    assert.equal(api.mode(), 'embedded');
    const client = await waitFor('the engine socket', () => engineClient(), 30_000);
    const status = await client.status();
    assert.equal(status.stack, 'default-stack');
    assert.deepEqual(status.services.map((s) => s.name).sort(), ['api', 'messaging', 'storage']);
    const viaApi = await api.status();
    assert.ok(viaApi, 'test API status() is undefined although the engine runs');
    assert.equal(viaApi.stack, 'default-stack');
    assert.equal(viaApi.engine.pid, status.engine.pid, 'the test API and the socket see the same engine');
  });

  it('registers every command of the contract', async () => {
    const all = new Set(await vscode.commands.getCommands(true));
    const backups = new Set<string>([COMMANDS.backupNow, COMMANDS.restoreBackup, COMMANDS.verifyBackups]);
    const missing = Object.values(COMMANDS).filter((c) => !backups.has(c) && !all.has(c));
    assert.deepEqual(missing, [], 'commands not registered');
    // Backup commands exist in the manifest even when hidden (opsdeck.backupsAvailable).
    const declared = new Set<string>((extension().packageJSON.contributes?.commands ?? []).map((c: { command: string }) => c.command));
    assert.deepEqual([...backups].filter((c) => !declared.has(c)), [], 'backup commands missing from contributes.commands');
  });

  it('contributes the activity bar container, the Services tree and the Metrics webview view', () => {
    const contributes = extension().packageJSON.contributes ?? {};
    const containers: { id: string }[] = contributes.viewsContainers?.activitybar ?? [];
    assert.ok(containers.some((c) => c.id === 'opsdeck'), `no container "opsdeck" in contributes.viewsContainers.activitybar: ${JSON.stringify(containers)}`);
    const views: { id: string; type?: string }[] = contributes.views?.opsdeck ?? [];
    assert.ok(views.some((v) => v.id === 'opsdeck.services'), `no view opsdeck.services in contributes.views.opsdeck: ${JSON.stringify(views)}`);
    assert.ok(views.some((v) => v.id === 'opsdeck.metrics' && v.type === 'webview'), `no webview view opsdeck.metrics in contributes.views.opsdeck: ${JSON.stringify(views)}`);
  });

  it('shows the status, IPC and profile items in the status bar', async () => {
    const api = await testApi();
    await waitForStatusText(api, 'opsdeck.profile', /^\$\(layers\) dev$/);
    await waitFor('the status and IPC items', () => statusItem(api, 'opsdeck.status') && statusItem(api, 'opsdeck.ipc'), 15_000);
  });
});
