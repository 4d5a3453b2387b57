/**
 * In-host: the status bar, the Services tree, the Metrics view's header and the state model's snapshot tell one truth
 * through a scripted sequence against the real engine of the default stack: start, kill -9 of a
 * service and its recovery, an engine restart (the owner stopped and started again), a config
 * error (no engine), the fix and the reconnect. All along, a watcher samples the three every
 * 20 ms and records any disagreement (ready count, states, IPC score, profile, "no engine" and
 * why); after each step the expected state is awaited and checked too.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { ApiClient } from '../../src/core/client/api-client';
import { COMMANDS, engineClient, engineLogTail, SERVICES, testApi, waitFor, waitForStates, workspaceDir, type OpsdeckTestApi } from './helpers';

const ALL_READY = { storage: 'ready', messaging: 'ready', api: 'ready' };
const run = <T = unknown>(command: string, ...args: unknown[]) => vscode.commands.executeCommand<T>(command, ...args);

/** What disagrees between the status bar, the tree and the store right now (empty: they agree). */
function disagreements(api: OpsdeckTestApi): string[] {
  const snap = api.store();
  const bar = api.statusBar();
  const tree = api.services();
  const out: string[] = [];
  const item = (id: string) => bar.find((i) => i.id === id || i.id.endsWith(`.${id}`));
  const [status, ipc, profile] = ['opsdeck.status', 'opsdeck.ipc', 'opsdeck.profile'].map(item);
  if (!status || !ipc || !profile) return [`status bar items missing: ${JSON.stringify(bar.map((i) => i.id))}`];
  for (const i of bar) if (i.seq !== snap.seq) out.push(`${i.id} rendered from snapshot ${i.seq}, the store is at ${snap.seq}`);
  const shown = api.webviewState();
  if (shown && shown.seq !== snap.seq) out.push(`the Metrics view rendered snapshot ${shown.seq}, the store is at ${snap.seq}`);
  if (!snap.status) {
    // No status (no engine, or connected and not read yet): no numbers; without an engine, why.
    if (shown?.header) out.push(`no status, but the Metrics view shows ${JSON.stringify(shown.header)}`);
    if (shown && snap.connection.mode === 'none' && shown.connection.state !== 'unavailable') out.push(`no engine, but the Metrics view shows ${JSON.stringify(shown.connection)}`);
    const why = snap.connection.problem ?? '';
    if (status.text !== '$(debug-disconnect) Opsdeck' || ipc.text !== 'IPC –' || profile.text !== '$(layers) –') out.push(`no engine, but the status bar shows ${status.text} | ${ipc.text} | ${profile.text}`);
    for (const i of [status, ipc, profile]) if (!i.accessibility?.includes(why)) out.push(`${i.id} does not say why there is no engine (${why}): ${i.accessibility}`);
    if (tree.length !== 1 || tree[0]!.contextValue !== 'no-engine' || (why && tree[0]!.description !== why)) out.push(`no engine, but the tree shows ${JSON.stringify(tree)}`);
    return out;
  }
  const services = snap.status.services;
  const profileServices = services.filter((s) => s.inProfile);
  const ready = profileServices.filter((s) => s.state === 'ready' || s.completed).length;
  if (!status.text.endsWith(` ${ready}/${profileServices.length}`)) out.push(`status bar ${status.text}, the store has ${ready}/${profileServices.length} ready`);
  if (!status.accessibility?.startsWith(`Opsdeck: ${ready} of ${profileServices.length} service`)) out.push(`status accessibility label: ${status.accessibility}`);
  const score = Math.round((snap.metrics?.ipc ?? snap.status.ipc).score);
  if (ipc.text !== `IPC ${score}`) out.push(`IPC item ${ipc.text}, the store's newest score is ${score}`);
  if (profile.text !== `$(layers) ${snap.status.profile ?? 'all'}`) out.push(`profile item ${profile.text}, the store's profile is ${snap.status.profile}`);
  const treeStates = tree.map((i) => `${i.label} ${String(i.description).split(' · ')[0]}`);
  const storeStates = services.map((s) => `${s.name} ${s.state}`);
  if (JSON.stringify(treeStates) !== JSON.stringify(storeStates)) out.push(`tree ${JSON.stringify(treeStates)}, store ${JSON.stringify(storeStates)}`);
  const treeReady = tree.filter((i) => !String(i.contextValue).endsWith('-outside') && String(i.description).startsWith('ready')).length;
  if (treeReady !== ready) out.push(`tree has ${treeReady} ready, the store ${ready}`);
  const web = api.webviewState();
  if (web) {
    const h = web.header;
    if (!h || h.ready !== ready || h.total !== profileServices.length || h.ipc.score !== score || (h.profile ?? 'all') !== (snap.status.profile ?? 'all')) {
      out.push(`webview header ${JSON.stringify(h)}, the store ${ready}/${profileServices.length} IPC ${score} profile ${snap.status.profile}`);
    }
  }
  return out;
}

