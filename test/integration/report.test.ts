import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FakeClock } from '../../src/core/clock';
import { EventBus } from '../../src/core/events';
import { percentile } from '../../src/core/metrics/percentile';
import { LongTermMetrics } from '../../src/core/metrics/store/long-term-metrics';
import { buildReport } from '../../src/core/report/build-report';
import { StateIncidentSource } from '../../src/core/report/incident-source';
import { renderHtml } from '../../src/core/report/render-html';
import { renderMarkdown } from '../../src/core/report/render-markdown';
import { launchChromium } from '../../scripts/vscode/lib.mjs';
import { tempStack, type TempStack } from '../helpers/stack';
import type { EngineEvent, ServiceState } from '../../src/core/contract/events';
import type { StackMetrics } from '../../src/core/contract/metrics';
import { DEFAULT_ROLLUP_RETENTION } from '../../src/core/contract/metrics-store';
import type { OpsReport } from '../../src/core/contract/reports';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const ROOT = resolve(import.meta.dirname, '../..');
const SERVICES = ['api', 'db', 'worker'] as const;

/** A deterministic week of a 3-service stack: states, crashes, probes, samples, checks, backups, a drill, RPO. */
function recordedWeek(since: number): { events: EngineEvent[]; samples: StackMetrics[] } {
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const events: EngineEvent[] = [];
  const state = new Map<string, ServiceState>(SERVICES.map((s) => [s, 'stopped']));
  const go = (at: number, service: string, ...to: ServiceState[]) => {
    for (const [i, s] of to.entries()) {
      events.push({ type: 'state', at: at + i * 1000, service, from: state.get(service)!, to: s, reason: `to ${s}` });
      state.set(service, s);
    }
  };
  for (const s of SERVICES) go(since + 1000, s, 'starting', 'ready');
  // db crashes on day 2: restart after its backoff, ready 3 minutes later.
  events.push({ type: 'restart', at: since + DAY + 10 * HOUR, service: 'db', attempt: 1, delayMs: 500, cause: 'crash', detail: 'exit code 1' });
  go(since + DAY + 10 * HOUR, 'db', 'backoff');
  go(since + DAY + 10 * HOUR + 2 * MIN, 'db', 'starting');
  go(since + DAY + 10 * HOUR + 3 * MIN, 'db', 'ready');
  // api fails on day 4 (gave up) and is brought back after 20 minutes.
  go(since + 3 * DAY + 15 * HOUR, 'api', 'failed');
  go(since + 3 * DAY + 15 * HOUR + 20 * MIN, 'api', 'starting', 'ready');
  // worker stopped on request on day 5 for two hours.
  go(since + 4 * DAY + 9 * HOUR, 'worker', 'stopping', 'stopped');
  go(since + 4 * DAY + 11 * HOUR, 'worker', 'starting', 'ready');
  // Data protection: a backup every day at 02:00 (day 3's fails), db's RPO breached then met again, a verify and a drill on day 6.
  for (let d = 0; d < 7; d++) {
    const at = since + d * DAY + 2 * HOUR;
    const ok = d !== 2;
    events.push({ type: 'backup', at, service: 'stack', phase: 'started', trigger: 'schedule', services: ['db'], tags: [] });
    events.push({ type: 'backup', at: at + 30_000, service: 'stack', phase: ok ? 'completed' : 'failed', trigger: 'schedule', services: ['db'], tags: [], ...(ok ? { bytesAdded: 1_000_000 * (d + 1), durationMs: 30_000, snapshot: `s${d}` } : { error: 'disk full' }) });
  }
  events.push({ type: 'rpo', at: since + 2 * DAY + 3 * HOUR, service: 'db', ok: false, rpoMs: DAY, ageMs: DAY + HOUR, detail: 'db: newest backup 25h old' });
  events.push({ type: 'rpo', at: since + 3 * DAY + 2 * HOUR + MIN, service: 'db', ok: true, rpoMs: DAY, ageMs: MIN, detail: 'db: ok' });
  events.push({ type: 'verify', at: since + 5 * DAY + 4 * HOUR, service: 'stack', ok: true, trigger: 'schedule', readData: true, errors: 0, warnings: 0, damagedSnapshots: [], durationMs: 12_000 });
  events.push({ type: 'drill', at: since + 5 * DAY + 5 * HOUR, service: 'db', phase: 'completed', snapshot: 's5', services: ['db'], recoveryMs: 4200, rtoMs: 60_000, withinRto: true });
  // Maintenance: db's SQLite upkeep every night at 03:00 (day 4's fails), one cache clear on request.
  for (let d = 0; d < 7; d++) {
    const ok = d !== 3;
    events.push({ type: 'maintenance', at: since + d * DAY + 3 * HOUR, service: 'db', task: 'db:sqlite:data/db.sqlite', kind: 'sqlite', ok, trigger: 'schedule', summary: ok ? 'optimize, analyze, reindex, vacuum, integrity ok' : 'failed at vacuum', durationMs: 900 + d, ...(ok ? { reclaimedBytes: 4096 * (d + 1) } : { error: 'database is locked' }) });
  }
  events.push({ type: 'maintenance', at: since + 2 * DAY + 14 * HOUR, service: 'api', task: 'api:cache', kind: 'cache', ok: true, trigger: 'manual', summary: 'cleared 3 folders', durationMs: 40, reclaimedBytes: 1_000_000 });
  // Full-functionality checks every 6 hours; api's fails once.
  for (let h = 6; h < 7 * 24; h += 6) {
    for (const s of SERVICES) events.push({ type: 'check', at: since + h * HOUR + 5000, service: s, ok: !(s === 'api' && h === 30), durationMs: 40, output: s === 'api' && h === 30 ? 'GET /orders: 500' : '' });
  }
  events.sort((a, b) => a.at - b.at);
  // Probes every 5 minutes and a metrics sample every minute, from the states as the events left them.
  const at = (t: number) => {
    const current = new Map<string, ServiceState>(SERVICES.map((s) => [s, 'stopped']));
    for (const e of events) if (e.type === 'state' && e.at <= t) current.set(e.service, e.to);
    return current;
  };
  const probes: EngineEvent[] = [];
  const samples: StackMetrics[] = [];
  for (let t = since + 30_000; t < since + 7 * DAY; t += MIN) {
    const now = at(t);
    if ((t - since - 30_000) % (5 * MIN) === 0) {
      for (const s of SERVICES) {
        const st = now.get(s)!;
        if (st === 'stopped') continue;
        const ok = st === 'ready';
        probes.push({ type: 'probe', at: t, service: s, probe: 'readiness', ok, latencyMs: Math.round((s === 'api' ? 20 + rnd() * 180 : 5 + rnd() * 45) * 100) / 100, failures: ok ? 0 : 1, threshold: 3 });
      }
    }
    const score = Math.round(rnd() * rnd() * 100);
    samples.push({
      at: t,
      intervalMs: MIN,
      windowMs: MIN,
      services: SERVICES.map((s) => ({ service: s, state: now.get(s)!, up: now.get(s) === 'ready', cpuPercent: Math.round(rnd() * 5000) / 100, rssMb: 50 + Math.round(rnd() * 1000) / 10 })) as StackMetrics['services'],
      ipc: { score } as StackMetrics['ipc'],
    });
  }
  return { events: [...events, ...probes].sort((a, b) => a.at - b.at), samples };
}

