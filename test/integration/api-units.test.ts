/**
 * The /v1/units routes through ApiClient, answered by a real engine that owns a stack (EngineHost
 * on its unix socket), with OPSDECK_UNIT_DIR pointing at a temporary folder: generate, install
 * (dry run, then for real), status, a foreign file refused with 409, a bad target refused with 400.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiClient } from '../../src/core/client/api-client';
import { openStack, runningOwner, type OpenedStack } from '../../src/core/host';
import type { OpsError } from '../../src/core/errors';
import { tempStack, type TempStack } from '../helpers/stack';

describe('API /v1/units (ApiClient, a real engine)', function () {
  this.timeout(60_000);
  let t: TempStack;
  let units: string;
  let opened: OpenedStack;
  let client: ApiClient;
  const saved = process.env.OPSDECK_UNIT_DIR;
  const savedPath = process.env.PATH;
  before(async () => {
    // The engine here is a test process, not the opsdeck CLI: units run the `opsdeck` on PATH.
    const bin = mkdtempSync(join(tmpdir(), 'opsdeck-bin-'));
    writeFileSync(join(bin, 'opsdeck'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    process.env.PATH = `${bin}:${savedPath}`;
    t = tempStack({ version: 1, name: 'apistack', boot: { mode: 'native' }, services: { one: { command: ['node', '-e', 'setInterval(() => {}, 1000)'] } } });
    units = mkdtempSync(join(tmpdir(), 'opsdeck-api-units-'));
    process.env.OPSDECK_UNIT_DIR = units;
    opened = await openStack(t.dir, { mode: 'embed', owner: 'test', version: 'test' });
    client = runningOwner(t.dir)!.client;
  });
  after(async () => {
    await opened.close();
    if (saved === undefined) delete process.env.OPSDECK_UNIT_DIR;
    else process.env.OPSDECK_UNIT_DIR = saved;
    process.env.PATH = savedPath;
    rmSync(units, { recursive: true, force: true });
    t.cleanup();
  });

  it('generates the units of boot: (native) and of a query (launchd engine)', async () => {
    const native = await client.generateUnits({ target: 'systemd' });
    assert.equal(native.mode, 'native');
    assert.deepEqual(native.files.map((f) => f.name), ['opsdeck-apistack-one.service', 'opsdeck-apistack.target']);
    const launchd = await client.generateUnits({ target: 'launchd', mode: 'engine' });
    assert.deepEqual(launchd.files.map((f) => f.name), ['dev.opsdeck.apistack.plist']);
    assert.equal(launchd.activate[0], 'dev.opsdeck.apistack');
    assert.match(launchd.files[0]!.text, /<string>\/[^<]*opsdeck-bin-[^<]*\/opsdeck<\/string>\s*<string>daemon<\/string>/, 'the engine runs the opsdeck on PATH');
  });

  it('installs (a dry run first), then reports installed', async () => {
    const dry = await client.installUnits({ target: 'systemd' }, true);
    assert.equal(dry.dryRun, true);
    assert.deepEqual(readdirSync(units), []);
    const done = await client.installUnits({ target: 'systemd' });
    assert.deepEqual(done.written.sort(), ['opsdeck-apistack-one.service', 'opsdeck-apistack.target']);
    assert.ok(existsSync(join(units, 'opsdeck-apistack.target')));
    const status = await client.unitsStatus({ target: 'systemd' });
    assert.equal(status.installed, true);
    assert.equal(status.drifted, false);
  });

  it('refuses to overwrite a foreign file (409 UNITS_FOREIGN_FILE) and a bad target (400)', async () => {
    writeFileSync(join(units, 'dev.opsdeck.apistack.plist'), '<plist/>');
    await assert.rejects(client.installUnits({ target: 'launchd', mode: 'engine' }), (e: OpsError) => e.code === 'UNITS_FOREIGN_FILE' && /not overwriting/.test(e.message));
    const res = await client.rpc.v1.units.status.$get({ query: { target: 'upstart' as 'systemd' } });
    assert.equal(res.status, 400);
  });
});