/** Samples the three surfaces every 20 ms and keeps what disagreed (with the snapshot's seq). */
function watchAgreement(api: OpsdeckTestApi): { stop(): string[] } {
  const seen: string[] = [];
  const timer = setInterval(() => {
    for (const d of disagreements(api)) if (seen.length < 20) seen.push(`seq ${api.store().seq}: ${d}`);
  }, 20);
  return {
    stop: () => {
      clearInterval(timer);
      return seen;
    },
  };
}

/** Waits until the store satisfies `what`, then asserts the surfaces agree with it. */
async function settleOn(api: OpsdeckTestApi, what: string, fn: (snap: ReturnType<OpsdeckTestApi['store']>) => boolean, timeoutMs = 45_000): Promise<void> {
  await waitFor(what, () => fn(api.store()) && disagreements(api).length === 0, timeoutMs).catch((e: Error) => {
    throw new Error(`${e.message}\nstore: ${JSON.stringify({ seq: api.store().seq, connection: api.store().connection, states: api.store().status?.services.map((s) => [s.name, s.state]) })}\ndisagreements: ${disagreements(api).join('; ')}`);
  });
}

const states = (snap: ReturnType<OpsdeckTestApi['store']>) => Object.fromEntries(snap.status?.services.map((s) => [s.name, s.state]) ?? []);
const allIn = (snap: ReturnType<OpsdeckTestApi['store']>, state: string) => !!snap.status && SERVICES.every((n) => states(snap)[n] === state);

async function setEngineMode(mode: 'attach' | undefined): Promise<void> {
  await vscode.workspace.getConfiguration('opsdeck').update('engine.mode', mode, vscode.ConfigurationTarget.Global);
}

