/**
 * In-host: "Opsdeck: Export Stack…" (opsdeck.exportStack) with its arguments (no pickers): it
 * exports the workspace's stack through the extension's own CLI into a folder and opens the main
 * file; with a bad image map it shows the failure, returns nothing and writes nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ExportResult } from '../../src/core/contract/export';
import { testApi, waitFor } from './helpers';

describe('Export Stack…', function () {
  this.timeout(90_000);
  let tmp: string;

  before(async () => {
    await testApi();
    tmp = mkdtempSync(join(tmpdir(), 'opsdeck-inhost-export-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('exports to Compose into the folder and opens compose.yaml', async () => {
    const out = join(tmp, 'compose');
    const r = await vscode.commands.executeCommand<ExportResult>('opsdeck.exportStack', { target: 'compose', out, baseImage: 'node:20-bookworm-slim' });
    assert.ok(r, 'the command returned no result');
    assert.deepEqual(r.written, ['compose.yaml', '.env']);
    assert.ok(existsSync(join(out, 'compose.yaml')));
    const editor = await waitFor('compose.yaml in an editor', () => vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath === join(out, 'compose.yaml')));
    assert.match(editor.document.getText(), /condition: service_healthy/);
  });

  it('exports to Kubernetes with an image map, checked, and opens kustomization.yaml', async () => {
    const out = join(tmp, 'k8s');
    const map = join(tmp, 'images.yaml');
    writeFileSync(map, 'default: node:20-bookworm-slim\nopsdeck: opsdeck:0.1\n');
    const r = await vscode.commands.executeCommand<ExportResult>('opsdeck.exportStack', { target: 'kubernetes', out, imageMap: map, check: true });
    assert.equal(r?.check?.ok, true, r?.check?.problems.join('\n'));
    assert.ok(r.written.includes('kustomization.yaml') && r.written.includes('stack.yaml'));
    await waitFor('kustomization.yaml in an editor', () => vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath === join(out, 'kustomization.yaml')));
  });

  it('a missing image map is refused: nothing returned, nothing written', async () => {
    const out = join(tmp, 'bad');
    const r = await vscode.commands.executeCommand('opsdeck.exportStack', { target: 'compose', out, imageMap: join(tmp, 'none.yaml') });
    assert.equal(r, undefined);
    assert.ok(!existsSync(out) || readdirSync(out).length === 0);
  });
});
