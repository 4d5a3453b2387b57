/**
 * In-host: Opsdeck: Copy API Token on the default stack's engine — the token the engine keeps is on
 * the clipboard, and the command says where the API listens (the default stack sets no api.listen).
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { COMMANDS, engineClient, testApi, waitFor } from './helpers';

describe('Copy API Token', function () {
  this.timeout(60_000);

  it('copies the read-only and the full token the engine keeps, and returns no secret', async () => {
    await testApi();
    await waitFor('the engine', () => engineClient().status().then(() => true, () => false));
    await vscode.env.clipboard.writeText('before');
    const read = (await vscode.commands.executeCommand(COMMANDS.copyApiToken, 'read')) as { scope: string; url: string | null };
    const tokens = await engineClient().apiTokens();
    assert.deepEqual(read, { scope: 'read', url: null });
    assert.equal(await vscode.env.clipboard.readText(), tokens.read);
    await vscode.commands.executeCommand(COMMANDS.copyApiToken, 'full');
    assert.equal(await vscode.env.clipboard.readText(), tokens.full);
    assert.notEqual(tokens.full, tokens.read);
  });
});
