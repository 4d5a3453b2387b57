import assert from 'node:assert/strict';
import { metricsSourceFromClient } from '../../src/extension/metrics-view/api-metrics-source';
import { commandRunner, contractCommand } from '../../src/extension/metrics-view/contract-commands';
import { contentSecurityPolicy, createNonce, webviewHtml } from '../../src/extension/metrics-view/html';
import { backupsInfoFromStatus, cleanPoints, finite, historyPayload, metricsSample, rangeStart, restartFromEvent, statusSnapshot } from '../../src/extension/metrics-view/shape';
import { stateMessage } from '../../src/extension/metrics-view/state-message';
import type { StackSnapshot } from '../../src/extension/state/stack-store';
import { parseHostMessage, SIDEBAR_COMMANDS, type SidebarCommand } from '../../src/shared/protocol';
import type { EngineStatus } from '../../src/core/contract/status';
import type { MetricsHistory, StackMetrics } from '../../src/core/contract/metrics';
import type { EngineEvent } from '../../src/core/contract/events';

const T = Date.UTC(2026, 0, 1, 12);

function engineStatus(over: Partial<EngineStatus> = {}): EngineStatus {
  return {
    stack: 'memory-stack',
    dir: '/stack',
    profile: 'dev',
    services: [
      {
        name: 'storage', state: 'ready', reason: 'ready', since: T - 60_000, pid: 42, restarts: 1, attempt: 0, startedAt: T - 90_000, completed: false,
        lastExit: undefined, lastProbe: {}, lastCheck: undefined, rssMb: undefined, tier: 'storage', inProfile: true, health: 'OK',
      },
      { name: 'api', state: 'stopped', reason: 'not started', since: T, pid: undefined, startedAt: undefined, restarts: 0, attempt: 0, completed: false, lastExit: undefined, lastProbe: {}, lastCheck: undefined, rssMb: undefined, tier: 'server', inProfile: false, health: 'UNKNOWN' },
    ],
    health: { level: 'OK', summary: '1/1 OK', services: [] },
    ipc: { score: 12, level: 'ok', summary: 'IPC 12: storage p95 30 ms' },
    engine: { pid: 1, startedAt: T - 100_000 },
    ...over,
  };
}

function stackMetrics(over: Partial<StackMetrics> = {}): StackMetrics {
  const pressure = { service: 'storage', pressure: 0.1, dominant: 'latency' as const, terms: {}, probes: 10, failures: 0, failureRate: 0, p50LatencyMs: 2, p95LatencyMs: 9, latencyBudgetMs: 250, backlog: undefined, detail: '' };
  return {
    at: T,
    intervalMs: 5000,
    windowMs: 60_000,
    services: [
      {
        service: 'storage', state: 'ready', up: true, pid: 42, cpuPercent: 1.234, rssMb: 40.5, openFds: 12, uptimeSec: 90, restarts: 1,
        probeCount: 10, probeFailures: 0, probeFailureRate: 0, probeP50Ms: 2, probeP95Ms: 9, ipc: pressure,
      },
      {
        service: 'api', state: 'stopped', up: false, pid: undefined, cpuPercent: undefined, rssMb: NaN, openFds: undefined, uptimeSec: undefined, restarts: 0,
        probeCount: 0, probeFailures: 0, probeFailureRate: undefined, probeP50Ms: undefined, probeP95Ms: Infinity, ipc: { ...pressure, service: 'api' },
      },
    ],
    ipc: { score: 12, worst: undefined, summary: 'IPC 12', level: 'ok', thresholds: { warn: 70, critical: 90 } },
    ...over,
  };
}

function metricsHistory(over: Partial<MetricsHistory> = {}): MetricsHistory {
  return {
    at: T,
    since: T - 900_000,
    intervalMs: 5000,
    thresholds: { warn: 70, critical: 90 },
    services: {
      storage: { cpuPercent: [[T - 5000, 1], [T, 2]], rssMb: [[T, 40]], openFds: [[T, 12]], restarts: [[T, 1]], probeP95Ms: [[T, NaN], [T, 9]] },
      api: {},
    },
    ipc: [[T - 5000, 10], [T, 120]],
    restarts: [{ at: T - 1000, service: 'storage', cause: 'crash', attempt: 1, detail: 'exit code 1' }],
    ...over,
  };
}