/** Log lines as LogFile writes them (`ISO-time stream text`), at `since` + offset. */
const logText = (since: number, lines: [number, string, string][]) => lines.map(([off, stream, text]) => `${new Date(since + off).toISOString()} ${stream} ${text}`).join('\n') + '\n';

/** db's log: the same refused connection four times (what varies differs), a timeout before a crash, and lines outside the period. */
function writeLogs(logDir: string, since: number, until: number): void {
  mkdirSync(logDir, { recursive: true });
  writeFileSync(join(logDir, 'db.log'), logText(since, [
    [-HOUR, 'stderr', 'Error: connect ECONNREFUSED 10.0.0.9:5432 (before the period)'],
    [MIN, 'opsdeck', 'started pid 100'],
    [2 * MIN, 'stderr', 'Error: connect ECONNREFUSED 10.0.0.1:5432 after 3012ms'],
    [DAY, 'stderr', 'Error: connect ECONNREFUSED 10.0.0.2:5433 after 95ms'],
    [DAY + 10 * HOUR - 30_000, 'stderr', 'fatal: timeout on /srv/a/17.db'],
    [DAY + 10 * HOUR, 'opsdeck', 'exited (exit code 1)'],
    [DAY + 10 * HOUR + 2 * MIN, 'opsdeck', 'started pid 101'],
    [2 * DAY, 'stdout', 'all good'],
    [3 * DAY, 'stderr', 'Error: connect ECONNREFUSED 10.0.0.3:5432 after 7ms'],
    [4 * DAY, 'stderr', 'Error: connect ECONNREFUSED 10.0.0.4:5432 after 12ms'],
    [until - since + HOUR, 'stderr', 'Error: connect ECONNREFUSED 10.0.0.5:5432 (after the period)'],
  ]));
  writeFileSync(join(logDir, 'api.log'), logText(since, [[5 * DAY, 'stderr', 'Unhandled rejection: GET /orders 500']]));
}

