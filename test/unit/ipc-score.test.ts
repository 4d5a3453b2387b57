import assert from 'node:assert/strict';
import { DEFAULT_LATENCY_BUDGET_MS, IpcLevelTracker, ipcScore, servicePressure, type ProbeSample } from '../../src/core/metrics/ipc-score';
import type { BacklogReading, IpcLevel, PressureTerm } from '../../src/core/contract/metrics';

const NOW = Date.UTC(2026, 0, 1, 12);

/** `n` probes spread over the last 50 s, with the given latencies (cycled) and failures first. */
function probes(latencies: number[], failed = 0, n = latencies.length): ProbeSample[] {
  return Array.from({ length: n }, (_, i) => ({ at: NOW - 50_000 + i * Math.floor(50_000 / n), ok: i >= failed, latencyMs: latencies[i % latencies.length]! }));
}
const repeat = (v: number, n: number) => Array.from({ length: n }, () => v);

describe('IPC score', () => {
  describe('servicePressure + ipcScore: one service', () => {
    const cases: {
      name: string;
      probes: ProbeSample[];
      budget?: number;
      backlog?: BacklogReading;
      score: number;
      dominant: PressureTerm | undefined;
      detail: string;
    }[] = [
      {
        name: 'latency-dominated, over budget',
        probes: probes([...repeat(100, 18), 480, 480]),
        score: 100, dominant: 'latency', detail: 'storage p95 480 ms > budget 250 ms',
      },
      {
        name: 'latency-dominated, under budget',
        probes: probes([...repeat(20, 19), 200]),
        score: 8, dominant: 'latency', detail: 'storage p95 20 ms < budget 250 ms',
      },
      {
        name: 'latency at 80 % of budget',
        probes: probes([...repeat(50, 10), ...repeat(200, 10)]),
        score: 80, dominant: 'latency', detail: 'storage p95 200 ms < budget 250 ms',
      },
      {
        name: 'latency with a configured budget',
        probes: probes(repeat(300, 10)),
        budget: 1000,
        score: 30, dominant: 'latency', detail: 'storage p95 300 ms < budget 1000 ms',
      },
      {
        name: 'a budget that is not > 0 falls back to the default',
        probes: probes(repeat(125, 10)),
        budget: 0,
        score: 50, dominant: 'latency', detail: 'storage p95 125 ms < budget 250 ms',
      },
      {
        name: 'failure-dominated: 1 of 20 failed is half the 10 % budget',
        probes: probes(repeat(25, 20), 1),
        score: 50, dominant: 'failures', detail: 'storage 1 of 20 probes failed (5% < 10%)',
      },
      {
        name: 'failure-dominated, capped: 3 of 20 failed',
        probes: probes(repeat(25, 20), 3),
        score: 100, dominant: 'failures', detail: 'storage 3 of 20 probes failed (15% > 10%)',
      },
      {
        name: 'all probes failing: no latency term, failures decide',
        probes: probes(repeat(1000, 5), 5),
        score: 100, dominant: 'failures', detail: 'storage 5 of 5 probes failed (100% > 10%)',
      },
      {
        name: 'backlog-dominated',
        probes: probes(repeat(25, 10)),
        backlog: { value: 600, budget: 1000, unit: 'messages' },
        score: 60, dominant: 'backlog', detail: 'storage backlog 600 messages < budget 1000 messages',
      },
      {
        name: 'backlog alone (no probes) still counts',
        probes: [],
        backlog: { value: 1500, budget: 1000 },
        score: 100, dominant: 'backlog', detail: 'storage backlog 1500 > budget 1000',
      },
      {
        name: 'a backlog budget that is not > 0 is ignored',
        probes: probes(repeat(25, 10)),
        backlog: { value: 5, budget: 0 },
        score: 10, dominant: 'latency', detail: 'storage p95 25 ms < budget 250 ms',
      },
      {
        name: 'capped at 100 however far over budget',
        probes: probes(repeat(25_000, 10)),
        score: 100, dominant: 'latency', detail: 'storage p95 25000 ms > budget 250 ms',
      },
      {
        name: 'exactly at budget is 100',
        probes: probes(repeat(250, 10)),
        score: 100, dominant: 'latency', detail: 'storage p95 250 ms = budget 250 ms',
      },
      {
        name: 'rounds half up despite binary fractions (0.145 → 15)',
        probes: probes(repeat(36.25, 10)),
        score: 15, dominant: 'latency', detail: 'storage p95 36 ms < budget 250 ms',
      },
      {
        name: 'sub-10 ms latencies keep one decimal',
        probes: probes(repeat(2.54, 4)),
        score: 1, dominant: 'latency', detail: 'storage p95 2.5 ms < budget 250 ms',
      },
      {
        name: 'empty: no samples, score 0',
        probes: [],
        score: 0, dominant: undefined, detail: 'storage: no probe results in the last 60 s',
      },
      {
        name: 'probes outside the 60 s window do not count',
        probes: [{ at: NOW - 60_000, ok: false, latencyMs: 5000 }, { at: NOW + 1, ok: false, latencyMs: 5000 }],
        score: 0, dominant: undefined, detail: 'storage: no probe results in the last 60 s',
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const p = servicePressure({
          service: 'storage', probes: c.probes, now: NOW,
          ...(c.budget !== undefined ? { latencyBudgetMs: c.budget } : {}),
          ...(c.backlog ? { backlog: c.backlog } : {}),
        });
        const s = ipcScore([p]);
        assert.equal(s.score, c.score);
        assert.equal(p.dominant, c.dominant);
        assert.equal(p.detail, c.detail);
        assert.equal(s.worst, c.dominant ? p : undefined);
        assert.equal(s.summary, c.dominant ? `IPC ${c.score}: ${c.detail}` : 'IPC 0: no probe results');
      });
    }

    it('reports every term, the window counts and the latency percentiles of successful probes', () => {
      const p = servicePressure({
        service: 'api', now: NOW,
        probes: [
          { at: NOW - 70_000, ok: false, latencyMs: 9000 }, // out of the window
          { at: NOW - 59_999, ok: true, latencyMs: 100 },
          { at: NOW - 30_000, ok: false, latencyMs: 1000 }, // timeout: not a latency
          { at: NOW - 20_000, ok: true, latencyMs: 50 },
          { at: NOW, ok: true, latencyMs: 200 },
        ],
        backlog: { value: 10, budget: 100 },
      });
      assert.deepEqual(
        { probes: p.probes, failures: p.failures, rate: p.failureRate, p50: p.p50LatencyMs, p95: p.p95LatencyMs, terms: p.terms, pressure: p.pressure },
        { probes: 4, failures: 1, rate: 0.25, p50: 100, p95: 200, terms: { failures: 2.5, latency: 0.8, backlog: 0.1 }, pressure: 2.5 },
      );
      assert.equal(p.latencyBudgetMs, DEFAULT_LATENCY_BUDGET_MS);
    });

    it('a custom window', () => {
      const p = servicePressure({ service: 'a', now: NOW, windowMs: 10_000, probes: [{ at: NOW - 10_000, ok: false, latencyMs: 1 }, { at: NOW - 9999, ok: true, latencyMs: 50 }] });
      assert.deepEqual([p.probes, p.failures, p.pressure], [1, 0, 0.2]);
    });

    it('ties between terms name failures, then latency, then backlog', () => {
      // failures 1/10 → 1.0; latency 250/250 → 1.0; backlog 1.0
      const p = servicePressure({ service: 'a', now: NOW, probes: probes(repeat(250, 10), 1), backlog: { value: 5, budget: 5 } });
      assert.equal(p.dominant, 'failures');
      const q = servicePressure({ service: 'a', now: NOW, probes: probes(repeat(250, 10)), backlog: { value: 5, budget: 5 } });
      assert.equal(q.dominant, 'latency');
    });
  });

  describe('ipcScore: several services', () => {
    const svc = (service: string, latency: number, failed = 0) => servicePressure({ service, now: NOW, probes: probes(repeat(latency, 10), failed) });
    const cases: { name: string; services: ReturnType<typeof svc>[]; score: number; worst: string | undefined }[] = [
      { name: 'the worst service decides', services: [svc('storage', 50), svc('queue', 150), svc('api', 100)], score: 60, worst: 'queue' },
      { name: 'a failing service beats a slow one', services: [svc('storage', 200), svc('api', 10, 1)], score: 100, worst: 'api' },
      { name: 'services without samples are skipped', services: [servicePressure({ service: 'idle', now: NOW, probes: [] }), svc('api', 25)], score: 10, worst: 'api' },
      { name: 'a tie goes to the first listed', services: [svc('a', 100), svc('b', 100)], score: 40, worst: 'a' },
      { name: 'no services at all', services: [], score: 0, worst: undefined },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const s = ipcScore(c.services);
        assert.equal(s.score, c.score);
        assert.equal(s.worst?.service, c.worst);
      });
    }

    it('says which service and why', () => {
      const s = ipcScore([svc('api', 30), servicePressure({ service: 'storage', now: NOW, probes: probes([...repeat(100, 18), 480, 480]) })]);
      assert.equal(s.summary, 'IPC 100: storage p95 480 ms > budget 250 ms');
    });
  });

  describe('the worked examples of docs/ipc-score.md', () => {
    const score = (...services: Parameters<typeof servicePressure>[0][]) => ipcScore(services.map(servicePressure));
    const lat = (service: string, latencies: number[], failed = 0) => ({ service, now: NOW, probes: probes(latencies, failed) });

    it('a healthy stack: 16', () => {
      const s = score(lat('storage', repeat(12, 20)), lat('messaging', repeat(8, 20)), lat('api', repeat(40, 20)));
      assert.equal(s.summary, 'IPC 16: api p95 40 ms < budget 250 ms');
    });

    it('a slow database: 100', () => {
      assert.equal(score(lat('storage', [...repeat(20, 10), ...repeat(120, 8), 480, 480])).summary, 'IPC 100: storage p95 480 ms > budget 250 ms');
    });

    it('a flaky API: 50, then 75 with a third failure, 100 with a fourth', () => {
      assert.equal(score(lat('api', repeat(30, 40), 2)).summary, 'IPC 50: api 2 of 40 probes failed (5% < 10%)');
      assert.equal(score(lat('api', repeat(30, 40), 3)).score, 75);
      assert.equal(score(lat('api', repeat(30, 40), 4)).score, 100);
    });

    it('a queue filling up: 80 (warn), 65 still warn, 60 ok', () => {
      const q = (value: number) => score({ ...lat('messaging', repeat(5, 20)), backlog: { value, budget: 1000, unit: 'messages' } });
      assert.equal(q(800).summary, 'IPC 80: messaging backlog 800 messages < budget 1000 messages');
      const t = new IpcLevelTracker();
      assert.deepEqual([800, 650, 600].map((v) => (t.update(q(v).score), t.level)), ['warn', 'warn', 'ok']);
    });
  });

  describe('IpcLevelTracker (warn 70, critical 90, hysteresis 10)', () => {
    /** Feed scores; return "from>to@score" for each sample that changed the level. */
    function run(scores: number[], tracker = new IpcLevelTracker()): string[] {
      const out: string[] = [];
      for (const s of scores) {
        const t = tracker.update(s);
        if (t) out.push(`${t.from}>${t.to}@${s}${t.rising ? '' : ' (falling)'}`);
      }
      return out;
    }
    const cases: { name: string; scores: number[]; transitions: string[] }[] = [
      { name: 'stays ok below warn', scores: [0, 10, 69, 69, 0], transitions: [] },
      { name: 'enters warn at the threshold, once', scores: [69, 70, 71, 75, 70], transitions: ['ok>warn@70'] },
      { name: 'leaves warn only 10 points below it', scores: [70, 65, 61, 60, 65, 69], transitions: ['ok>warn@70', 'warn>ok@60 (falling)'] },
      { name: 'flapping around the threshold notifies once', scores: [70, 68, 71, 69, 70, 66, 72], transitions: ['ok>warn@70'] },
      { name: 'straight from ok to critical', scores: [10, 100, 95], transitions: ['ok>critical@100'] },
      {
        name: 'critical steps down to warn at 80, and to ok at 60',
        scores: [90, 85, 81, 80, 75, 61, 60],
        transitions: ['ok>critical@90', 'critical>warn@80 (falling)', 'warn>ok@60 (falling)'],
      },
      { name: 'critical straight down to ok', scores: [95, 59], transitions: ['ok>critical@95', 'critical>ok@59 (falling)'] },
      { name: 'critical to warn band keeps warn (65 > 60)', scores: [95, 65], transitions: ['ok>critical@95', 'critical>warn@65 (falling)'] },
      {
        name: 'the full tour',
        scores: [0, 69, 70, 65, 61, 60, 75, 89, 90, 85, 81, 80, 95, 59],
        transitions: ['ok>warn@70', 'warn>ok@60 (falling)', 'ok>warn@75', 'warn>critical@90', 'critical>warn@80 (falling)', 'warn>critical@95', 'critical>ok@59 (falling)'],
      },
    ];
    for (const c of cases) it(c.name, () => assert.deepEqual(run(c.scores), c.transitions));

    it('custom thresholds and hysteresis', () => {
      const t = new IpcLevelTracker({ thresholds: { warn: 50, critical: 60 }, hysteresis: 5 });
      assert.deepEqual(run([50, 60, 56, 55, 46, 45], t), ['ok>warn@50', 'warn>critical@60', 'critical>warn@55 (falling)', 'warn>ok@45 (falling)']);
    });

    it('a threshold below the hysteresis is left only at 0', () => {
      const t = new IpcLevelTracker({ thresholds: { warn: 5, critical: 90 } });
      assert.deepEqual(run([5, 1, 0], t), ['ok>warn@5', 'warn>ok@0 (falling)']);
    });

    it('thresholds passed per update win (a profile switch applies at once)', () => {
      const t = new IpcLevelTracker();
      assert.equal(t.update(60, { warn: 50, critical: 80 })?.to, 'warn');
      assert.equal(t.update(61), undefined, 'in the band of the default warn 70 (61 > 60): stays');
      assert.equal(t.update(60)?.to, 'ok', 'at 70 - 10 it leaves');
      assert.equal(t.update(80, { warn: 50, critical: 80 })?.to, 'critical');
    });

    it('exposes and resets the level', () => {
      const t = new IpcLevelTracker({ initial: 'critical' as IpcLevel });
      assert.equal(t.level, 'critical');
      t.reset();
      assert.equal(t.level, 'ok');
      assert.equal(t.update(0), undefined);
    });
  });
});