describe('webview host: shaping engine answers into messages', () => {
  it('keeps finite numbers only', () => {
    assert.equal(finite(1.5), 1.5);
    assert.equal(finite(NaN), undefined);
    assert.equal(finite(Infinity), undefined);
    assert.equal(finite(-1), undefined);
    assert.equal(finite(-1, false), -1);
    assert.equal(finite(undefined), undefined);
  });

  it('makes a status snapshot with uptimes at the snapshot time and the profiles', () => {
    const snap = statusSnapshot(engineStatus(), { active: 'dev', profiles: [{ name: 'dev', services: ['storage'] }, { name: 'all', services: ['storage', 'api'], description: 'everything' }] }, T);
    assert.equal(snap.services[0]!.uptimeSec, 90);
    assert.equal('uptimeSec' in snap.services[1]!, false, 'not running: no uptime, not `undefined`');
    assert.deepEqual(snap.profiles[1], { name: 'all', services: ['storage', 'api'], description: 'everything' });
    assert.ok(parseHostMessage({ type: 'state', state: { seq: 1, epoch: 1, at: T, connection: { state: 'connected', mode: 'attach' }, status: snap } }).ok);
    const none = statusSnapshot(engineStatus({ profile: undefined }), { active: undefined, profiles: [] }, T);
    assert.equal('profile' in none, false);
  });

  it('makes a metrics sample without NaN, Infinity or undefined members, valid after a JSON round trip', () => {
    const sample = metricsSample(stackMetrics());
    assert.deepEqual(sample.services[0], { name: 'storage', state: 'ready', up: true, cpuPercent: 1.234, rssMb: 40.5, probeP50Ms: 2, probeP95Ms: 9, probeFailureRate: 0, restarts: 1, uptimeSec: 90 });
    assert.deepEqual(sample.services[1], { name: 'api', state: 'stopped', up: false, restarts: 0 });
    assert.deepEqual(sample.ipc, { score: 12, level: 'ok', summary: 'IPC 12', thresholds: { warn: 70, critical: 90 } });
    assert.ok(parseHostMessage(JSON.parse(JSON.stringify({ type: 'state', state: { seq: 1, epoch: 1, at: T, connection: { state: 'connected', mode: 'attach' }, sample } }))).ok);
  });

  it('makes a history of the charted metrics only, with clean points and the restarts', () => {
    const h = historyPayload(metricsHistory(), '15m', T - 900_000);
    assert.deepEqual(
      h.series.map((x) => [x.service, x.metric, x.points]),
      [
        ['storage', 'cpuPercent', [[T - 5000, 1], [T, 2]]],
        ['storage', 'rssMb', [[T, 40]]],
        ['storage', 'probeP95Ms', [[T, 9]]],
      ],
    );
    assert.deepEqual(h.ipc, [[T - 5000, 10], [T, 100]], 'scores are clamped to 0..100');
    assert.deepEqual(h.restarts, [{ at: T - 1000, service: 'storage', cause: 'crash', detail: 'exit code 1', attempt: 1 }]);
    assert.equal(h.range, '15m');
    assert.ok(parseHostMessage({ type: 'history', history: h }).ok);
  });

  it('keeps only the newest points when there are too many', () => {
    const many = Array.from({ length: 5000 }, (_, i): [number, number] => [i, i]);
    const kept = cleanPoints(many);
    assert.equal(kept.length, 4000);
    assert.deepEqual(kept[0], [1000, 1000]);
  });

  it('turns a restart event into a timeline mark, and a range into its start', () => {
    const e: EngineEvent = { type: 'restart', at: T, service: 'api', attempt: 2, delayMs: 1000, cause: 'hang', detail: 'liveness failed' };
    assert.deepEqual(restartFromEvent(e), { at: T, service: 'api', cause: 'hang', detail: 'liveness failed', attempt: 2 });
    assert.equal(rangeStart('5m', T), T - 300_000);
    assert.equal(rangeStart('1h', 1000), 0);
  });
});

