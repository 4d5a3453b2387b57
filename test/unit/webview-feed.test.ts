import assert from 'node:assert/strict';
import { FakeClock } from '../../src/core/clock';
import { MetricsFeed } from '../../src/extension/metrics-view/metrics-feed';
import type { MetricsSource } from '../../src/extension/metrics-view/metrics-source';
import { OpsError } from '../../src/core/errors';
import { PROTOCOL_VERSION, parseHostMessage, type BackupsInfo, type HostMessage, type SidebarCommand } from '../../src/shared/protocol';
import type { EngineStatus } from '../../src/core/contract/status';
import type { MetricsHistory, StackMetrics } from '../../src/core/contract/metrics';
import type { EngineEvent } from '../../src/core/contract/events';

const status = (at: number): EngineStatus => ({
  stack: 's',
  dir: '/s',
  profile: 'dev',
  services: [{ name: 'storage', state: 'ready', reason: 'ready', since: at, pid: 1, restarts: 0, attempt: 0, startedAt: at - 1000, completed: false, lastExit: undefined, lastProbe: {}, lastCheck: undefined, rssMb: undefined, tier: 'storage', inProfile: true, health: 'OK' }],
  health: { level: 'OK', summary: '1/1 OK', services: [] },
  ipc: { score: 3, level: 'ok', summary: 'IPC 3' },
  engine: { pid: 1, startedAt: at - 5000 },
});

const metrics = (at: number, intervalMs = 5000): StackMetrics =>
  ({
    at,
    intervalMs,
    windowMs: 60_000,
    services: [{ service: 'storage', state: 'ready', up: true, pid: 1, cpuPercent: 1, rssMb: 10, openFds: 3, uptimeSec: 1, restarts: 0, probeCount: 0, probeFailures: 0, probeFailureRate: undefined, probeP50Ms: undefined, probeP95Ms: undefined }],
    ipc: { score: 3, worst: undefined, summary: 'IPC 3', level: 'ok', thresholds: { warn: 70, critical: 90 } },
  }) as unknown as StackMetrics;

const history = (at: number, since: number): MetricsHistory => ({ at, since, intervalMs: 5000, thresholds: { warn: 70, critical: 90 }, services: { storage: { cpuPercent: [[at, 1]] } }, ipc: [[at, 3]], restarts: [] });

/** A source that records every call and can be told to fail or hold its answers. */
class FakeSource implements MetricsSource {
  calls: string[] = [];
  listeners = new Set<(e: EngineEvent) => void>();
  failing: Error | undefined;
  /** While set, answers wait for release(). */
  hold: Promise<void> | undefined;
  private releaseHold: (() => void) | undefined;
  ran: SidebarCommand[] = [];
  runError: Error | undefined;
  backups?: () => Promise<BackupsInfo>;

  constructor(private readonly clock: FakeClock) {}

