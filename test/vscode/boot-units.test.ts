/**
 * In-host: "Opsdeck: Start at Login / Boot…" (opsdeck.startAtBoot) with its arguments (no UI):
 * it previews the units in an untitled document, installs them through the extension's own CLI
 * into a temporary unit folder (OPSDECK_UNIT_DIR: nothing is enabled there), and the state model,
 * the status bar tooltip and the Services view then say the stack starts at login.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { UnitsChange } from '../../src/core/contract/units';
import { statusItem, testApi, waitFor, type OpsdeckTestApi } from './helpers';

describe('Start at Login / Boot…', function () {
  this.timeout(90_000);
  let api: OpsdeckTestApi;
  let units: string;
  const saved = process.env.OPSDECK_UNIT_DIR;

  before(async () => {
    api = await testApi();
    units = mkdtempSync(join(tmpdir(), 'opsdeck-inhost-units-'));
    process.env.OPSDECK_UNIT_DIR = units;
  });
  after(() => {
    if (saved === undefined) delete process.env.OPSDECK_UNIT_DIR;
    else process.env.OPSDECK_UNIT_DIR = saved;
    rmSync(units, { recursive: true, force: true });
  });

  it('previews, installs the engine unit, and the status bar tooltip says the stack starts at login', async () => {
    const done = await vscode.commands.executeCommand<UnitsChange>('opsdeck.startAtBoot', { target: 'systemd', mode: 'engine', confirm: true });
    assert.ok(done, 'the command returned no result');
    assert.equal(done.unitDir, units);
    assert.equal(done.written.length, 1);
    assert.match(done.written[0]!, /^opsdeck-[a-z0-9_-]+\.service$/);
    assert.deepEqual(readdirSync(units), done.written);
    assert.ok(existsSync(join(units, done.written[0]!)));
    const doc = vscode.workspace.textDocuments.find((d) => d.isUntitled && d.getText().includes('==> what install does <=='));
    assert.ok(doc, 'no preview document');
    assert.match(doc.getText(), /ExecStart=\S+ .*daemon(\.js)? --stack /);
    const units_ = await waitFor('the units in the state model', () => api.store().units);
    assert.deepEqual(units_, { target: 'systemd', mode: 'engine', installed: true, drifted: false });
    const tooltip = await waitFor('the status tooltip to name the units', () => {
      const t = statusItem(api, 'opsdeck.status')?.tooltip;
      const text = typeof t === 'string' ? t : (t as { value?: string } | undefined)?.value;
      return text?.includes('Starts at login (systemd, engine mode)') ? text : undefined;
    });
    assert.match(tooltip, /Starts at login \(systemd, engine mode\)\./);
  });

  it('a second run changes nothing; a bad target is refused and writes nothing', async () => {
    const again = await vscode.commands.executeCommand<UnitsChange>('opsdeck.startAtBoot', { target: 'systemd', mode: 'engine', confirm: true });
    assert.deepEqual(again?.written, []);
    assert.equal(again?.unchanged.length, 1);
    // Called with an object, a failure is shown (not thrown) and nothing is returned or written.
    const bad = await vscode.commands.executeCommand('opsdeck.startAtBoot', { target: 'upstart', mode: 'engine', confirm: true });
    assert.equal(bad, undefined);
    assert.deepEqual(readdirSync(units), again!.unchanged);
  });
});
