/**
 * In-host: notifications raised by engine events, read through the test API's notifications()
 * (what the extension actually showed): a crashed service (kill -9 of its pid) is one
 * notification that becomes "recovered after …" once the service is ready again, and it is not
 * repeated within its cooldown; Run Health Check answers service by service; Backup Now is one
 * notification.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ApiClient } from '../../src/core/client/api-client';
import { COMMANDS, colorId, engineClient, engineLogTail, sleep, statusItem, testApi, waitFor, waitForStates, type NotificationEntry, type OpsdeckTestApi } from './helpers';
import type { StackHealth } from '../../src/core/contract/health';

/** What this suite reads beyond helpers.ts's view of the test API (src/extension/test-api.ts). */
interface Shown extends NotificationEntry {
  messages: string[];
  incident?: string;
  resolved?: boolean;
  actions: string[];
}
interface HealthShown {
  title: string;
  level: string;
  items: { label: string; description: string; detail: string }[];
}
type Api = Omit<OpsdeckTestApi, 'notifications'> & { notifications(): Shown[]; healthResult(): HealthShown | undefined };

const ALL_READY = { storage: 'ready', messaging: 'ready', api: 'ready' };
const run = <T = unknown>(command: string, ...args: unknown[]) => vscode.commands.executeCommand<T>(command, ...args);
const key = (n: NotificationEntry) => `${n.kind}|${n.message}`;

async function pidOf(client: ApiClient, service: string): Promise<number> {
  const pid = (await client.status()).services.find((s) => s.name === service)?.pid;
  if (!pid) assert.fail(`${service} has no pid${engineLogTail(service)}`);
  return pid;
}

describe('notifications', function () {
  this.timeout(90_000);
  let api: Api;
  let client: ApiClient;

  before(async () => {
    api = (await testApi()) as Api;
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
    // One notification for the incident, and it now says that storage recovered.
    const about = await waitFor('the storage notification to say it recovered', () => {
      const n = api.notifications().filter((x) => !seen.has(key(x)) && x.incident === 'down:storage');
      return n.length === 1 && n[0]!.resolved ? n : undefined;
    }, 15_000);
    const incident = about[0]!;
    assert.match(incident.message, /^storage recovered after \d+(\.\d+)?(ms|s)$/, JSON.stringify(incident));
    assert.match(incident.messages[0]!, /^storage crashed .*restarting…$/, 'while it lasted it said "restarting…", without a countdown');
    assert.ok(!/restarting in/.test(incident.message), 'no stale countdown after the recovery');
    assert.deepEqual(incident.actions, ['Show Logs']);
    assert.equal(api.notifications().filter((x) => !seen.has(key(x)) && /storage/.test(x.message)).length, 1, `more than one notification: ${JSON.stringify(api.notifications())}`);
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

  it('Run Health Check shows every service with its level and reason (not only "OK")', async () => {
    await run(COMMANDS.serviceStop, 'messaging');
    await waitForStates(client, { messaging: 'stopped' });
    try {
      const count = api.notifications().length;
      const health = await run<StackHealth>(COMMANDS.runHealthCheck);
      assert.ok(health && health.level !== 'OK', `health with messaging stopped: ${JSON.stringify(health)}`);
      assert.deepEqual(health.services.map((s) => s.service).sort(), ['api', 'messaging', 'storage']);
      const shown = api.healthResult();
      assert.ok(shown, 'no health result was shown');
      assert.equal(shown.level, health.level);
      assert.match(shown.title, /of 3 services OK/);
      const byName = Object.fromEntries(shown.items.map((i) => [i.label, i]));
      assert.deepEqual(Object.keys(byName).sort(), ['api', 'messaging', 'storage'], JSON.stringify(shown));
      const messaging = health.services.find((s) => s.service === 'messaging')!;
      assert.equal(byName.messaging!.description, messaging.level);
      assert.equal(byName.messaging!.detail, messaging.reason);
      assert.equal(byName.storage!.description, 'OK');
      assert.notEqual(shown.items[0]!.description, 'OK', 'the worst comes first');
      await sleep(500);
      // (With messaging stopped, api's probes fail: IPC pressure may be notified meanwhile, another incident.)
      const more = api.notifications().slice(count).filter((n) => n.kind !== 'ipc-high');
      assert.deepEqual(more, [], 'the result is the list, not another toast');
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      await run(COMMANDS.serviceStart, 'messaging');
      await waitForStates(client, ALL_READY);
    }
  });

  it('Backup Now: one notification (the result, with its counts and an action), not one more from the engine event', async () => {
    const count = api.notifications().length;
    const result = await run<{ snapshot: string; files: number } | undefined>(COMMANDS.backupNow);
    assert.ok(result?.snapshot, `Backup Now returned ${JSON.stringify(result)}`);
    await sleep(3000); // time for the engine's backup event (a second notification, wrongly)
    // (Other news may arrive meanwhile, e.g. IPC pressure left by the previous test: only backup kinds count.)
    const fresh = api.notifications().slice(count).filter((n) => n.kind.startsWith('backup-'));
    assert.equal(fresh.length, 1, `backup notifications after Backup Now: ${JSON.stringify(api.notifications().slice(count))}`);
    const n = fresh[0]!;
    assert.equal(n.kind, 'backup-completed');
    assert.match(n.message, new RegExp(`^Backup done: snapshot ${result.snapshot.slice(0, 8)}`));
    assert.match(n.message, new RegExp(`, ${result.files} ${result.files === 1 ? 'file' : 'files'} \\(`), 'counts are pluralised');
    assert.deepEqual(n.actions, ['Open Dashboard'], "the action that helps; no Don't Show Again");
  });

  it('Verify Backups: the engine streams its progress to the notification, then one notification with the result', async () => {
    const count = api.notifications().length;
    const report = await run<{ ok: boolean; packs: number } | undefined>(COMMANDS.verifyBackups);
    assert.equal(report?.ok, true, `Verify Backups returned ${JSON.stringify(report)}`);
    assert.ok(report.packs > 0, 'the backup above left packs to check');
    const fresh = api.notifications().slice(count).filter((n) => n.kind.startsWith('backup-'));
    assert.equal(fresh.length, 1, `backup notifications after Verify Backups: ${JSON.stringify(api.notifications().slice(count))}`);
    assert.match(fresh[0]!.message, new RegExp(`^Backups verified: no problems in \\d+ snapshots?, ${report.packs} packs?, \\d+ blobs?\\.$`));
  });
});
