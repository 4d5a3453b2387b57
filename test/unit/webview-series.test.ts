import assert from 'node:assert/strict';
import type { HostMessage, MetricsSample, Points, StackState } from '../../src/shared/protocol';
import { clockMinutes, durationWords, formatDuration, formatNumber, formatPercent, rangeWords } from '../../webview-ui/src/format';
import { SidebarModel } from '../../webview-ui/src/model';
import {
  align,
  appendPoint,
  backupRows,
  ipcChart,
  ipcSummary,
  latencyChart,
  metricChart,
  metricSummary,
  chartHeight,
  niceMax,
  restartSummary,
  restartTimeline,
  trimPoints,
} from '../../webview-ui/src/series';
import { DEFAULT_OPEN, defaultViewState, restoreViewState } from '../../webview-ui/src/view-state';

const T = Date.UTC(2026, 0, 1, 12, 0, 0);
const s = (ms: number) => ms / 1000;

describe('webview: series for uPlot', () => {
  it('aligns series on the union of their times, in seconds, with gaps as null', () => {
    const data = align([
      { label: 'a', points: [[T, 1], [T + 5000, 2]] },
      { label: 'b', points: [[T + 5000, 20], [T + 10_000, 30]] },
    ]);
    assert.deepEqual(data, [
      [s(T), s(T + 5000), s(T + 10_000)],
      [1, 2, null],
      [null, 20, 30],
    ]);
  });

  it('aligns nothing into empty columns', () => {
    assert.deepEqual(align([]), [[]]);
    assert.deepEqual(align([{ label: 'a', points: [] }]), [[], []]);
  });

  it('charts a metric per service, in the given order, keeping a column for a service with no data', () => {
    const points = (service: string): Points => (service === 'api' ? [] : [[T, service === 'storage' ? 1 : 2]]);
    const chart = metricChart(['storage', 'messaging', 'api'], points, 'cpuPercent');
    assert.deepEqual(chart.series.map((x) => x.label), ['storage', 'messaging', 'api']);
    assert.deepEqual(chart.data, [[s(T)], [1], [2], [null]]);
  });

  it('charts probe latency as p95 and a dashed p50 per service', () => {
    const chart = latencyChart(['storage'], (_svc, metric) => [[T, metric === 'probeP95Ms' ? 9 : 3]]);
    assert.deepEqual(chart.series, [
      { label: 'storage p95', service: 'storage' },
      { label: 'storage p50', service: 'storage', dashed: true },
    ]);
    assert.deepEqual(chart.data, [[s(T)], [9], [3]]);
  });

  it('draws the IPC thresholds as flat lines over the same times', () => {
    const chart = ipcChart([[T, 10], [T + 5000, 80]], { warn: 70, critical: 90 });
    assert.deepEqual(chart.data, [[s(T), s(T + 5000)], [10, 80], [70, 70], [90, 90]]);
    assert.deepEqual(chart.series.map((x) => x.label), ['IPC score', 'warn (70)', 'critical (90)']);
    assert.ok(chart.series[1]!.dashed && chart.series[2]!.dashed);
  });

  it('puts restarts on one row per service, unknown services after the others', () => {
    const t = restartTimeline(['storage', 'api'], [
      { at: T, service: 'api', cause: 'crash' },
      { at: T + 1000, service: 'ghost' },
      { at: T + 2000, service: 'api' },
    ]);
    assert.deepEqual(t.rows, ['storage', 'api', 'ghost']);
    assert.deepEqual(t.data, [
      [s(T), s(T + 1000), s(T + 2000)],
      [null, null, null],
      [1, null, 1],
      [null, 2, null],
    ]);
  });

  it('trims old points and appends only newer ones', () => {
    const p: Points = [[T, 1], [T + 5000, 2], [T + 10_000, 3]];
    assert.deepEqual(trimPoints(p, T + 5000), [[T + 5000, 2], [T + 10_000, 3]]);
    assert.equal(trimPoints(p, T - 1), p, 'nothing to trim: the same array');
    appendPoint(p, T + 10_000, 9);
    appendPoint(p, T + 15_000, undefined);
    appendPoint(p, T + 15_000, NaN);
    appendPoint(p, T + 15_000, 4);
    assert.deepEqual(p.at(-1), [T + 15_000, 4]);
    assert.equal(p.length, 4);
  });

  it('gives the y axis some headroom, and an idle chart an axis', () => {
    assert.equal(niceMax(undefined), 1);
    assert.equal(niceMax(0), 1);
    assert.equal(niceMax(NaN), 1);
    assert.equal(niceMax(17), 20);
    assert.equal(niceMax(90), 200);
    assert.equal(niceMax(0.42), 0.5);
  });
});