describe('one truth: status bar, Services tree and the state model agree', function () {
  this.timeout(120_000);
  let api: OpsdeckTestApi;
  let client: ApiClient;
  let watcher: { stop(): string[] } | undefined;
  let configFile: vscode.Uri;
  let goodConfig: string;

  before(async () => {
    api = await testApi();
    client = await waitFor('the engine socket', () => engineClient(), 30_000);
    configFile = vscode.Uri.file(path.join(workspaceDir(), 'opsdeck.yaml'));
    goodConfig = readFileSync(configFile.fsPath, 'utf8');
  });

  beforeEach(() => {
    watcher = watchAgreement(api);
  });

  afterEach(function () {
    const seen = watcher?.stop() ?? [];
    watcher = undefined;
    if (this.currentTest?.state === 'passed') assert.deepEqual(seen, [], 'the surfaces disagreed during the step');
  });

  after(async () => {
    // Whatever happened: the good config, the default mode, the stack stopped.
    await vscode.workspace.fs.writeFile(configFile, Buffer.from(goodConfig));
    await setEngineMode(undefined);
    await waitFor('an engine again', () => api.mode() !== 'none', 30_000).catch(() => undefined);
    await run(COMMANDS.stopStack).then(undefined, () => undefined);
  });

  it('start: every service ready, the same 3/3 in the status bar, the tree, the Metrics view and the store', async () => {
    // The Metrics view shown: from now on its header is compared too (while it is visible).
    await run('opsdeck.metrics.focus');
    await waitFor('the Metrics view sent its state', () => api.webviewState(), 30_000);
    await run(COMMANDS.startStack);
    await waitForStates(client, ALL_READY);
    await settleOn(api, 'the store with every service ready', (s) => allIn(s, 'ready'));
    assert.ok(api.statusBar().some((i) => i.text === '$(pulse) 3/3'));
    assert.equal(api.webviewState()?.header?.ready, 3, 'the Metrics view header says 3 ready too');
    const storage = api.services().find((i) => i.label === 'storage');
    assert.match(storage?.description ?? '', /^ready · OK · (.+ · )?up [^·]+ · \d+ restarts? · http:\/\/127\.0\.0\.1:\d+$/, 'state, health, endpoint and uptime in the description');
    assert.ok(storage?.children?.some((c) => c.label === 'readiness probe' && /^ok · \d+ ms/.test(c.description)), JSON.stringify(storage?.children));
  });

  it('the IPC item follows every metrics sample, not only state changes', async () => {
    const first = await waitFor('a metrics sample in the store', () => api.store().metrics, 20_000);
    const next = await waitFor('the next metrics sample', () => {
      const m = api.store().metrics;
      return m && m.at > first.at ? m : undefined;
    }, 20_000);
    await settleOn(api, 'the store at the new sample', (s) => s.metrics === next || (s.metrics?.at ?? 0) >= next.at);
    const ipc = api.statusBar().find((i) => i.id.endsWith('opsdeck.ipc'));
    assert.equal(ipc?.text, `IPC ${Math.round(api.store().metrics!.ipc.score)}`);
  });

  it('kill -9 of a service and its recovery: the same states throughout, the restart and why in the tree', async () => {
    const pid = (await client.status()).services.find((s) => s.name === 'storage')?.pid;
    if (!pid) assert.fail(`storage has no pid${engineLogTail('storage')}`);
    process.kill(pid, 'SIGKILL');
    await settleOn(api, 'storage restarted and every service ready again', (s) => {
      const storage = s.status?.services.find((x) => x.name === 'storage');
      return allIn(s, 'ready') && !!storage?.pid && storage.pid !== pid && storage.lastRestart !== undefined;
    }, 60_000);
    const restart = api.services().find((i) => i.label === 'storage')?.children?.find((c) => c.label === 'last restart');
    assert.match(restart?.description ?? '', /^crash: /, JSON.stringify(restart));
  });

  it('engine restart: stopping the owner empties every view (saying why), starting it resyncs them', async () => {
    const epoch = api.store().epoch;
    await setEngineMode('attach');
    await settleOn(api, 'no engine', (s) => s.connection.mode === 'none' && !s.status && /attach/.test(s.connection.problem ?? ''));
    assert.equal(api.services()[0]?.label, 'No engine');
    await setEngineMode(undefined);
    await settleOn(api, 'the engine back, every service stopped', (s) => s.connection.mode === 'embedded' && allIn(s, 'stopped') && s.epoch > epoch);
    assert.ok(api.statusBar().some((i) => i.text.endsWith(' 0/3')));
  });

  it('config error: no engine, every view says why; the fix reconnects and the stack starts again', async () => {
    await setEngineMode('attach');
    await settleOn(api, 'no engine', (s) => s.connection.mode === 'none' && !s.status);
    await vscode.workspace.fs.writeFile(configFile, Buffer.from(goodConfig.replace(/^name: .*$/m, '$&\nnot_a_key: 1')));
    await setEngineMode(undefined);
    await settleOn(api, 'the engine refusing the broken config', (s) => !s.status && s.connection.mode === 'none' && /not_a_key|opsdeck\.yaml/.test(s.connection.problem ?? ''));
    const tree = api.services();
    assert.equal(tree.length, 1);
    assert.match(tree[0]!.description ?? '', /not_a_key|opsdeck\.yaml/, 'the tree says why');
    assert.match(api.statusBar().find((i) => i.id.endsWith('opsdeck.status'))?.accessibility ?? '', /not_a_key|opsdeck\.yaml/, 'the status bar says why');
    await vscode.workspace.fs.writeFile(configFile, Buffer.from(goodConfig));
    await settleOn(api, 'reconnected after the fix', (s) => s.connection.mode === 'embedded' && allIn(s, 'stopped'));
    await run(COMMANDS.startStack);
    await settleOn(api, 'every service ready after the reconnect', (s) => allIn(s, 'ready'));
    assert.ok(api.statusBar().some((i) => i.text === '$(pulse) 3/3'));
  });
});