describe('webview host: the HTML shell and its CSP', () => {
  const html = webviewHtml({ cspSource: 'https://file+.vscode-resource.vscode-cdn.net', nonce: 'n0nce', script: 'https://r/main.js', styles: ['https://r/uplot.css', 'https://r/main.css'], codicons: 'https://r/codicon.css' });

  it('allows scripts only by nonce, styles and fonts only from the webview origin, nothing remote or inline', () => {
    const csp = contentSecurityPolicy('vscode-webview://abc', 'n0nce');
    assert.equal(csp, "default-src 'none'; script-src 'nonce-n0nce'; style-src vscode-webview://abc 'nonce-n0nce'; font-src vscode-webview://abc; img-src vscode-webview://abc data:");
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:|\*/);
  });

  it('puts the CSP first, links the codicons by the id the icons look for, and loads one nonce\'d module', () => {
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-n0nce';/);
    assert.ok(html.indexOf('Content-Security-Policy') < html.indexOf('<link'));
    assert.match(html, /<link rel="stylesheet" id="vscode-codicon-stylesheet" href="https:\/\/r\/codicon.css"/);
    const scripts = html.match(/<script[^>]*>/g) ?? [];
    assert.deepEqual(scripts, ['<script type="module" nonce="n0nce" src="https://r/main.js">']);
    assert.doesNotMatch(html, /style="/, 'no inline style attributes');
    assert.doesNotMatch(html, /<style/, 'no inline style elements');
  });

  it('makes a new unguessable nonce each time', () => {
    const a = createNonce();
    assert.match(a, /^[0-9a-f]{32}$/);
    assert.notEqual(a, createNonce());
  });
});

describe('webview host: requests as the extension\'s commands', () => {
  it('maps every request to an opsdeck.* command of the contract', async () => {
    const all: SidebarCommand[] = [
      { type: 'switchProfile', name: 'minimal' },
      { type: 'backupNow' },
      { type: 'startStack' },
      { type: 'stopStack' },
      { type: 'startService', name: 'api' },
      { type: 'restartService', name: 'api' },
      { type: 'openLogs', name: 'storage' },
    ];
    assert.deepEqual(all.map((c) => c.type).sort(), [...SIDEBAR_COMMANDS].sort());
    assert.deepEqual(all.map(contractCommand), [
      ['opsdeck.switchProfile', 'minimal'],
      ['opsdeck.backupNow'],
      ['opsdeck.startStack'],
      ['opsdeck.stopStack'],
      ['opsdeck.service.start', 'api'],
      ['opsdeck.restartService', 'api'],
      ['opsdeck.viewLogs', 'storage'],
    ]);
    const calls: unknown[][] = [];
    const run = commandRunner(async (id, ...args) => void calls.push([id, ...args]));
    await run({ type: 'restartService', name: 'api' });
    assert.deepEqual(calls, [['opsdeck.restartService', 'api']]);
    await assert.rejects(commandRunner(async () => Promise.reject(new Error('no such command')))({ type: 'startStack' }), /no such command/);
  });
});

describe('webview host: a MetricsSource over the API client', () => {
  it('asks the client for the history only, and follows events only while subscribed, reopening a broken stream', async () => {
    const calls: string[] = [];
    let streams = 0;
    const client = {
      metricsHistory: async (o: object = {}) => (calls.push(`history ${JSON.stringify(o)}`), metricsHistory()),
      metricsRollups: async () => {
        throw new Error('not asked for an hour or less');
      },
      events: async (on: (e: EngineEvent) => void, _o: object = {}, signal?: AbortSignal) => {
        streams++;
        on({ type: 'spawn', at: T, service: 'api', pid: streams, command: [] });
        if (streams === 1) throw new Error('broken');
        await new Promise<void>((r) => signal?.addEventListener('abort', () => r()));
      },
    };
    const source = metricsSourceFromClient(client, { run: async () => undefined, reconnectMs: 5 });
    assert.deepEqual(Object.keys(source).sort(), ['history', 'onEvent', 'run'], 'status, metrics and backups come from the store');
    await source.history(T - 60_000);
    assert.deepEqual(calls, [`history {"since":${T - 60_000},"metrics":["cpuPercent","rssMb","probeP50Ms","probeP95Ms","restarts"]}`]);
    const seen: number[] = [];
    const sub = source.onEvent((e) => {
      if (e.type === 'spawn') seen.push(e.pid);
      throw new Error('a listener bug does not break the stream');
    });
    await new Promise((r) => setTimeout(r, 40));
    sub.dispose();
    assert.deepEqual(seen, [1, 2], 'the second stream replaced the broken one');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(streams, 2, 'no stream after dispose');
  });
});