describe('webview: words for screen readers', () => {
  it('summarises a metric chart with the latest and highest value per service', () => {
    const text = metricSummary('CPU', '%', '15m', [
      { label: 'storage', points: [[T, 1.2], [T + 5000, 3.4], [T + 10_000, 2]] },
      { label: 'api', points: [] },
    ]);
    assert.equal(text, 'CPU over the last 15 minutes: storage now 2%, highest 3.4%; api no data.');
    assert.equal(metricSummary('CPU', '%', '15m', []), 'CPU: no services.');
  });

  it('summarises the IPC score against its thresholds', () => {
    assert.equal(ipcSummary([[T, 12], [T + 5000, 40]], { warn: 70, critical: 90 }, '1h', 'ok'), 'IPC score over the last 1 hour: now 40 (ok), highest 40. Warn at 70, critical at 90.');
    assert.match(ipcSummary([], { warn: 70, critical: 90 }, '5m'), /no samples in the last 5 minutes/);
  });

  it('summarises restarts per service', () => {
    assert.equal(restartSummary([], '15m'), 'No restarts in the last 15 minutes.');
    const text = restartSummary([{ at: T, service: 'api', cause: 'crash' }, { at: T + 1000, service: 'api', cause: 'hang' }, { at: T, service: 'storage' }], '15m');
    assert.match(text, /^3 restarts in the last 15 minutes: api 2 \(last at \d\d:\d\d:\d\d, hang\); storage 1 \(last at \d\d:\d\d:\d\d\)\.$/);
  });
});

describe('webview: backups against the RPO', () => {
  it('says nothing while backups are unavailable', () => {
    assert.deepEqual(backupRows(undefined, T), []);
    assert.deepEqual(backupRows({ available: false, reason: 'no backups yet' }, T), []);
  });

  it('compares each service\'s last backup age with its RPO', () => {
    const rows = backupRows(
      {
        available: true,
        at: T,
        services: [
          { service: 'storage', lastBackupAt: T - 20 * 60_000, rpoMs: 3_600_000 },
          { service: 'messaging', lastBackupAt: T - 3 * 3_600_000, rpoMs: 3_600_000 },
          { service: 'api', lastBackupAt: T - 60_000 },
          { service: 'cache', rpoMs: 60_000 },
        ],
      },
      T,
    );
    assert.deepEqual(
      rows.map((r) => [r.service, r.age, r.rpo, r.status, r.fraction]),
      [
        ['storage', '20m', '1h', 'ok', 1 / 3],
        ['messaging', '3h', '1h', 'breached', 3],
        ['api', '1m', '–', 'no-rpo', undefined],
        ['cache', '–', '1m', 'never', undefined],
      ],
    );
    assert.equal(rows[0]!.description, 'storage: last backup 20 minutes ago, RPO 1 hour, within RPO.');
    assert.equal(rows[1]!.description, 'messaging: last backup 3 hours ago, RPO 1 hour, RPO breached.');
    assert.equal(rows[3]!.description, 'cache: never backed up, RPO 1 minute.');
  });
});

describe('webview: formatting', () => {
  it('writes numbers, percentages and durations compactly', () => {
    assert.equal(formatNumber(undefined), '–');
    assert.equal(formatNumber(1.26), '1.3');
    assert.equal(formatNumber(2), '2');
    assert.equal(formatNumber(123.4, 'MB'), '123 MB');
    assert.equal(formatPercent(3.04), '3%');
    assert.equal(formatDuration(45_000), '45s');
    assert.equal(formatDuration(200_000), '3m 20s');
    assert.equal(formatDuration(3_600_000), '1h');
    assert.equal(formatDuration(7_500_000), '2h 5m');
    assert.equal(formatDuration(3 * 86_400_000 + 4 * 3_600_000), '3d 4h');
    assert.equal(formatDuration(-1), '–');
    assert.equal(durationWords(200_000), '3 minutes 20 seconds');
    assert.equal(durationWords(61_000), '1 minute 1 second');
    assert.equal(durationWords(undefined), 'unknown');
    assert.equal(rangeWords('1h'), '1 hour');
    assert.equal(rangeWords('15m'), '15 minutes');
    assert.match(clockMinutes(T), /^\d\d:\d\d$/);
  });
});

// ------------------------------------------------------------------ the model

