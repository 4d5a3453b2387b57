/**
 * In-host: opsdeck.yaml in the editor. A broken file gets a diagnostic at the engine's
 * line:column (cleared when fixed); saving a changed file while the stack runs offers the
 * engine's plan, and Apply (or the command Apply opsdeck.yaml Changes) reconciles the stack.
 * The file is restored afterwards, the stack stopped.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { ApiClient } from '../../src/core/client/api-client';
import type { PlanResult } from '../../src/core/contract/status';
import { COMMANDS, engineClient, testApi, waitFor, waitForStates, workspaceDir, type OpsdeckTestApi } from './helpers';

interface ConfigTestApi extends OpsdeckTestApi {
  configPrompts(): string[];
  answerConfigPrompts(answer: 'Apply' | 'Not now' | undefined): void;
  configSettled(): Promise<void>;
}

const ALL_READY = { storage: 'ready', messaging: 'ready', api: 'ready' };
const run = <T = unknown>(command: string, ...args: unknown[]) => vscode.commands.executeCommand<T>(command, ...args);
const opsdeckDiagnostics = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'opsdeck');
const WORKER = '\n  worker:\n    tier: worker\n    command: [node, -e, "setInterval(() => {}, 1000)"]\n';

describe('opsdeck.yaml in the editor', function () {
  this.timeout(120_000);
  let api: ConfigTestApi;
  let client: ApiClient;
  let doc: vscode.TextDocument;
  let original: string;

  /** Replace the whole document's text (unsaved). */
  const setText = async (text: string) => {
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), text);
    assert.ok(await vscode.workspace.applyEdit(edit));
  };
  const pidOf = (s: { services: { name: string; pid?: number }[] }, name: string) => s.services.find((x) => x.name === name)?.pid;

  before(async () => {
    api = (await testApi()) as ConfigTestApi;
    client = await waitFor('the engine socket', () => engineClient(), 30_000);
    const file = path.join(workspaceDir(), 'opsdeck.yaml');
    original = readFileSync(file, 'utf8');
    doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
  });

  after(async () => {
    api.answerConfigPrompts('Apply');
    if (doc.getText() !== original) {
      await setText(original);
      await doc.save();
    }
    await api.configSettled();
    await run(COMMANDS.stopStack).then(undefined, () => undefined);
    api.answerConfigPrompts(undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('a broken file: one diagnostic at the line:column the engine reports, the hint as related information; cleared when fixed', async () => {
    // storage's stop_grace (the first in the file): a duration the engine does not take.
    const at = original.indexOf('stop_grace: 5s') + 'stop_grace: '.length;
    await setText(`${original.slice(0, at)}5sec${original.slice(at + '5s'.length)}`);
    const diagnostics = await waitFor('a diagnostic on opsdeck.yaml', () => {
      const d = opsdeckDiagnostics(doc.uri);
      return d.length ? d : undefined;
    }, 10_000);
    assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics.map((d) => d.message)));
    const [d] = diagnostics as [vscode.Diagnostic];
    const where = doc.positionAt(at);
    assert.deepEqual([d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character], [where.line, where.character, where.line, where.character + '5sec'.length]);
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    assert.match(d.message, /^services\.storage\.stop_grace: /);
    assert.match(d.relatedInformation?.[0]?.message ?? '', /^hint: write a number followed by ms, s, m, h or d/);

    // Saved, the engine refuses it at the same place, and changes nothing.
    await doc.save();
    await api.configSettled();
    await assert.rejects(client.reload(true), (e: Error) => {
      assert.match(e.message, new RegExp(`opsdeck\\.yaml:${where.line + 1}:${where.character + 1}\\s+services\\.storage\\.stop_grace`));
      return true;
    });

    await setText(original);
    await waitFor('the diagnostic cleared', () => opsdeckDiagnostics(doc.uri).length === 0, 10_000);
    await doc.save();
    await api.configSettled();
    assert.deepEqual(opsdeckDiagnostics(doc.uri), []);
  });

  it('saving a changed file while the stack runs offers the plan; Apply restarts api with its new env and starts the new service', async () => {
    await run(COMMANDS.startStack);
    const before = await waitForStates(client, ALL_READY);
    api.answerConfigPrompts('Apply');
    const shown = api.configPrompts().length;
    const changed = `${original
      .replace('services: [storage, messaging, api]', 'services: [storage, messaging, api, worker]')
      .replace(/(\n {6}MESSAGING_URL: [^\n]*\n)/, '$1      LOG_LEVEL: debug\n')}${WORKER}`;
    assert.match(changed, /LOG_LEVEL: debug/);
    assert.match(changed, /services: \[storage, messaging, api, worker\]/);
    await setText(changed);
    await doc.save();
    const prompt = await waitFor('the Apply / Not now prompt', () => api.configPrompts()[shown], 20_000);
    assert.equal(prompt, 'opsdeck.yaml changed: restart api (env changed), start worker (added).');
    await api.configSettled();
    const after = await waitForStates(client, { ...ALL_READY, worker: 'ready' });
    assert.notEqual(pidOf(after, 'api'), pidOf(before, 'api'), 'api restarted');
    assert.equal(pidOf(after, 'storage'), pidOf(before, 'storage'), 'storage untouched');
    await waitFor('worker in the Services tree', () => api.services().some((i) => i.label === 'worker'), 10_000);
    assert.deepEqual(await client.reload(true), { dryRun: true, plan: [] }, 'the engine runs the file as saved');
  });

  it('"Not now" changes nothing; the command Apply opsdeck.yaml Changes then applies it', async () => {
    api.answerConfigPrompts('Not now');
    const shown = api.configPrompts().length;
    await setText(original);
    await doc.save();
    const prompt = await waitFor('the prompt', () => api.configPrompts()[shown], 20_000);
    assert.equal(prompt, 'opsdeck.yaml changed: stop worker (removed), restart api (env changed).');
    await api.configSettled();
    assert.equal((await client.status()).services.find((s) => s.name === 'worker')?.state, 'ready', 'not applied');

    const result = await run<PlanResult>('opsdeck.applyConfig');
    assert.deepEqual(result?.plan.map((p) => `${p.action} ${p.service}`), ['stop worker', 'restart api']);
    await waitForStates(client, ALL_READY);
    await waitFor('worker gone', async () => !(await client.status()).services.some((s) => s.name === 'worker'), 10_000);
    await waitFor('worker gone from the tree', () => !api.services().some((i) => i.label === 'worker'), 10_000);
  });
});
