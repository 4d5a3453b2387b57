/**
 * In-host: notifications raised by engine events, read through the test API's notifications()
 * (what the extension actually showed): a crashed service (kill -9 of its pid) is notified once,
 * and the same notification is not repeated within its cooldown.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ApiClient } from '../../src/core/client/api-client';
import { COMMANDS, colorId, engineClient, sleep, statusItem, testApi, waitFor, waitForStates, type NotificationEntry, type OpsdeckTestApi } from './helpers';
import type { StackHealth } from '../../src/core/contract/health';

const ALL_READY = { storage: 'ready', messaging: 'ready', api: 'ready' };
const run = <T = unknown>(command: string, ...args: unknown[]) => vscode.commands.executeCommand<T>(command, ...args);
const key = (n: NotificationEntry) => `${n.kind}|${n.message}`;

async function pidOf(client: ApiClient, service: string): Promise<number> {
  const pid = (await client.status()).services.find((s) => s.name === service)?.pid;
  assert.ok(pid, `${service} has a pid`);
  return pid;
}

describe('notifications', function () {
  this.timeout(90_000);
  let api: OpsdeckTestApi;
  let client: ApiClient;

  before(async () => {
    api = await testApi();
    client = await waitFor('the engine socket', () => engineClient(), 30_000);
    await run(COMMANDS.startStack);
    await waitForStates(client, ALL_READY);
  });

  after(async () => {
    await run(COMMANDS.stopStack).then(undefined, () => undefined);
  });

  it('kill -9 of a service: restarted by the engine, the status bar turns to warning, one notification about it', async () => {
    const seen = new Set(api.notifications().map(key));
    const pid = await pidOf(client, 'storage');
    // Watch the status item from now on: the warning lasts only until storage is back.
    let warned = false;
    const watch = setInterval(() => {
      if (/warningBackground|errorBackground/.test(colorId(statusItem(api, 'opsdeck.status')?.backgroundColor) ?? '')) warned = true;
    }, 10);
    try {
      process.kill(pid, 'SIGKILL');
      const fresh = await waitFor('a notification about storage', () => {
        const n = api.notifications().filter((x) => !seen.has(key(x)) && /storage/.test(x.message));
        return n.length ? n : undefined;
      }, 20_000);
      assert.ok(fresh.every((n) => ['warning', 'error'].includes(n.severity.toLowerCase())), JSON.stringify(fresh));
      await waitFor('storage with a new pid, ready', async () => (await pidOf(client, 'storage')) !== pid && (await client.status()).services.every((s) => s.state === 'ready'));
    } finally {
      clearInterval(watch);
    }
    assert.ok(warned, 'the status item never had the warning (or error) background while storage was down');
  });

  it('the same notification is not repeated within its cooldown (second kill -9 of the same service)', async () => {
    const before = api.notifications().filter((n) => /storage/.test(n.message));
    assert.ok(before.length > 0, 'the previous test raised one');
    const pid = await pidOf(client, 'storage');
    process.kill(pid, 'SIGKILL');
    await waitFor('storage restarted and ready', async () => (await pidOf(client, 'storage')) !== pid && (await client.status()).services.every((s) => s.state === 'ready'), 30_000);
    await sleep(1500); // time for a (wrong) second notification to arrive
    const after = api.notifications().filter((n) => /storage/.test(n.message));
    const byKind = (list: NotificationEntry[]) => JSON.stringify([...new Set(list.map((n) => n.kind))].sort().map((k) => [k, list.filter((n) => n.kind === k).length]));
    assert.equal(byKind(after), byKind(before), `a second crash within the cooldown was notified again: ${JSON.stringify(after)}`);
  });

  it('a failing health check notifies, and once only when run again', async () => {
    await run(COMMANDS.serviceStop, 'messaging');
    await waitForStates(client, { messaging: 'stopped' });
    const seen = new Set(api.notifications().map(key));
    const first = await run<StackHealth>(COMMANDS.runHealthCheck);
    assert.ok(first && first.level !== 'OK', `health with messaging stopped: ${JSON.stringify(first)}`);
    const raised = await waitFor('a health notification', () => {
      const n = api.notifications().filter((x) => !seen.has(key(x)));
      return n.length ? n : undefined;
    }, 15_000);
    // The IPC item follows every metrics sample: api's failing probes may raise ipc-high meanwhile, which is another incident.
    const notIpc = () => api.notifications().filter((n) => n.kind !== 'ipc-high');
    const count = notIpc().length;
    await run(COMMANDS.runHealthCheck);
    await sleep(1000);
    assert.equal(notIpc().length, count, `repeated: ${JSON.stringify(notIpc().slice(count))} after ${JSON.stringify(raised)}`);
    await run(COMMANDS.serviceStart, 'messaging');
    await waitForStates(client, ALL_READY);
  });
});
