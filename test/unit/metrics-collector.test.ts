import assert from 'node:assert/strict';
import { FakeClock } from '../../src/core/clock';
import { EventBus } from '../../src/core/events';
import { FDS_EVERY, MetricsCollector, type IpcLevelChange, type MetricsCollectorOptions } from '../../src/core/metrics/collector';
import type { ProcInfo } from '../../src/core/supervisor/process-table';
import type { ServiceState } from '../../src/core/contract/events';
import type { ServiceSnapshot } from '../../src/core/contract/status';

const snap = (name: string, state: ServiceState, extra: Partial<ServiceSnapshot> = {}): ServiceSnapshot => ({
  name, state, reason: state, since: 0, pid: undefined, restarts: 0, attempt: 0, startedAt: undefined,
  completed: false, lastExit: undefined, lastProbe: {}, lastCheck: undefined, rssMb: undefined, ...extra,
});

function probe(bus: EventBus, clock: FakeClock, service: string, latencyMs: number, ok = true, at = clock.now()) {
  bus.emit({ type: 'probe', service, at, probe: 'liveness', ok, latencyMs, failures: 0, threshold: 3 });
}

describe('MetricsCollector', () => {
  it('samples this very process from /proc: RSS, open fds, uptime, probe stats, IPC, then CPU', async () => {
    const clock = new FakeClock();
    const bus = new EventBus();
    const changes: IpcLevelChange[] = [];
    const startedAt = clock.now() - 30_000;
    const c = new MetricsCollector({
      bus, clock, onIpcLevel: (t) => changes.push(t),
      snapshot: () => [snap('api', 'ready', { pid: process.pid, startedAt, restarts: 1 }), snap('idle', 'stopped')],
    });
    // 20 probes over the last 20 s: latencies 10..200 ms, the first one failed.
    for (let i = 0; i < 20; i++) probe(bus, clock, 'api', 10 * (i + 1), i !== 0, clock.now() - (20 - i) * 1000);
    await c.sampleNow();

    const m = c.current();
    assert.equal(m.at, clock.now());
    const api = m.services.find((s) => s.service === 'api')!;
    assert.ok(api.rssMb !== undefined && api.rssMb > 0, `rss ${api.rssMb}`);
    if (process.platform === 'linux') assert.ok(api.openFds !== undefined && api.openFds > 0, `fds ${api.openFds}`);
    assert.equal(api.cpuPercent, undefined, 'no CPU % before a second sample');
    assert.deepEqual(
      { up: api.up, uptime: api.uptimeSec, restarts: api.restarts, n: api.probeCount, failed: api.probeFailures, rate: api.probeFailureRate, p50: api.probeP50Ms, p95: api.probeP95Ms },
      { up: true, uptime: 30, restarts: 1, n: 20, failed: 1, rate: 0.05, p50: 110, p95: 200 },
    );
    // latency 200/250 = 0.8 beats failures 0.05/0.1 = 0.5
    assert.deepEqual([m.ipc.score, m.ipc.level, m.ipc.summary], [80, 'warn', 'IPC 80: api p95 200 ms < budget 250 ms']);
    assert.deepEqual(changes.map((t) => [t.from, t.to, t.score, t.at]), [['ok', 'warn', 80, clock.now()]]);
    const idle = m.services.find((s) => s.service === 'idle')!;
    assert.deepEqual([idle.up, idle.rssMb, idle.openFds, idle.uptimeSec, idle.ipc.pressure], [false, undefined, undefined, undefined, undefined]);

    const end = Date.now() + 30;
    while (Date.now() < end) Math.sqrt(Math.random());
    await clock.advance(5000);
    await c.sampleNow();
    const again = c.current().services.find((s) => s.service === 'api')!;
    assert.ok(again.cpuPercent !== undefined && again.cpuPercent >= 0, `cpu ${again.cpuPercent}`);
    assert.equal(again.uptimeSec, 35);
    assert.equal(c.history('api', 'rssMb').length, 2);
    assert.deepEqual(c.history('api', 'cpuPercent').map((s) => s.at), [clock.now()]);
    assert.deepEqual(c.ipcHistory().map((s) => s.value), [80, 80]);
    assert.equal(changes.length, 1, 'no new notification while the level holds');
    c.stop();
  });

  describe('on a fake process table', () => {
    let clock: FakeClock;
    let bus: EventBus;
    let snapshots: ServiceSnapshot[];
    let changes: IpcLevelChange[];
    let reads: number;
    const t0 = Date.UTC(2026, 0, 1);

    /** storage: pid 10 with a child 11, 250 ms CPU per 5 s between them; api: pid 20, idle. */
    const table = async (): Promise<ProcInfo[]> => {
      reads++;
      const cpu = ((clock.now() - t0) / 5000) * 125;
      return [
        { pid: 1, ppid: 0, pgid: 1, rssKb: 100, cpuMs: 1e6 },
        { pid: 10, ppid: 1, pgid: 10, rssKb: 2048, cpuMs: 1000 + cpu },
        { pid: 11, ppid: 10, pgid: 10, rssKb: 1024, cpuMs: 500 + cpu },
        { pid: 20, ppid: 1, pgid: 20, rssKb: 4096, cpuMs: 700 },
      ];
    };

    function collector(extra: Partial<MetricsCollectorOptions> = {}) {
      return new MetricsCollector({
        bus, clock, snapshot: () => snapshots, processTable: table, openFds: async (pid) => pid, onIpcLevel: (t) => changes.push(t), ...extra,
      });
    }

    beforeEach(() => {
      clock = new FakeClock(t0);
      bus = new EventBus();
      changes = [];
      reads = 0;
      snapshots = [
        snap('storage', 'ready', { pid: 10, startedAt: t0 }),
        snap('api', 'ready', { pid: 20, startedAt: t0, restarts: 3 }),
        snap('worker', 'stopped'),
      ];
    });

    it('samples at start and every 5 s on the clock, one table read per sample, until stopped', async () => {
      const c = collector();
      c.start();
      assert.deepEqual(clock.pending(), [0]);
      await clock.advance(0);
      await clock.advance(12_000);
      assert.deepEqual(c.ipcHistory().map((s) => s.at - t0), [0, 5000, 10_000]);
      assert.equal(reads, 3);
      assert.deepEqual(clock.pending(), [3000]);

      const storage = c.current().services.find((s) => s.service === 'storage')!;
      assert.deepEqual(
        { cpu: storage.cpuPercent, rss: storage.rssMb, fds: storage.openFds, uptime: storage.uptimeSec },
        { cpu: 5, rss: 3, fds: 21, uptime: 10 },
      );
      assert.deepEqual(c.history('storage', 'cpuPercent').map((s) => [s.at - t0, s.value]), [[5000, 5], [10_000, 5]]);
      assert.deepEqual(c.history('storage', 'rssMb', t0 + 5000).map((s) => s.value), [3, 3]);
      assert.deepEqual(c.history('api', 'restarts').map((s) => s.value), [3, 3, 3]);
      assert.equal(c.current().services.find((s) => s.service === 'api')!.cpuPercent, 0);
      assert.deepEqual(c.history('worker', 'rssMb'), []);
      assert.deepEqual(c.history('nope', 'rssMb'), []);

      c.stop();
      assert.deepEqual(clock.pending(), []);
      await clock.advance(60_000);
      assert.equal(reads, 3);
    });

    it('reports IPC level changes on crossing only, with the worst service and why', async () => {
      const c = collector();
      c.start();
      await clock.advance(0);
      for (let i = 0; i < 10; i++) probe(bus, clock, 'storage', 20);
      for (let i = 0; i < 10; i++) probe(bus, clock, 'api', 480);
      await clock.advance(5000);
      assert.equal(c.current().ipc.summary, 'IPC 100: api p95 480 ms > budget 250 ms');
      await clock.advance(20_000);
      assert.deepEqual(changes.map((t) => `${t.from}>${t.to}@${t.score}`), ['ok>critical@100'], 'once, not on every sample');
      assert.equal(changes[0]!.ipc.worst?.service, 'api');
      assert.equal(changes[0]!.ipc.worst?.dominant, 'latency');
      assert.deepEqual(changes[0]!.thresholds, { warn: 70, critical: 90 });

      // The slow probes leave the 60 s window; storage's are gone as well: no samples, score 0.
      await clock.advance(40_000);
      assert.deepEqual(changes.map((t) => `${t.from}>${t.to}@${t.score}`), ['ok>critical@100', 'critical>ok@0']);
      assert.equal(c.current().ipc.summary, 'IPC 0: no probe results');
      assert.equal(c.current().ipc.level, 'ok');
      c.stop();
    });

    it('takes latency budgets and thresholds from its options', async () => {
      let thresholds = { warn: 50, critical: 95 };
      const c = collector({ latencyBudgetMs: (s) => (s === 'api' ? 1000 : undefined), thresholds: () => thresholds });
      for (let i = 0; i < 10; i++) probe(bus, clock, 'api', 600);
      for (let i = 0; i < 10; i++) probe(bus, clock, 'storage', 100);
      await c.sampleNow();
      assert.deepEqual([c.current().ipc.score, c.current().ipc.level], [60, 'warn']);
      assert.equal(c.current().ipc.summary, 'IPC 60: api p95 600 ms < budget 1000 ms');
      thresholds = { warn: 70, critical: 90 };
      await c.sampleNow();
      assert.equal(c.current().ipc.level, 'ok', '60 is 10 below the new warn threshold');
      assert.deepEqual(changes.map((t) => `${t.from}>${t.to}`), ['ok>warn', 'warn>ok']);
      c.stop();
    });

    it('includes a declared backlog', async () => {
      const c = collector({ backlog: (s) => (s === 'storage' ? { value: 45, budget: 50, unit: 'jobs' } : undefined) });
      await c.sampleNow();
      assert.equal(c.current().ipc.summary, 'IPC 90: storage backlog 45 jobs < budget 50 jobs');
      assert.equal(changes[0]?.to, 'critical');
      c.stop();
    });

    it('ignores probes while a service starts, and forgets them when it is stopped', async () => {
      const c = collector();
      bus.emit({ type: 'state', service: 'api', at: clock.now(), from: 'stopped', to: 'starting', reason: 'start requested' });
      for (let i = 0; i < 5; i++) probe(bus, clock, 'api', 2, false);
      bus.emit({ type: 'state', service: 'api', at: clock.now(), from: 'starting', to: 'ready', reason: 'readiness passed' });
      probe(bus, clock, 'api', 30);
      await c.sampleNow();
      let api = c.current().services.find((s) => s.service === 'api')!;
      assert.deepEqual([api.probeCount, api.probeFailures, c.current().ipc.score], [1, 0, 12]);

      probe(bus, clock, 'api', 2, false);
      bus.emit({ type: 'state', service: 'api', at: clock.now(), from: 'ready', to: 'stopping', reason: 'stop' });
      bus.emit({ type: 'state', service: 'api', at: clock.now(), from: 'stopping', to: 'stopped', reason: 'stopped on request' });
      await c.sampleNow();
      api = c.current().services.find((s) => s.service === 'api')!;
      assert.deepEqual([api.probeCount, c.current().ipc.score], [0, 0]);
      c.stop();
    });

    it('learns a starting service from the snapshot when the bus has not said', async () => {
      snapshots = [snap('api', 'starting', { pid: 20, startedAt: t0 })];
      const c = collector();
      probe(bus, clock, 'api', 5, false);
      assert.equal(c.current().services[0]!.probeCount, 0);
      c.stop();
    });

    it('current() before any sample: no process numbers yet, probe stats already', () => {
      const c = collector();
      probe(bus, clock, 'api', 100);
      const m = c.current();
      assert.equal(m.at, t0);
      const api = m.services.find((s) => s.service === 'api')!;
      assert.deepEqual([api.rssMb, api.cpuPercent, api.probeP95Ms, m.ipc.score, m.ipc.level], [undefined, undefined, 100, 40, 'ok']);
      assert.equal(c.ipcHistory().length, 0, 'current() does not record a sample');
      c.stop();
    });

    it('joins a sample in progress instead of reading twice; a failed table read leaves process numbers unknown', async () => {
      const c = collector();
      await Promise.all([c.sampleNow(), c.sampleNow()]);
      assert.equal(reads, 1);
      const broken = collector({ processTable: () => Promise.reject(new Error('EACCES')) });
      await broken.sampleNow();
      assert.equal(broken.current().services[0]!.rssMb, undefined);
      c.stop();
      broken.stop();
    });

    it(`counts open fds every ${FDS_EVERY}th sample, and at once for a new process; reports the last count in between`, async () => {
      const counted: number[] = [];
      let fdsPerPid = 1;
      const c = collector({ openFds: async (pid) => (counted.push(pid), pid * fdsPerPid) });
      const fdsOf = (service: string) => c.current().services.find((s) => s.service === service)!.openFds;
      await c.sampleNow();
      assert.deepEqual(counted.sort(), [10, 11, 20]);
      assert.deepEqual([fdsOf('storage'), fdsOf('api')], [21, 20]);
      fdsPerPid = 2;
      counted.length = 0;
      for (let i = 1; i < FDS_EVERY; i++) await c.sampleNow();
      assert.deepEqual(counted, [], 'not counted in between');
      assert.deepEqual([fdsOf('storage'), fdsOf('api')], [21, 20], 'the last count');
      assert.deepEqual(c.history('storage', 'openFds').map((s) => s.value), Array(FDS_EVERY).fill(21), 'no gaps in the history');

      snapshots = [snap('storage', 'ready', { pid: 10, startedAt: t0 }), snap('api', 'ready', { pid: 11, startedAt: t0 })]; // api restarted
      await c.sampleNow();
      assert.deepEqual([fdsOf('storage'), fdsOf('api')], [42, 22], `sample ${FDS_EVERY + 1} counts everything again`);
      fdsPerPid = 3;
      snapshots = [snap('storage', 'ready', { pid: 10, startedAt: t0 }), snap('api', 'ready', { pid: 20, startedAt: t0 })];
      counted.length = 0;
      await c.sampleNow();
      assert.deepEqual(counted, [20], 'only the new process is counted');
      assert.deepEqual([fdsOf('storage'), fdsOf('api')], [42, 60]);
      c.stop();
    });

    it('keeps at most historySize points per series', async () => {
      const c = collector({ historySize: 3 });
      c.start();
      await clock.advance(30_000);
      assert.deepEqual(c.ipcHistory().map((s) => s.at - t0), [20_000, 25_000, 30_000]);
      assert.equal(c.history('storage', 'rssMb').length, 3);
      assert.deepEqual(c.ipcHistory(t0 + 25_000).map((s) => s.at - t0), [25_000, 30_000]);
      c.stop();
    });

    it('stop then start again does not double the sampling loop', async () => {
      const c = collector();
      c.start();
      c.stop();
      c.start();
      await clock.advance(20_000);
      assert.deepEqual(c.ipcHistory().map((s) => s.at - t0), [0, 5000, 10_000, 15_000, 20_000]);
      assert.equal(clock.pending().length, 1);
      c.stop();
    });
  });
});