  holdAnswers(): void {
    this.hold = new Promise((r) => (this.releaseHold = r));
  }
  release(): void {
    this.releaseHold?.();
    this.hold = undefined;
  }
  private async answer<T>(name: string, value: () => T): Promise<T> {
    this.calls.push(name);
    if (this.hold) await this.hold;
    if (this.failing) throw this.failing;
    return value();
  }
  status = () => this.answer('status', () => status(this.clock.now()));
  profiles = () => this.answer('profiles', () => ({ active: 'dev', profiles: [{ name: 'dev', services: ['storage'] }] }));
  metrics = () => this.answer('metrics', () => metrics(this.clock.now()));
  history = (since: number) => this.answer(`history ${since}`, () => history(this.clock.now(), since));
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

function setup(opts: { backups?: () => Promise<BackupsInfo> } = {}) {
  const clock = new FakeClock();
  const source = new FakeSource(clock);
  if (opts.backups) source.backups = opts.backups;
  const posted: HostMessage[] = [];
  const logs: string[] = [];
  const feed = new MetricsFeed({
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
  return { clock, source, feed, posted, logs, types };
}

const ready = { type: 'ready', protocol: PROTOCOL_VERSION } as const;
const settle = () => new Promise<void>((r) => setImmediate(r));

describe('webview host: the metrics feed', () => {
  it('does nothing until the view is visible and its webview has loaded', async () => {
    const { feed, source, clock, posted } = setup();
    feed.setVisible(true);
    await clock.advance(60_000);
    assert.deepEqual(source.calls, []);
    assert.deepEqual(posted, []);
    feed.setVisible(false);
    await feed.receive(ready);
    await clock.advance(60_000);
    assert.deepEqual(source.calls, [], 'a ready while hidden starts nothing');
  });

  it('on ready, sends status, a sample, the history of the range and backups, then polls at the engine\'s interval', async () => {
    const { feed, source, clock, posted, types } = setup();
    feed.setVisible(true);
    await feed.receive({ ...ready, range: '5m' });
    assert.ok(feed.active);
    assert.deepEqual(types().sort(), ['backups', 'connection', 'history', 'metrics', 'status']);
    assert.deepEqual(posted.find((m) => m.type === 'backups'), { type: 'backups', backups: { available: false, reason: 'This engine keeps no backups yet.' } });
    const h = posted.find((m) => m.type === 'history');
    assert.ok(h?.type === 'history' && h.history.range === '5m' && h.history.since === clock.now() - 300_000);
    assert.ok(source.calls.includes(`history ${clock.now() - 300_000}`));

    source.calls = [];
    posted.length = 0;
    await clock.advance(4999);
    assert.deepEqual(source.calls, []);
    await clock.advance(1);
    assert.deepEqual(source.calls, ['metrics']);
    assert.deepEqual(types(), ['metrics']);
    await clock.advance(15_000);
    assert.equal(source.calls.filter((c) => c === 'metrics').length, 4);
  });

  it('stops all work while hidden, drops answers that arrive after, and starts again when shown', async () => {
    const { feed, source, clock, posted } = setup();
    feed.setVisible(true);
    await feed.receive(ready);
    source.holdAnswers();
    await clock.advance(5000); // a poll now waits for its answer
    feed.setVisible(false);
    assert.equal(feed.active, false);
    assert.equal(source.listeners.size, 0, 'unsubscribed from engine events');
    assert.deepEqual(clock.pending(), [], 'no timer left');
    const before = posted.length;
    source.release();
    await settle();
    assert.equal(posted.length, before, 'the late answer is dropped');
    source.calls = [];
    await clock.advance(10 * 60_000);
    assert.deepEqual(source.calls, [], 'nothing asked while hidden');
    source.emit({ type: 'restart', at: clock.now(), service: 'storage', attempt: 1, delayMs: 0, cause: 'crash', detail: '' });
    assert.equal(posted.length, before);

    feed.setVisible(true);
    await settle();
    assert.ok(feed.active);
    assert.deepEqual(source.calls.filter((c) => c === 'subscribe'), ['subscribe']);
    assert.ok(posted.length > before, 'fresh data on show');
  });

  it('sends a restart at once and reads the status again once per burst of events', async () => {
    const { feed, source, clock, posted, types } = setup();
    feed.setVisible(true);
    await feed.receive(ready);
    posted.length = 0;
    source.calls = [];
    const at = clock.now();
    source.emit({ type: 'restart', at, service: 'storage', attempt: 1, delayMs: 500, cause: 'crash', detail: 'exit code 1' });
    source.emit({ type: 'state', at, service: 'storage', from: 'ready', to: 'backoff', reason: 'crashed' });
    source.emit({ type: 'probe', at, service: 'storage', probe: 'liveness', ok: true, latencyMs: 1, failures: 0, threshold: 3 });
    source.emit({ type: 'spawn', at, service: 'storage', pid: 2, command: ['node'] });
    assert.deepEqual(types(), ['restart']);
    assert.deepEqual(posted[0], { type: 'restart', restart: { at, service: 'storage', cause: 'crash', detail: 'exit code 1', attempt: 1 } });
    await clock.advance(250);
    assert.deepEqual(source.calls, ['status', 'profiles']);
    assert.deepEqual(types(), ['restart', 'status']);
  });

  it('answers requestHistory with the history of that range', async () => {
    const { feed, source, clock, posted } = setup();
    feed.setVisible(true);
    await feed.receive(ready);
    posted.length = 0;
    await feed.receive({ type: 'requestHistory', range: '1h' });
    assert.equal(posted.length, 1);
    assert.ok(posted[0]?.type === 'history' && posted[0].history.range === '1h');
    assert.ok(source.calls.includes(`history ${clock.now() - 3_600_000}`));
  });

  it('runs the user\'s requests and reports how they went', async () => {
    const { feed, source, posted, logs } = setup();
    feed.setVisible(true);
    await feed.receive(ready);
    posted.length = 0;
    await feed.receive({ type: 'restartService', name: 'storage' });
    assert.deepEqual(source.ran, [{ type: 'restartService', name: 'storage' }]);
    assert.deepEqual(posted.at(-1), { type: 'commandResult', command: 'restartService', ok: true });
    source.runError = new OpsError('SERVICE_UNKNOWN', 'no service named "x"', 'the services are storage');
    await feed.receive({ type: 'restartService', name: 'x' });
    assert.deepEqual(posted.at(-1), { type: 'commandResult', command: 'restartService', ok: false, message: 'no service named "x" (the services are storage)' });
    assert.match(logs.at(-1)!, /restartService failed/);
  });

  it('refuses Backup now while the engine has no backups, and runs it when it has', async () => {
    const { feed, source, posted } = setup();
    feed.setVisible(true);
    await feed.receive(ready);
    await feed.receive({ type: 'backupNow' });
    assert.deepEqual(source.ran, []);
    assert.deepEqual(posted.at(-1), { type: 'commandResult', command: 'backupNow', ok: false, message: 'Backups are not available for this stack yet.' });

    let asked = 0;
    const withBackups = setup({ backups: async () => (asked++, { available: true, at: 1, services: [{ service: 'storage', lastBackupAt: 1, rpoMs: 60_000 }] }) });
    withBackups.feed.setVisible(true);
    await withBackups.feed.receive(ready);
    await withBackups.feed.receive({ type: 'backupNow' });
    assert.deepEqual(withBackups.source.ran, [{ type: 'backupNow' }]);
    await settle();
    assert.equal(asked, 2, 'backups read again after the backup');
    await withBackups.clock.advance(60_000);
    assert.equal(asked, 3, 'and every minute while visible');
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

  it('says once when the engine stops answering, and again when it is back', async () => {
    const { feed, source, clock, posted } = setup();
    feed.setVisible(true);
    source.failing = new Error('the engine did not answer');
    await feed.receive(ready);
    await clock.advance(15_000);
    const conn = () => posted.filter((m) => m.type === 'connection');
    assert.deepEqual(conn(), [{ type: 'connection', state: 'unavailable', message: 'the engine did not answer' }]);
    assert.ok(source.calls.filter((c) => c === 'metrics').length >= 3, 'still polling while visible');
    source.failing = undefined;
    await clock.advance(5000);
    assert.deepEqual(conn().at(-1), { type: 'connection', state: 'connected' });
  });

  it('stops for good when disposed', async () => {
    const { feed, source, clock } = setup();
    feed.setVisible(true);
    await feed.receive(ready);
    feed.dispose();
    source.calls = [];
    feed.setVisible(true);
    await feed.receive(ready);
    await clock.advance(60_000);
    assert.deepEqual(source.calls, []);
    assert.equal(source.listeners.size, 0);
  });
});