const sample = (at: number, cpu: number, ipc = 10): MetricsSample => ({
  at,
  intervalMs: 5000,
  services: [{ name: 'storage', state: 'ready', up: true, cpuPercent: cpu, rssMb: 40, restarts: 0 }],
  ipc: { score: ipc, level: 'ok', summary: `IPC ${ipc}`, thresholds: { warn: 60, critical: 80 } },
});

let seq = 0;
/** A state message of a connected engine (epoch 1 unless told), with a sample. */
const stateMessage = (smp: MetricsSample | undefined, over: Partial<StackState> = {}): HostMessage => ({
  type: 'state',
  state: { seq: ++seq, epoch: 1, at: smp?.at ?? T, connection: { state: 'connected', mode: 'embedded' }, ...(smp ? { sample: smp } : {}), ...over },
});

const historyMessage = (range: '5m' | '15m' | '1h', until: number): HostMessage => ({
  type: 'history',
  history: {
    range,
    since: until - 300_000,
    until,
    intervalMs: 5000,
    series: [{ service: 'storage', metric: 'cpuPercent', points: [[until - 10_000, 1], [until - 5000, 2]] }],
    ipc: [[until - 5000, 5]],
    thresholds: { warn: 70, critical: 90 },
    restarts: [{ at: until - 7000, service: 'storage', cause: 'crash' }],
  },
});

describe('webview: the model', () => {
  it('waits for the history before it charts samples, then appends each new sample once', () => {
    const m = new SidebarModel({ ...defaultViewState(), range: '5m' });
    assert.deepEqual(m.apply(stateMessage(sample(T - 20_000, 9))), ['state']);
    assert.deepEqual(m.points('storage', 'cpuPercent'), []);
    assert.deepEqual(m.apply(historyMessage('5m', T)), ['series', 'restarts']);
    assert.deepEqual(m.points('storage', 'cpuPercent'), [[T - 10_000, 1], [T - 5000, 2]]);
    assert.deepEqual(m.apply(stateMessage(sample(T + 5000, 3, 20))), ['state', 'series']);
    // A state for a status change carries the same sample: no second point.
    assert.deepEqual(m.apply(stateMessage(sample(T + 5000, 3, 20))), ['state']);
    assert.deepEqual(m.points('storage', 'cpuPercent').at(-1), [T + 5000, 3]);
    assert.deepEqual(m.ipc, [[T - 5000, 5], [T + 5000, 20]]);
    assert.deepEqual(m.thresholds, { warn: 60, critical: 80 });
    assert.equal(m.now, T + 5000);
  });

  it('drops points and restarts that leave the range', () => {
    const m = new SidebarModel({ ...defaultViewState(), range: '5m' });
    m.apply(stateMessage(undefined));
    m.apply(historyMessage('5m', T));
    m.apply(stateMessage(sample(T + 300_000 - 6000, 4)));
    assert.deepEqual(m.points('storage', 'cpuPercent'), [[T - 5000, 2], [T + 294_000, 4]]);
    assert.deepEqual(m.restarts, []);
  });

  it('ignores the history of a range the user has already left', () => {
    const m = new SidebarModel({ ...defaultViewState(), range: '5m' });
    m.setRange('1h');
    assert.deepEqual(m.apply(historyMessage('5m', T)), []);
    assert.equal(m.historyLoaded, false);
  });

  it('adds live restarts once, in time order', () => {
    const m = new SidebarModel(defaultViewState());
    m.apply(historyMessage('15m', T));
    assert.deepEqual(m.apply({ type: 'restart', restart: { at: T + 1000, service: 'storage', cause: 'hang' } }), ['restarts']);
    assert.deepEqual(m.apply({ type: 'restart', restart: { at: T + 1000, service: 'storage', cause: 'hang' } }), []);
    assert.deepEqual(m.restarts.map((r) => r.at), [T - 7000, T + 1000]);
  });

  it('drops the charts on a new epoch (reconnect, engine restart) and waits for its history', () => {
    const m = new SidebarModel({ ...defaultViewState(), range: '5m' });
    m.apply(stateMessage(sample(T, 1)));
    m.apply(historyMessage('5m', T));
    assert.equal(m.historyLoaded, true);
    assert.deepEqual(m.apply(stateMessage(sample(T + 5000, 2), { epoch: 2 })), ['state', 'series', 'restarts']);
    assert.equal(m.historyLoaded, false);
    assert.deepEqual(m.points('storage', 'cpuPercent'), []);
    assert.deepEqual(m.restarts, []);
    m.apply(historyMessage('5m', T + 5000));
    assert.equal(m.historyLoaded, true);
  });

  it('shows nothing of a former engine once there is none, and says why', () => {
    const m = new SidebarModel(defaultViewState());
    m.apply(stateMessage(sample(T, 1), { backups: { available: false, reason: 'none' } }));
    m.apply(historyMessage('15m', T));
    assert.equal(m.connected, true);
    const changes = m.apply({ type: 'state', state: { seq: ++seq, epoch: 2, at: T + 1000, connection: { state: 'unavailable', mode: 'none', message: 'opsdeck.yaml:109:20: bad indentation' } } });
    assert.deepEqual(changes, ['state', 'series', 'restarts']);
    assert.equal(m.connected, false);
    assert.deepEqual(m.connection, { state: 'unavailable', mode: 'none', message: 'opsdeck.yaml:109:20: bad indentation' });
    assert.equal(m.header, undefined);
    assert.equal(m.sample, undefined);
    assert.equal(m.backups, undefined);
    assert.deepEqual(m.points('storage', 'cpuPercent'), []);
    assert.deepEqual(m.ipc, []);
  });

  it('ignores a state older than the one shown', () => {
    const m = new SidebarModel(defaultViewState());
    m.apply(stateMessage(sample(T, 1), { seq: 10 }));
    assert.deepEqual(m.apply(stateMessage(sample(T - 5000, 1), { seq: 9 })), []);
    assert.equal(m.seq, 10);
  });

  it('keeps the header, backups and command results, and lists services from status then sample', () => {
    const m = new SidebarModel(defaultViewState());
    m.apply(
      stateMessage(
        { ...sample(T, 1), services: [...sample(T, 1).services, { name: 'extra', state: 'stopped', up: false, restarts: 0 }] },
        {
          header: { ready: 1, total: 1, ipc: { score: 4, level: 'ok', summary: 'IPC 4' } },
          status: {
            at: T,
            stack: 's',
            profiles: [],
            services: [{ name: 'api', state: 'ready', reason: '', tier: 'server', inProfile: true, health: 'OK', restarts: 0 }],
            health: { level: 'OK', summary: '1/1 OK' },
            ipc: { score: 0, level: 'ok', summary: '' },
          },
          backups: { available: false, reason: 'none' },
        },
      ),
    );
    assert.deepEqual(m.services, ['api', 'storage', 'extra']);
    assert.deepEqual(m.header, { ready: 1, total: 1, ipc: { score: 4, level: 'ok', summary: 'IPC 4' } });
    m.startCommand('stopStack');
    assert.equal(m.command?.state, 'running');
    m.apply({ type: 'commandResult', command: 'stopStack', ok: false, message: 'nope' });
    assert.deepEqual(m.command, { command: 'stopStack', state: 'failed', message: 'nope' });
    assert.deepEqual(m.backups, { available: false, reason: 'none' });
  });

  it('makes charts taller in a wider sidebar, within bounds', () => {
    assert.equal(chartHeight(150), 90);
    assert.ok(chartHeight(280) > 100 && chartHeight(280) < chartHeight(570));
    assert.ok(chartHeight(570) >= 200);
    assert.equal(chartHeight(2000), 300);
  });
});

