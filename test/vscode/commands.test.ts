/**
 * In-host: every command of the contract through vscode.commands.executeCommand (with arguments,
 * so no UI is needed), each checked against the engine's own state through the control API on
 * the workspace's socket, and the status bar and Services tree following the state changes.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ApiClient } from '../../src/core/client/api-client';
import {
  COMMANDS,
  colorId,
  engineClient,
  SERVICES,
  statusItem,
  testApi,
  waitFor,
  waitForStates,
  waitForStatusText,
  type OpsdeckTestApi,
} from './helpers';
import type { EngineStatus } from '../../src/core/contract/status';
import type { StackHealth } from '../../src/core/contract/health';
import type { CleanupResult, MaintenanceRunResult } from '../../src/core/contract/maintenance';

const ALL_READY = { storage: 'ready', messaging: 'ready', api: 'ready' };
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const run = <T = unknown>(command: string, ...args: unknown[]) => vscode.commands.executeCommand<T>(command, ...args);

describe('commands against the default stack', function () {
  this.timeout(90_000);
  let api: OpsdeckTestApi;
  let client: ApiClient;

  before(async () => {
    api = await testApi();
    client = await waitFor('the engine socket', () => engineClient(), 30_000);
  });

  after(async () => {
    // Leave the stack stopped whatever happened above (the runner also sweeps processes).
    await run(COMMANDS.stopStack).then(undefined, () => undefined);
  });

  it('Start Stack: storage, messaging and api all ready, profile dev', async () => {
    await run(COMMANDS.startStack);
    const status = await waitForStates(client, ALL_READY);
    assert.equal(status.profile, 'dev');
    const viaApi = await api.status();
    assert.deepEqual(
      viaApi?.services.map((s) => `${s.name} ${s.state}`).sort(),
      ['api ready', 'messaging ready', 'storage ready'],
      'the test API reports the engine state',
    );
  });

  it('status bar: `$(pulse) 3/3`, `IPC n` and `$(layers) dev`, no warning background', async () => {
    const status = await waitForStatusText(api, 'opsdeck.status', /^\$\(pulse\) 3\/3$/);
    assert.equal(colorId(status.backgroundColor), undefined, 'a healthy stack has the default background');
    await waitForStatusText(api, 'opsdeck.ipc', /^IPC \d+$/);
    await waitForStatusText(api, 'opsdeck.profile', /^\$\(layers\) dev$/);
  });

  it('status bar tooltip has per-service detail', () => {
    const tip = statusItem(api, 'opsdeck.status')?.tooltip;
    const text = typeof tip === 'string' ? tip : String((tip as { value?: string } | undefined)?.value ?? JSON.stringify(tip ?? ''));
    for (const s of SERVICES) assert.ok(text.includes(s), `tooltip mentions ${s}: ${text}`);
  });

  it('Services tree: one item per service, with a description and a context value for its menus', async () => {
    const items = await waitFor('three tree items', () => (api.services().length === 3 ? api.services() : undefined), 15_000);
    assert.deepEqual(items.map((i) => i.label).sort(), [...SERVICES].sort());
    for (const item of items) {
      assert.ok(item.contextValue, `${item.label} has a contextValue (inline actions and context menu)`);
      assert.ok(item.description, `${item.label} has a description (state, uptime, restarts)`);
    }
  });

  it('Run Health Check: returns the stack health, OK 3/3', async () => {
    const health = await run<StackHealth>(COMMANDS.runHealthCheck);
    assert.ok(health, 'runHealthCheck returns the StackHealth');
    assert.equal(health.level, 'OK', JSON.stringify(health));
    assert.equal(health.summary, '3/3 OK');
    const fromEngine = await client.health();
    assert.equal(fromEngine.level, 'OK');
  });

  it('Restart Service (api): a new pid, ready again; the others untouched', async () => {
    const before = await client.status();
    const pid = (name: string) => before.services.find((s) => s.name === name)?.pid;
    const oldApi = pid('api');
    assert.ok(oldApi, 'api has a pid');
    await run(COMMANDS.restartService, 'api');
    const after = await waitFor('api with a new pid, ready', async () => {
      const s = await client.status();
      const a = s.services.find((x) => x.name === 'api');
      return a && a.pid && a.pid !== oldApi && a.state === 'ready' ? s : undefined;
    });
    for (const name of ['storage', 'messaging']) {
      assert.equal(after.services.find((s) => s.name === name)?.pid, pid(name), `${name} keeps its pid`);
    }
    await waitForStatusText(api, 'opsdeck.status', /^\$\(pulse\) 3\/3$/);
  });

  it('Search Memory ("listening"): returns hits from the services\' logs', async () => {
    const result = await waitFor(
      'memory hits for "listening"',
      async () => {
        const r = await run<unknown>(COMMANDS.searchMemory, 'listening');
        const hits = Array.isArray(r) ? r : (r as { hits?: unknown[] } | undefined)?.hits;
        return hits && hits.length > 0 ? hits : undefined;
      },
      20_000,
      500,
    );
    assert.ok(JSON.stringify(result).toLowerCase().includes('listening'), JSON.stringify(result).slice(0, 500));
    const direct = await client.searchMemory({ text: 'listening' });
    assert.ok(direct.hits.length > 0, 'the engine finds them too');
  });

  it('View Logs (api), Show Engine Output and Open Dashboard run without error', async () => {
    await run(COMMANDS.viewLogs, 'api');
    await run(COMMANDS.showEngineOutput);
    await run(COMMANDS.openDashboard);
  });

  it('service.stop / service.start (messaging): stopped, api degraded, status bar warning; then ready again', async () => {
    await run(COMMANDS.serviceStop, 'messaging');
    await waitForStates(client, { messaging: 'stopped', api: 'degraded' });
    const warn = await waitFor('status bar warning background', () => {
      const item = statusItem(api, 'opsdeck.status');
      return item && /warningBackground|errorBackground/.test(colorId(item.backgroundColor) ?? '') ? item : undefined;
    }, 15_000);
    assert.notEqual(warn.text, '$(pulse) 3/3');
    await run(COMMANDS.serviceStart, 'messaging');
    await waitForStates(client, ALL_READY);
    await waitForStatusText(api, 'opsdeck.status', /^\$\(pulse\) 3\/3$/);
    assert.equal(colorId(statusItem(api, 'opsdeck.status')?.backgroundColor), undefined);
  });

  it('service.restart and service.logs (storage) take a service name', async () => {
    const oldPid = (await client.status()).services.find((s) => s.name === 'storage')?.pid;
    await run(COMMANDS.serviceRestart, 'storage');
    await waitFor('storage with a new pid', async () => {
      const s = (await client.status()).services.find((x) => x.name === 'storage');
      return s && s.pid !== oldPid && s.state === 'ready';
    });
    await waitForStates(client, ALL_READY);
    await run(COMMANDS.serviceLogs, 'storage');
  });

  it('Switch Profile (minimal): api and messaging stopped, storage ready, status bar `$(layers) minimal`', async () => {
    const before = await client.status();
    const pids = ['messaging', 'api'].map((n) => before.services.find((s) => s.name === n)?.pid);
    // No question: the one asked before a switch that stops services is a modal (`ask: false` skips it).
    await run(COMMANDS.switchProfile, 'minimal', { ask: false });
    // Services left out of the profile are stopped (or no longer listed at all).
    const notRunning = (s: EngineStatus, name: string) => {
      const x = s.services.find((v) => v.name === name);
      return !x || x.state === 'stopped';
    };
    const status = await waitFor('profile minimal: storage ready, messaging and api not running', async () => {
      const s = await client.status();
      const storage = s.services.find((v) => v.name === 'storage');
      return s.profile === 'minimal' && storage?.state === 'ready' && notRunning(s, 'messaging') && notRunning(s, 'api') ? s : undefined;
    }, 45_000);
    assert.equal(status.profile, 'minimal');
    for (const pid of pids) {
      assert.ok(pid);
      await waitFor(`pid ${pid} gone`, () => !alive(pid), 10_000);
    }
    assert.equal((await client.profiles()).active, 'minimal');
    await waitForStatusText(api, 'opsdeck.profile', /^\$\(layers\) minimal$/);
    await waitForStatusText(api, 'opsdeck.status', /^\$\(pulse\) 1\/1$/);
  });

  it('services outside the profile stay listed in the tree, greyed, with Start (not in profile)', async () => {
    const outside = await waitFor('messaging and api listed outside the profile', () => {
      const items = api.services().filter((i) => i.label === 'messaging' || i.label === 'api');
      return items.length === 2 && items.every((i) => i.contextValue === 'service-stopped-outside' && /not in profile/.test(i.description ?? '')) ? items : undefined;
    }, 15_000);
    assert.equal(outside.length, 2);
    await run(COMMANDS.serviceStartOutsideProfile, 'messaging');
    await waitForStates(client, { messaging: 'ready' });
    await waitFor('messaging running outside the profile in the tree', () => api.services().find((i) => i.label === 'messaging')?.contextValue === 'service-running-outside', 15_000);
    await waitForStatusText(api, 'opsdeck.status', /^\$\(pulse\) 1\/1$/);
  });

  it('Switch Profile (dev): all three ready again', async () => {
    await run(COMMANDS.switchProfile, 'dev');
    const status = await waitForStates(client, ALL_READY);
    assert.equal(status.profile, 'dev');
    await waitForStatusText(api, 'opsdeck.profile', /^\$\(layers\) dev$/);
    await waitForStatusText(api, 'opsdeck.status', /^\$\(pulse\) 3\/3$/);
  });

  it('Run Maintenance (storage\'s SQLite, the journal; then the daily set) and Clean Up: run by the engine, recorded in its memory', async () => {
    const result = await run<MaintenanceRunResult>(COMMANDS.runMaintenance, ['storage:sqlite', 'opsdeck:journal']);
    assert.ok(result?.ok, JSON.stringify(result));
    assert.deepEqual(result.tasks.map((t) => t.id), ['storage:sqlite:data/storage.db', 'opsdeck:journal']);
    assert.deepEqual(result.tasks[1]!.steps.map((s) => s.name), ['compact']);
    const hits = await client.searchMemory({ text: 'maintenance', kind: 'maintenance' });
    assert.ok(hits.hits.some((h) => /opsdeck:journal/.test(h.text)), JSON.stringify(hits.hits));
    const daily = await run<MaintenanceRunResult>(COMMANDS.runMaintenance, { preset: 'daily' });
    assert.ok(daily?.ok, JSON.stringify(daily));
    assert.ok(['storage:sqlite:data/storage.db', 'opsdeck:journal'].every((id) => daily.tasks.some((t) => t.id === id)), 'the daily set: every daily task');
    assert.ok(!daily.tasks.some((t) => t.id === 'opsdeck:memory:rebuild'), 'the rebuild is not daily');
    const cleaned = await run<CleanupResult>(COMMANDS.cleanUp, 'confirm');
    assert.equal(typeof cleaned?.files, 'number');
    assert.equal(api.notifications().some((n) => /Maintenance done|Clean(ed)? up/i.test(n.message)), true, JSON.stringify(api.notifications()));
  });

  it('Stop Stack: every service stopped, the status bar no longer shows 3/3', async () => {
    await run(COMMANDS.stopStack);
    await waitForStates(client, { storage: 'stopped', messaging: 'stopped', api: 'stopped' });
    const item = await waitForStatusText(api, 'opsdeck.status', /\b0\/3\b|stopped/i);
    assert.ok(!item.text.includes('sync~spin'), item.text);
  });
});
