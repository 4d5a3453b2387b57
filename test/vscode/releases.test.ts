/**
 * In-host: "Opsdeck: Update Stack…" and "Opsdeck: Roll Back…" called with their arguments (no
 * pickers) go through the connected engine's API; on the workspace's stack, which runs no
 * release, the engine refuses them (RELEASE_NOT_FOUND, said to the caller) and nothing changes;
 * Show Release Report with nothing run says so. (The releases themselves run for real in
 * test/integration/releases-postgres.test.ts.)
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { engineClient, testApi, workspaceDir } from './helpers';

describe('Update Stack… and Roll Back…', function () {
  this.timeout(60_000);

  before(async () => {
    await testApi();
  });

  it('are commands of the extension', async () => {
    const all = await vscode.commands.getCommands(true);
    for (const id of ['opsdeck.updateStack', 'opsdeck.rollBack', 'opsdeck.showReleaseReport']) assert.ok(all.includes(id), id);
  });

  it('with a version (no picker), on a stack that runs no release: the engine refuses with what to do, nothing changes', async () => {
    const before = (await engineClient().status()).services.map((s) => `${s.name} ${s.state} ${s.pid ?? '-'}`);
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('opsdeck.updateStack', '2')),
      (e: unknown) => e instanceof Error && /nothing is deployed yet/.test(e.message),
    );
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('opsdeck.rollBack', '1')),
      (e: unknown) => e instanceof Error && /nothing is deployed yet/.test(e.message),
    );
    assert.equal(existsSync(join(workspaceDir(), 'releases')), false);
    assert.equal(existsSync(join(workspaceDir(), 'current')), false);
    const after = (await engineClient().status()).services.map((s) => `${s.name} ${s.state} ${s.pid ?? '-'}`);
    assert.deepEqual(after, before);
  });

  it('the API lists no release for it', async () => {
    const list = await engineClient().releases();
    assert.equal(list.current, undefined);
    assert.deepEqual(list.releases, []);
  });

  it('Show Release Report before any run opens nothing and returns nothing', async () => {
    const docs = vscode.workspace.textDocuments.length;
    assert.equal(await vscode.commands.executeCommand('opsdeck.showReleaseReport'), undefined);
    assert.equal(vscode.workspace.textDocuments.length, docs);
  });
});
