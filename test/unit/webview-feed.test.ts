/**
 * The Metrics view's feed with a fake StackStore: it renders from the store's snapshots (a
 * state message per snapshot, with its seq, the status bar's numbers in the header), reads only
 * the chart history itself (again on a new epoch and on a range change), says why there is no
 * engine instead of showing cached numbers, and does nothing while hidden.
 */
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/core/clock';
import { Emitter } from '../../src/extension/emitter';
import { MetricsFeed } from '../../src/extension/metrics-view/metrics-feed';
import type { MetricsSource } from '../../src/extension/metrics-view/metrics-source';
import { currentIpc, type StackSnapshot } from '../../src/extension/state/stack-store';
import { readyCount } from '../../src/extension/status-model';
import { OpsError } from '../../src/core/errors';
import { PROTOCOL_VERSION, parseHostMessage, type HostMessage, type HostMessageOf, type SidebarCommand } from '../../src/shared/protocol';
import type { BackupStatus, EngineStatus } from '../../src/core/contract';
import type { MetricsHistory, StackMetrics } from '../../src/core/contract/metrics';
import type { EngineEvent } from '../../src/core/contract/events';

const T = Date.UTC(2026, 0, 1, 12);

const service = (name: string, state: EngineStatus['services'][number]['state'], inProfile = true): EngineStatus['services'][number] => ({
  name, state, reason: state, since: T, pid: state === 'stopped' ? undefined : 1, restarts: 0, attempt: 0, startedAt: state === 'stopped' ? undefined : T - 1000, completed: false,
  lastExit: undefined, lastProbe: {}, lastCheck: undefined, rssMb: undefined, tier: 'storage', inProfile, health: state === 'ready' ? 'OK' : 'UNKNOWN',
});

const status = (states: EngineStatus['services'][number]['state'][] = ['ready', 'ready', 'starting']): EngineStatus => ({
  stack: 's',
  dir: '/s',
  profile: 'dev',
  services: states.map((st, i) => service(['storage', 'messaging', 'api'][i]!, st)),
  health: { level: 'OK', summary: '3/3 OK', services: [] },
  ipc: { score: 3, level: 'ok', summary: 'IPC 3 (status)' },
  engine: { pid: 1, startedAt: T - 5000 },
});

const metrics = (at: number, score = 11): StackMetrics =>
  ({
    at,
    intervalMs: 5000,
    windowMs: 60_000,
    services: [{ service: 'storage', state: 'ready', up: true, pid: 1, cpuPercent: 1, rssMb: 10, openFds: 3, uptimeSec: 1, restarts: 0, probeCount: 0, probeFailures: 0 }],
    ipc: { score, worst: undefined, summary: `IPC ${score} (sample)`, level: 'ok', thresholds: { warn: 70, critical: 90 } },
  }) as unknown as StackMetrics;

const history = (at: number, since: number): MetricsHistory => ({ at, since, intervalMs: 5000, thresholds: { warn: 70, critical: 90 }, services: { storage: { cpuPercent: [[at, 1]] } }, ipc: [[at, 3]], restarts: [] });

const connected = (over: Partial<StackSnapshot> = {}): Partial<StackSnapshot> => ({
  connection: { mode: 'embedded', engine: { pid: 10, owner: 'vscode' } },
  status: status(),
  metrics: metrics(T),
  profiles: { active: 'dev', profiles: [{ name: 'dev', services: ['storage', 'messaging', 'api'] }, { name: 'minimal', services: ['storage'] }] },
  backupsAvailable: true,
  backups: { services: [{ service: 'storage', rpoMs: 3_600_000 }] } as unknown as BackupStatus,
  ...over,
});

const noEngine = (problem = 'opsdeck.yaml:109:20: bad indentation'): Partial<StackSnapshot> => ({
  connection: { mode: 'none', problem },
  status: undefined,
  metrics: undefined,
  profiles: undefined,
  backupsAvailable: false,
  backups: undefined,
});

/** The StackStore as the feed sees it: a snapshot and its change event; `set` makes the next one. */
class FakeStore {
  snapshot: StackSnapshot = { seq: 0, epoch: 0, at: T, connection: { mode: 'none', problem: 'not started' }, status: undefined, metrics: undefined, profiles: undefined, backupsAvailable: false, backups: undefined };
  private readonly emitter = new Emitter<StackSnapshot>();
  listeners = 0;

  onDidChange(fn: (s: StackSnapshot) => void) {
    this.listeners++;
    const d = this.emitter.event(fn);
    return { dispose: () => (this.listeners--, d.dispose()) };
  }

  set(patch: Partial<StackSnapshot>, newEpoch = false): StackSnapshot {
    const s = this.snapshot;
    this.snapshot = { ...s, ...patch, seq: s.seq + 1, epoch: s.epoch + (newEpoch ? 1 : 0), at: s.at + 1000 };
    this.emitter.fire(this.snapshot);
    return this.snapshot;
  }
}