describe('webview: state kept across a hidden view', () => {
  it('restores the range and the open sections, never the last numbers', () => {
    const m = new SidebarModel({ ...defaultViewState(), range: '1h' });
    m.apply(stateMessage(sample(T, 1), { backups: { available: false, reason: 'none' } }));
    const saved = JSON.parse(JSON.stringify(m.persisted({ ...DEFAULT_OPEN, cpu: false })));
    assert.deepEqual(Object.keys(saved).sort(), ['open', 'range', 'v']);
    const back = restoreViewState({ ...saved, sample: sample(T, 1), backups: { available: false, reason: 'none' } });
    assert.deepEqual(back, { v: 1, range: '1h', open: { ...DEFAULT_OPEN, cpu: false } }, 'what an older version kept is dropped');
    const again = new SidebarModel(back);
    assert.equal(again.sample, undefined);
    assert.equal(again.header, undefined);
    assert.equal(again.connection.state, 'unknown');
  });

  it('drops whatever does not fit, keeping the rest', () => {
    assert.deepEqual(restoreViewState(undefined), defaultViewState());
    assert.deepEqual(restoreViewState('junk'), defaultViewState());
    assert.deepEqual(restoreViewState({ v: 2, range: '1h' }), defaultViewState());
    const back = restoreViewState({ v: 1, range: '1y', open: { cpu: 'yes', ipc: false, nonsense: true }, sample: { at: 'now' } });
    assert.equal(back.range, '15m');
    assert.equal(back.open.cpu, true);
    assert.equal(back.open.ipc, false);
    assert.equal('nonsense' in back.open, false);
  });
});