/** The state timeline of one service clipped to [since, until): ms per state. */
function stateTime(events: EngineEvent[], service: string, since: number, until: number): Map<string, number> {
  const out = new Map<string, number>();
  let cur = { to: 'stopped', at: since };
  for (const e of [...events.filter((x) => x.type === 'state' && x.service === service), { type: 'state', to: 'end', at: until } as unknown as EngineEvent]) {
    const from = Math.max(cur.at, since);
    const to = Math.min(e.at, until);
    if (to > from) out.set(cur.to, (out.get(cur.to) ?? 0) + to - from);
    cur = { to: (e as { to: string }).to, at: e.at };
  }
  return out;
}

describe('the operations report (a recorded week through the real store)', () => {
  let t: TempStack;
  let store: LongTermMetrics | undefined;
  let report: OpsReport;
  let events: EngineEvent[];
  let samples: StackMetrics[];
  const since = Date.UTC(2026, 10, 23, 0, 0, 0); // a Monday
  const until = since + 7 * DAY;

  before(async function () {
    this.timeout(120_000);
    t = tempStack({ version: 1, name: 'week', services: Object.fromEntries(SERVICES.map((s) => [s, { command: ['node', 'x.js'], ...(s === 'db' ? { rpo: '1d' } : {}) }])) });
    ({ events, samples } = recordedWeek(since));
    const clock = new FakeClock(since - MIN);
    const bus = new EventBus();
    store = new LongTermMetrics(join(t.dir, '.opsdeck'), { clock, retention: DEFAULT_ROLLUP_RETENTION, states: () => SERVICES.map((name) => ({ name, state: 'stopped' as const })), ingestBytes: 4 * 1024 * 1024, ingestEveryMs: DAY });
    store.attach(bus);
    store.mark({ at: since - MIN, kind: 'config', service: 'stack', data: { hash: 'aaaa' } });
    store.mark({ at: since - MIN, kind: 'engine', service: 'stack', data: { version: '1.0.0' } });
    let si = 0;
    for (const e of events) {
      while (si < samples.length && samples[si]!.at <= e.at) {
        await clock.advance(samples[si]!.at - clock.now());
        store.sample(samples[si++]!);
      }
      await clock.advance(e.at - clock.now());
      bus.emit(e);
      if (e.type === 'backup' && e.at === since + 4 * DAY + 2 * HOUR) store.mark({ at: e.at, kind: 'config', service: 'stack', data: { hash: 'bbbb' } });
    }
    while (si < samples.length) {
      await clock.advance(samples[si]!.at - clock.now());
      store.sample(samples[si++]!);
    }
    await clock.advance(until + 2 * MIN - clock.now());
    writeLogs(join(t.dir, '.opsdeck', 'logs'), since, until);
    report = await buildReport(
      { since, until },
      {
        reader: store, incidents: new StateIncidentSource(store), stack: 'week', services: [...SERVICES], rpoServices: ['db'], retention: DEFAULT_ROLLUP_RETENTION, now: until + 2 * MIN, version: '1.0.0',
        logs: { dir: join(t.dir, '.opsdeck', 'logs'), keep: 5 }, profile: 'dev',
      },
    );
  });
  after(async () => {
    await store?.close();
    t?.cleanup();
  });

  it('usage: availability, uptime, restarts and their causes, starts and stops equal those recomputed from the events', () => {
    for (const s of SERVICES) {
      const time = stateTime(events, s, since, until);
      const get = (...states: string[]) => states.reduce((a, x) => a + (time.get(x) ?? 0), 0);
      const active = get('starting', 'ready', 'degraded', 'backoff', 'stopping', 'failed');
      const ready = get('ready', 'degraded');
      const up = get('starting', 'ready', 'degraded', 'stopping');
      const u = report.usage.services.find((x) => x.service === s)!;
      assert.equal(u.readySec, Math.round(ready / 10) / 100, `${s} ready`);
      assert.equal(u.availabilityPct, Math.round((10000 * ready) / active) / 100, `${s} availability`);
      assert.equal(u.uptimePct, Math.round((10000 * up) / (until - since)) / 100, `${s} uptime`);
      assert.equal(u.restarts, events.filter((e) => e.type === 'restart' && e.service === s).length);
      assert.equal(u.starts, events.filter((e) => e.type === 'state' && e.service === s && e.from === 'stopped' && e.to === 'starting').length);
      assert.equal(u.stops, events.filter((e) => e.type === 'state' && e.service === s && e.to === 'stopped').length);
    }
    assert.deepEqual(report.usage.services.find((x) => x.service === 'db')!.restartCauses, { crash: 1 });
    assert.ok(report.usage.services.find((x) => x.service === 'api')!.availabilityPct! < 100);
  });

  it('performance: probe counts, latency percentiles (within the 5 % histogram), CPU, RSS and the IPC distribution', () => {
    for (const s of SERVICES) {
      const p = report.performance.services.find((x) => x.service === s)!;
      const probes = events.filter((e) => e.type === 'probe' && e.service === s) as Extract<EngineEvent, { type: 'probe' }>[];
      assert.equal(p.probes, probes.length);
      assert.equal(p.probeFailures, probes.filter((e) => !e.ok).length);
      const ok = probes.filter((e) => e.ok).map((e) => e.latencyMs);
      for (const [q, got] of [[50, p.latencyP50Ms], [95, p.latencyP95Ms]] as const) {
        const exact = percentile(ok, q)!;
        assert.ok(Math.abs(got! - exact) / exact <= 0.05, `${s} p${q}: ${got} vs ${exact}`);
      }
      assert.equal(p.latencyMaxMs, Math.max(...ok));
      const cpu = samples.map((m) => m.services.find((x) => x.service === s)!.cpuPercent!);
      assert.ok(Math.abs(p.cpuAvg! - cpu.reduce((a, b) => a + b, 0) / cpu.length) < 0.01, `${s} cpu avg`);
      assert.equal(p.cpuMax, Math.max(...cpu));
      assert.equal(p.trend.length, 7);
      assert.equal(p.checksFailed, events.filter((e) => e.type === 'check' && e.service === s && !e.ok).length);
    }
    const bins = new Array(11).fill(0);
    for (const m of samples) bins[Math.min(10, Math.floor(m.ipc.score / 10))]++;
    assert.deepEqual(report.performance.ipc.bins, bins);
    assert.equal(report.performance.ipc.max, Math.max(...samples.map((m) => m.ipc.score)));
    assert.equal(report.performance.slowest[0]!.service, 'api');
  });

  it('issues: the incidents from the state events (start, end, duration, cause), and the failed checks', () => {
    const inc = report.issues.incidents;
    assert.deepEqual(
      inc.map((i) => [i.service, i.start - since, i.durationMs, i.resolution]),
      [
        ['db', DAY + 10 * HOUR, 3 * MIN, 'recovered'],
        ['api', 3 * DAY + 15 * HOUR, 20 * MIN + 1000, 'recovered'],
      ],
    );
    assert.equal(inc[0]!.cause, 'crash: exit code 1');
    assert.deepEqual(report.issues.failedChecks.map((c) => [c.service, c.output]), [['api', 'GET /orders: 500']]);
  });

  it('data protection: backups and their bytes, RPO compliance, verifications, drills against the RTO; what changed', () => {
    const done = events.filter((e) => e.type === 'backup' && e.phase !== 'started') as Extract<EngineEvent, { type: 'backup' }>[];
    const dp = report.dataProtection;
    assert.equal(dp.backups.count, done.length);
    assert.equal(dp.backups.failed, done.filter((e) => e.phase === 'failed').length);
    assert.equal(dp.backups.bytesAdded, done.reduce((a, e) => a + (e.bytesAdded ?? 0), 0));
    // db's RPO was breached from day 3 03:00 to day 4 02:01; before the first rpo event nothing is known.
    const known = until - (since + 2 * DAY + 3 * HOUR);
    const breached = DAY - HOUR + MIN;
    assert.deepEqual(dp.rpo, [{ service: 'db', compliancePct: Math.round((10000 * (known - breached)) / known) / 100, breaches: 1 }]);
    assert.deepEqual(dp.verifications.map((v) => v.ok), [true]);
    assert.deepEqual(dp.drills.map((d) => [d.recoveryMs, d.rtoMs, d.withinRto]), [[4200, 60_000, true]]);
    assert.deepEqual(report.changes.config.map((c) => c.hash), ['aaaa', 'bbbb']);
    assert.deepEqual(report.changes.versions.map((v) => v.version), ['1.0.0']);
  });

  it('issues: the top log error signatures with counts (the doctor\'s analysis), only within the period; maintenance runs; profile time said unrecorded', () => {
    assert.deepEqual(
      report.issues.logErrors.map((e) => [e.service, e.signature, e.count, e.firstSeen - since, e.crashesPreceded]),
      [
        ['db', 'Error: connect ECONNREFUSED <ip> after <n>ms', 4, 2 * MIN, 0],
        ['api', 'Unhandled rejection: GET <path> <n>', 1, 5 * DAY, 0],
        ['db', 'fatal: timeout on <path>', 1, DAY + 10 * HOUR - 30_000, 1],
      ],
    );
    const runs = events.filter((e) => e.type === 'maintenance') as Extract<EngineEvent, { type: 'maintenance' }>[];
    assert.deepEqual(
      report.maintenance.map((m) => [m.at, m.task, m.ok, m.trigger, m.durationMs, m.reclaimedBytes, m.error]),
      runs.map((e) => [e.at, e.task, e.ok, e.trigger, e.durationMs, e.reclaimedBytes, e.error]),
    );
    assert.deepEqual(report.usage.profile, { active: 'dev', timeRecorded: false });
    const md = renderMarkdown(report);
    for (const h of ['## Maintenance', '8 tasks run (1 failed)', 'database is locked', '### Log errors', 'Error: connect ECONNREFUSED <ip> after <n>ms', 'Profile time: not recorded (no profile marks in the store up to this period\'s end); active profile: dev']) {
      assert.ok(md.includes(h), `markdown has ${h}`);
    }
  });

  it('renders Markdown with every section, and HTML that reads in light and dark in chromium (docs/images/report.png)', async function () {
    this.timeout(90_000);
    const md = renderMarkdown(report);
    for (const h of ['## Usage', '## Performance', '## Issues', '## Data protection', '## What changed', '| db |', 'GET /orders: 500']) assert.ok(md.includes(h), `markdown has ${h}`);
    const html = renderHtml(report);
    assert.ok(!/<script|https?:\/\//i.test(html.replace(/http-equiv/g, '')), 'self-contained: no script, nothing fetched');
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
      await page.emulateMedia({ colorScheme: 'light' });
      await page.setContent(html);
      const text = await page.locator('body').innerText();
      for (const s of ['Usage', 'Availability by service', 'Probe latency p95', 'IPC score distribution', 'Incidents', 'crash: exit code 1', 'Recovery drills', 'What changed']) assert.ok(text.includes(s), `the page shows "${s}"`);
      assert.equal(await page.locator('svg').count(), 3);
      const availability = report.usage.services.find((u) => u.service === 'api')!.availabilityPct!.toFixed(2);
      assert.ok(text.includes(`${availability} %`), 'api availability on the page');
      const bg = async () => (await page.evaluate('getComputedStyle(document.body).backgroundColor')) as string;
      assert.equal(await bg(), 'rgb(255, 255, 255)');
      mkdirSync(join(ROOT, 'docs/images'), { recursive: true });
      await page.screenshot({ path: join(ROOT, 'docs/images/report.png'), fullPage: false });
      await page.emulateMedia({ colorScheme: 'dark' });
      assert.equal(await bg(), 'rgb(13, 17, 23)', 'dark background under prefers-color-scheme: dark');
    } finally {
      await browser.close();
    }
  });
});