/** The history, events and commands of the engine; records every call. */
class FakeSource implements MetricsSource {
  calls: string[] = [];
  listeners = new Set<(e: EngineEvent) => void>();
  failing: Error | undefined;
  hold: Promise<void> | undefined;
  private releaseHold: (() => void) | undefined;
  ran: SidebarCommand[] = [];
  runError: Error | undefined;

  constructor(private readonly clock: FakeClock) {}

  holdAnswers(): void {
    this.hold = new Promise((r) => (this.releaseHold = r));
  }
  release(): void {
    this.releaseHold?.();
    this.hold = undefined;
  }
  history = async (since: number) => {
    this.calls.push(`history ${since}`);
    if (this.hold) await this.hold;
    if (this.failing) throw this.failing;
    return history(this.clock.now(), since);
  };
  onEvent(listener: (e: EngineEvent) => void) {
    this.calls.push('subscribe');
    this.listeners.add(listener);
    return { dispose: () => (this.calls.push('unsubscribe'), this.listeners.delete(listener)) };
  }
  async run(command: SidebarCommand) {
    this.ran.push(command);
    if (this.runError) throw this.runError;
  }
  emit(e: EngineEvent) {
    for (const l of this.listeners) l(e);
  }
}

function setup() {
  const clock = new FakeClock(T);
  const store = new FakeStore();
  const source = new FakeSource(clock);
  const posted: HostMessage[] = [];
  const logs: string[] = [];
  const feed = new MetricsFeed({
    store,
    source,
    clock,
    log: (l) => logs.push(l),
    post: (m) => {
      // Every message the host sends must pass the webview's own check.
      const parsed = parseHostMessage(JSON.parse(JSON.stringify(m)));
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
      posted.push(m);
    },
  });
  const types = () => posted.map((m) => m.type);
  const states = () => posted.filter((m): m is HostMessageOf<'state'> => m.type === 'state').map((m) => m.state);
  const histories = () => source.calls.filter((c) => c.startsWith('history'));
  return { clock, store, source, feed, posted, logs, types, states, histories };
}

const ready = { type: 'ready', protocol: PROTOCOL_VERSION } as const;
const settle = () => new Promise<void>((r) => setImmediate(r));

