/**
 * The extension's one state model (src/extension/state/stack-store.ts) with a fake connection
 * (no engine, no VS Code): snapshots follow the connection, carry the newest IPC score, clear
 * everything without an engine, and start a new epoch on a reconnect or an engine restart.
 */
import assert from 'node:assert/strict';
import type { BackupStatus, EngineEvent, EngineStatus, ProfilesInfo, StackMetrics } from '../../src/core/contract';
import { Emitter } from '../../src/extension/emitter';
import { currentIpc, StackStore, type StackSnapshot, type StoreConnection, type StoreTimers } from '../../src/extension/state/stack-store';
import type { ConnectionInfo } from '../../src/extension/status-model';

const status = (score: number): EngineStatus => ({
  stack: 'demo',
  dir: '/tmp/demo',
  profile: undefined,
  services: [],
  health: { level: 'OK', summary: '0/0 OK', services: [] },
  ipc: { score, level: 'ok', summary: `IPC ${score}` },
  engine: { pid: 1, startedAt: 0 },
});

const metrics = (score: number): StackMetrics => ({
  at: 1,
  intervalMs: 5000,
  windowMs: 60_000,
  services: [],
  ipc: { score, level: 'ok', summary: `IPC ${score} (sample)`, worst: undefined, thresholds: { warn: 70, critical: 90 } },
});

class FakeConnection implements StoreConnection {
  info: ConnectionInfo = { mode: 'none', problem: 'not started' };
  status: EngineStatus | undefined;
  profiles: ProfilesInfo | undefined;
  backupsAvailable = true;
  sample = metrics(7);
  client = { metrics: async () => this.sample, backupStatus: async () => ({ services: [] }) as unknown as BackupStatus };
  readonly statusE = new Emitter<EngineStatus | undefined>();
  readonly profilesE = new Emitter<ProfilesInfo | undefined>();
  readonly modeE = new Emitter<ConnectionInfo['mode']>();
  readonly eventE = new Emitter<EngineEvent>();
  readonly failE = new Emitter<{ message: string }>();
  onDidChangeStatus = this.statusE.event;
  onDidChangeProfiles = this.profilesE.event;
  onDidChangeMode = this.modeE.event;
  onDidReceiveEvent = this.eventE.event;
  onDidFail = this.failE.event;
  refresh = async () => this.status;

  connect(pid: number, s: EngineStatus): void {
    this.info = { mode: 'attach', engine: { pid, owner: 'daemon' } };
    this.status = s;
    this.modeE.fire('attach');
  }
}

const manualTimers = (): StoreTimers & { tick(): void } => {
  const fns = new Map<number, () => void>();
  let id = 0;
  return {
    setInterval: (fn) => (fns.set(++id, fn), id),
    clearInterval: (h) => void fns.delete(h as number),
    now: () => 1000,
    tick: () => [...fns.values()].forEach((f) => f()),
  };
};

const settle = () => new Promise((r) => setImmediate(r));

describe('extension state store', () => {
  it('follows the connection: cleared without an engine, a new epoch and a resync on connect', async () => {
    const conn = new FakeConnection();
    const timers = manualTimers();
    const store = new StackStore(conn, { timers });
    const seen: StackSnapshot[] = [];
    store.onDidChange((s) => seen.push(s));
    assert.equal(store.snapshot.status, undefined);
    assert.equal(store.snapshot.connection.problem, 'not started');

    conn.connect(100, status(3));
    await settle();
    const s = store.snapshot;
    assert.equal(s.epoch, 2);
    assert.equal(s.status?.stack, 'demo');
    assert.equal(s.metrics?.ipc.score, 7, 'the metrics sample is read at once');
    assert.deepEqual(currentIpc(s), { score: 7, level: 'ok', summary: 'IPC 7 (sample)' }, 'the newest IPC wins over the status');
    assert.ok(s.backups, 'backups read on connect');
    assert.ok(seen.every((x, i) => i === 0 || x.seq > seen[i - 1]!.seq), 'seq only grows');

    conn.sample = metrics(42);
    timers.tick();
    await settle();
    assert.equal(currentIpc(store.snapshot)?.score, 42, 'the periodic sample updates the IPC score');

    conn.info = { mode: 'none', problem: 'the engine exited' };
    conn.modeE.fire('none');
    assert.equal(store.snapshot.status, undefined);
    assert.equal(store.snapshot.metrics, undefined);
    assert.equal(store.snapshot.connection.problem, 'the engine exited');
    // A late status (an answer in flight) never brings an absent engine back.
    conn.statusE.fire(status(9));
    assert.equal(store.snapshot.status, undefined);
    store.dispose();
  });

  it('an engine restart behind the same connection starts a new epoch', async () => {
    const conn = new FakeConnection();
    const store = new StackStore(conn, { timers: manualTimers() });
    conn.connect(100, status(1));
    await settle();
    const epoch = store.snapshot.epoch;
    conn.info = { mode: 'attach', engine: { pid: 200, owner: 'daemon' } };
    conn.statusE.fire(status(2));
    assert.equal(store.snapshot.epoch, epoch + 1);
    assert.equal(store.snapshot.status?.ipc.score, 2);
    store.dispose();
  });
});