describe('webview host: backups from the engine\'s backup status', () => {
  it('gives each service its last backup time and RPO; never backed up has none', async () => {
    const info = backupsInfoFromStatus(
      {
        services: [
          { service: 'storage', rpoMs: 3_600_000, newest: { time: new Date(T - 60_000).toISOString() } },
          { service: 'api', newest: { time: 'not a time' } },
          { service: 'cache', rpoMs: 0 },
        ],
      },
      T,
    );
    assert.deepEqual(info, { available: true, at: T, services: [{ service: 'storage', lastBackupAt: T - 60_000, rpoMs: 3_600_000 }, { service: 'api' }, { service: 'cache' }] });
    assert.ok(parseHostMessage({ type: 'state', state: { seq: 1, epoch: 1, at: T, connection: { state: 'connected', mode: 'attach' }, backups: info } }).ok);
  });

  it('names the snapshot manifests that cannot be read (the first 20, and how many in all); none: no field', () => {
    const ids = Array.from({ length: 23 }, (_, i) => i.toString(16).padStart(2, '0').repeat(32));
    const info = backupsInfoFromStatus({ services: [{ service: 'storage' }], unreadable: ids.map((id) => ({ id })) }, T);
    assert.ok(info.available);
    assert.deepEqual(info.unreadable, { ids: ids.slice(0, 20), total: 23 });
    assert.ok(parseHostMessage({ type: 'state', state: { seq: 1, epoch: 1, at: T, connection: { state: 'connected', mode: 'attach' }, backups: info } }).ok);
    const none = backupsInfoFromStatus({ services: [{ service: 'storage' }], unreadable: [] }, T);
    assert.ok(none.available && !('unreadable' in none));
    // the webview refuses a list longer than it shows, or an id that is not one
    const tooMany = { ...info, unreadable: { ids, total: 23 } };
    assert.equal(parseHostMessage({ type: 'state', state: { seq: 1, epoch: 1, at: T, connection: { state: 'connected', mode: 'attach' }, backups: tooMany } }).ok, false);
    const notAnId = { ...info, unreadable: { ids: ['<img src=x>'], total: 1 } };
    assert.equal(parseHostMessage({ type: 'state', state: { seq: 1, epoch: 1, at: T, connection: { state: 'connected', mode: 'attach' }, backups: notAnId } }).ok, false);
  });

});

describe('webview host: the state message, from the one snapshot', () => {
  const snapshot = (over: Partial<StackSnapshot> = {}): StackSnapshot => ({
    seq: 5,
    epoch: 2,
    at: T,
    connection: { mode: 'attach', engine: { pid: 9, owner: 'daemon' } },
    status: engineStatus(),
    metrics: stackMetrics({ ipc: { score: 40, worst: undefined, summary: 'IPC 40', level: 'ok', thresholds: { warn: 70, critical: 90 } } }),
    profiles: { active: 'dev', profiles: [{ name: 'dev', services: ['storage'] }] },
    backupsAvailable: true,
    backups: undefined,
    ...over,
  });

  it('gives the header the status bar\'s numbers: ready of the profile, the newest IPC, the profile', () => {
    const s = stateMessage(snapshot());
    assert.equal(s.seq, 5);
    assert.equal(s.epoch, 2);
    assert.deepEqual(s.header, { ready: 1, total: 1, ipc: { score: 40, level: 'ok', summary: 'IPC 40' }, profile: 'dev' });
    assert.equal('backups' in s, false, 'not read yet');
    assert.ok(parseHostMessage(JSON.parse(JSON.stringify({ type: 'state', state: s }))).ok);
    // Before the first sample: the status's score.
    assert.equal(stateMessage(snapshot({ metrics: undefined })).header?.ipc.score, 12);
  });

  it('without an engine: the reason only, whatever the snapshot still holds', () => {
    const s = stateMessage(snapshot({ connection: { mode: 'none', problem: 'config broken' } }));
    assert.deepEqual(s, { seq: 5, epoch: 2, at: T, connection: { state: 'unavailable', mode: 'none', message: 'config broken' } });
    const connecting = stateMessage(snapshot({ status: undefined }));
    assert.deepEqual(connecting.connection, { state: 'connected', mode: 'attach' });
    assert.equal(connecting.header, undefined);
  });
});