describe('webview host: the metrics feed renders from the state store', () => {
  it('does nothing until the view is visible and its webview has loaded', async () => {
    const { feed, store, source, clock, posted } = setup();
    store.set(connected(), true);
    feed.setVisible(true);
    await clock.advance(60_000);
    assert.deepEqual(source.calls, []);
    assert.deepEqual(posted, []);
    assert.equal(store.listeners, 0);
    feed.setVisible(false);
    await feed.receive(ready);
    store.set({ metrics: metrics(T + 5000) });
    assert.deepEqual(source.calls, [], 'a ready while hidden starts nothing');
    assert.deepEqual(posted, []);
  });

  it('on ready, sends the snapshot (the status bar\'s numbers) and the history; then a state per snapshot, and never polls', async () => {
    const { feed, store, source, clock, types, states, histories } = setup();
    const snap = store.set(connected(), true);
    feed.setVisible(true);
    await feed.receive({ ...ready, range: '5m' });
    assert.ok(feed.active);
    assert.deepEqual(types(), ['state', 'history']);
    const s = states()[0]!;
    assert.equal(s.seq, snap.seq);
    assert.equal(s.epoch, snap.epoch);
    // The header is what the status bar shows: readyCount and the newest IPC of the same snapshot.
    assert.deepEqual(readyCount(snap.status!), { ready: 2, total: 3 });
    assert.deepEqual(s.header, { ready: 2, total: 3, ipc: { score: 11, level: 'ok', summary: 'IPC 11 (sample)' }, profile: 'dev' });
    assert.equal(s.header?.ipc.score, currentIpc(snap)?.score);
    assert.deepEqual(s.connection, { state: 'connected', mode: 'embedded' });
    assert.deepEqual(s.status?.services.map((x) => x.state), ['ready', 'ready', 'starting']);
    assert.equal(s.sample?.ipc.score, 11);
    assert.deepEqual(s.backups, { available: true, at: snap.at, services: [{ service: 'storage', rpoMs: 3_600_000 }] });
    assert.deepEqual(histories(), [`history ${clock.now() - 300_000}`]);

    // Nothing of its own while nothing changes: no timer, no request.
    await clock.advance(10 * 60_000);
    assert.deepEqual(clock.pending(), []);
    assert.equal(histories().length, 1);
    assert.equal(states().length, 1);

    // Every snapshot is sent, with its seq; the same epoch needs no new history.
    const next = store.set({ status: status(['ready', 'ready', 'ready']) });
    store.set({ metrics: metrics(T + 5000, 24) });
    assert.deepEqual(states().map((x) => x.seq), [snap.seq, next.seq, next.seq + 1]);
    assert.deepEqual(states()[1]!.header, { ready: 3, total: 3, ipc: { score: 11, level: 'ok', summary: 'IPC 11 (sample)' }, profile: 'dev' });
    assert.equal(states()[2]!.header?.ipc.score, 24, 'the IPC of the newest sample, as the status bar');
    assert.equal(histories().length, 1);
    assert.deepEqual(source.calls.filter((c) => !c.startsWith('history')), ['subscribe']);
  });

  it('reads the history again when the epoch changes (reconnect, engine restart) and on a range change', async () => {
    const { feed, store, clock, posted, histories } = setup();
    store.set(connected(), true);
    feed.setVisible(true);
    await feed.receive(ready);
    assert.equal(histories().length, 1);
    store.set({ connection: { mode: 'embedded', engine: { pid: 11, owner: 'vscode' } } }, true);
    await settle();
    assert.equal(histories().length, 2, 'a new epoch: the history again, no hide/show needed');
    const h = posted.at(-1);
    assert.ok(h?.type === 'history' && h.history.range === '15m');

    await feed.receive({ type: 'requestHistory', range: '1h' });
    assert.deepEqual(histories().at(-1), `history ${clock.now() - 3_600_000}`);
    const last = posted.at(-1);
    assert.ok(last?.type === 'history' && last.history.range === '1h');
  });

  it('without an engine says so and why, with no numbers of a former engine, and reads no history until one is back', async () => {
    const { feed, store, states, histories, posted } = setup();
    store.set(connected(), true);
    feed.setVisible(true);
    await feed.receive(ready);
    const down = store.set(noEngine(), true);
    const s = states().at(-1)!;
    assert.deepEqual(s, { seq: down.seq, epoch: down.epoch, at: down.at, connection: { state: 'unavailable', mode: 'none', message: 'opsdeck.yaml:109:20: bad indentation' } });
    assert.equal(histories().length, 1, 'no history read without an engine');
    await feed.receive({ type: 'requestHistory', range: '5m' });
    assert.equal(histories().length, 1);

    // Not started at all: a plain reason.
    store.set({ connection: { mode: 'none' } });
    assert.equal(states().at(-1)!.connection.message, 'No engine is running.');

    posted.length = 0;
    store.set(connected(), true);
    await settle();
    assert.deepEqual(posted.map((m) => m.type), ['state', 'history'], 'back: the state and a fresh history at once');
  });

  it('tries a failed history again at the next snapshot, and drops a history of a former epoch', async () => {
    const { feed, store, source, posted, histories, logs } = setup();
    store.set(connected(), true);
    source.failing = new Error('the engine did not answer');
    feed.setVisible(true);
    await feed.receive(ready);
    store.set({ metrics: metrics(T + 5000) });
    await settle();
    assert.equal(histories().length, 2);
    assert.equal(logs.filter((l) => l.startsWith('history failed')).length, 1, 'logged once');
    assert.equal(posted.filter((m) => m.type === 'history').length, 0);
    source.failing = undefined;
    store.set({ metrics: metrics(T + 10_000) });
    await settle();
    assert.equal(posted.filter((m) => m.type === 'history').length, 1, 'loaded at the next sample: no endless "Loading history…"');

    source.holdAnswers();
    store.set({}, true);
    store.set({}, true);
    source.release();
    await settle();
    await settle();
    assert.equal(posted.filter((m) => m.type === 'history').length, 2, 'only the newest epoch\'s history is sent');
  });

  it('puts a restart on the timeline at once', async () => {
    const { feed, store, source, posted } = setup();
    store.set(connected(), true);
    feed.setVisible(true);
    await feed.receive(ready);
    posted.length = 0;
    source.emit({ type: 'restart', at: T, service: 'storage', attempt: 1, delayMs: 500, cause: 'crash', detail: 'exit code 1' });
    source.emit({ type: 'probe', at: T, service: 'storage', probe: 'liveness', ok: true, latencyMs: 1, failures: 0, threshold: 3 });
    assert.deepEqual(posted, [{ type: 'restart', restart: { at: T, service: 'storage', cause: 'crash', detail: 'exit code 1', attempt: 1 } }]);
  });

  it('takes the backups from the snapshot: "no backup yet" changes as soon as the store reads one', async () => {
    const { feed, store, states } = setup();
    store.set(connected({ backups: { services: [{ service: 'storage', rpoMs: 3_600_000 }] } as unknown as BackupStatus }), true);
    feed.setVisible(true);
    await feed.receive(ready);
    const before = states().at(-1)!.backups;
    assert.ok(before?.available && before.services[0]!.lastBackupAt === undefined);
    store.set({ backups: { services: [{ service: 'storage', rpoMs: 3_600_000, newest: { snapshot: 'a1', time: new Date(T).toISOString() } }] } as unknown as BackupStatus });
    const after = states().at(-1)!.backups;
    assert.ok(after?.available && after.services[0]!.lastBackupAt === T);
    store.set({ backupsError: 'repository locked' });
    assert.deepEqual(states().at(-1)!.backups, { available: false, reason: 'Backups could not be read: repository locked' });
    store.set({ backupsAvailable: false, backupsError: undefined });
    assert.deepEqual(states().at(-1)!.backups, { available: false, reason: 'This engine keeps no backups.' });
  });

  it('stops all work while hidden, drops answers that arrive after, and starts again when shown', async () => {
    const { feed, store, source, posted, states } = setup();
    store.set(connected(), true);
    feed.setVisible(true);
    source.holdAnswers();
    const loading = feed.receive(ready);
    feed.setVisible(false);
    assert.equal(feed.active, false);
    assert.equal(source.listeners.size, 0, 'unsubscribed from engine events');
    assert.equal(store.listeners, 0, 'unsubscribed from the store');
    const before = posted.length;
    source.release();
    await loading;
    assert.equal(posted.filter((m) => m.type === 'history').length, 0, 'the late history is dropped');
    store.set({ metrics: metrics(T + 5000) });
    source.emit({ type: 'restart', at: T, service: 'storage', attempt: 1, delayMs: 0, cause: 'crash', detail: '' });
    assert.equal(posted.length, before);

    const now = store.set({ status: status(['ready', 'ready', 'ready']) });
    feed.setVisible(true);
    await settle();
    assert.ok(feed.active);
    assert.equal(states().at(-1)!.seq, now.seq, 'the current snapshot on show');
    assert.equal(posted.at(-1)?.type, 'history');
  });

  it('runs the user\'s requests and reports how they went', async () => {
    const { feed, store, source, posted, logs } = setup();
    store.set(connected(), true);
    feed.setVisible(true);
    await feed.receive(ready);
    await feed.receive({ type: 'startService', name: 'api' });
    await feed.receive({ type: 'restartService', name: 'storage' });
    assert.deepEqual(source.ran, [{ type: 'startService', name: 'api' }, { type: 'restartService', name: 'storage' }]);
    assert.deepEqual(posted.at(-1), { type: 'commandResult', command: 'restartService', ok: true });
    source.runError = new OpsError('SERVICE_UNKNOWN', 'no service named "x"', 'the services are storage');
    await feed.receive({ type: 'restartService', name: 'x' });
    assert.deepEqual(posted.at(-1), { type: 'commandResult', command: 'restartService', ok: false, message: 'no service named "x" (the services are storage)' });
    assert.match(logs.at(-1)!, /restartService failed/);
  });

  it('refuses Backup now while the snapshot has no backups, and runs it when it has', async () => {
    const { feed, store, source, posted } = setup();
    store.set(connected({ backupsAvailable: false }), true);
    feed.setVisible(true);
    await feed.receive(ready);
    await feed.receive({ type: 'backupNow' });
    assert.deepEqual(source.ran, []);
    assert.deepEqual(posted.at(-1), { type: 'commandResult', command: 'backupNow', ok: false, message: 'Backups are not available for this stack yet.' });
    store.set({ backupsAvailable: true });
    await feed.receive({ type: 'backupNow' });
    assert.deepEqual(source.ran, [{ type: 'backupNow' }]);
    assert.deepEqual(posted.at(-1), { type: 'commandResult', command: 'backupNow', ok: true });
  });

  it('ignores and logs invalid messages from the webview', async () => {
    const { feed, source, logs, posted } = setup();
    feed.setVisible(true);
    for (const bad of [null, 'ready', { type: 'ready', protocol: 99 }, { type: 'runShell', cmd: 'rm -rf /' }, { type: 'openLogs', name: '' }]) await feed.receive(bad);
    assert.deepEqual(source.calls, []);
    assert.deepEqual(source.ran, []);
    assert.deepEqual(posted, []);
    assert.equal(logs.length, 5);
    assert.ok(logs.every((l) => l.startsWith('ignored an invalid webview → host message')));
  });

  it('stops for good when disposed', async () => {
    const { feed, store, source, posted } = setup();
    store.set(connected(), true);
    feed.setVisible(true);
    await feed.receive(ready);
    feed.dispose();
    source.calls = [];
    posted.length = 0;
    feed.setVisible(true);
    await feed.receive(ready);
    store.set({}, true);
    assert.deepEqual(source.calls, []);
    assert.deepEqual(posted, []);
    assert.equal(source.listeners.size, 0);
    assert.equal(store.listeners, 0);
  });
});
