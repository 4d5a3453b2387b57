import assert from 'node:assert/strict';
import {
  PROTOCOL_VERSION,
  SIDEBAR_COMMANDS,
  isSidebarCommand,
  parseHostMessage,
  parseWebviewMessage,
  type HostMessage,
  type MetricsSample,
  type StatusSnapshot,
  type WebviewMessage,
} from '../../src/shared/protocol';

const now = Date.UTC(2026, 0, 1);

const statusSnapshot: StatusSnapshot = {
  at: now,
  stack: 'memory-stack',
  profile: 'dev',
  profiles: [{ name: 'dev', services: ['storage', 'api'] }, { name: 'minimal', services: ['storage'], description: 'storage only' }],
  services: [
    { name: 'storage', state: 'ready', reason: 'ready', tier: 'storage', inProfile: true, health: 'OK', restarts: 0, uptimeSec: 12.5 },
    { name: 'api', state: 'degraded', reason: 'upstream: storage', tier: 'server', inProfile: true, health: 'WARNING', restarts: 2 },
  ],
  health: { level: 'WARNING', summary: '1/2 OK (api WARNING)' },
  ipc: { score: 12, level: 'ok', summary: 'IPC 12: storage p95 30 ms' },
};

const sample: MetricsSample = {
  at: now,
  intervalMs: 5000,
  services: [
    { name: 'storage', state: 'ready', up: true, cpuPercent: 1.5, rssMb: 40, probeP50Ms: 2, probeP95Ms: 9, probeFailureRate: 0, restarts: 0, uptimeSec: 60 },
    { name: 'api', state: 'stopped', up: false, restarts: 0 },
  ],
  ipc: { score: 12, level: 'ok', summary: 'IPC 12', thresholds: { warn: 70, critical: 90 } },
};

/** The whole state snapshot of a connected engine. */
const status: HostMessage = structuredClone<HostMessage>({
  type: 'state',
  state: {
    seq: 7,
    epoch: 2,
    at: now,
    connection: { state: 'connected', mode: 'embedded' },
    header: { ready: 1, total: 2, ipc: { score: 12, level: 'ok', summary: 'IPC 12' }, profile: 'dev' },
    status: statusSnapshot,
    sample,
    backups: { available: true, at: now, services: [{ service: 'storage', lastBackupAt: now - 60_000, rpoMs: 3_600_000 }, { service: 'api' }] },
  },
});

/** A state with only a sample beside the connection (members are optional). */
const metrics: HostMessage = structuredClone<HostMessage>({ type: 'state', state: { seq: 8, epoch: 2, at: now, connection: { state: 'connected', mode: 'attach' }, sample } });

const history: HostMessage = {
  type: 'history',
  history: {
    range: '15m',
    since: now - 900_000,
    until: now,
    intervalMs: 5000,
    series: [{ service: 'storage', metric: 'cpuPercent', points: [[now - 5000, 1], [now, 2]] }],
    ipc: [[now, 12]],
    thresholds: { warn: 70, critical: 90 },
    restarts: [{ at: now - 1000, service: 'api', cause: 'crash', attempt: 1 }, { at: now, service: 'api' }],
  },
};

const goodHost: HostMessage[] = [
  status,
  metrics,
  history,
  { type: 'restart', restart: { at: now, service: 'api', cause: 'hang', detail: 'liveness failed 3 times', attempt: 2 } },
  { type: 'state', state: { seq: 1, epoch: 1, at: now, connection: { state: 'connected', mode: 'attach' }, backups: { available: false, reason: 'This engine keeps no backups yet.' } } },
  { type: 'state', state: { seq: 2, epoch: 2, at: now, connection: { state: 'unavailable', mode: 'none', message: 'the engine did not answer within 2000 ms' } } },
  { type: 'commandResult', command: 'startStack', ok: true },
  { type: 'commandResult', command: 'backupNow', ok: false, message: 'no repository' },
];

const goodWebview: WebviewMessage[] = [
  { type: 'ready', protocol: PROTOCOL_VERSION },
  { type: 'ready', protocol: PROTOCOL_VERSION, range: '1h' },
  { type: 'switchProfile', name: 'minimal' },
  { type: 'backupNow' },
  { type: 'startStack' },
  { type: 'stopStack' },
  { type: 'startService', name: 'storage' },
  { type: 'restartService', name: 'storage' },
  { type: 'openLogs', name: 'api' },
  { type: 'requestHistory', range: '5m' },
];

/** A deep copy of `m` with `edit` applied. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- edits reach into any member on purpose
function changed<T>(m: T, edit: (copy: any) => void): unknown {
  const copy = structuredClone(m);
  edit(copy);
  return copy;
}

describe('protocol: host → webview messages', () => {
  it('accepts every kind of good message, unchanged, also after a JSON round trip', () => {
    for (const m of goodHost) {
      const parsed = parseHostMessage(m);
      assert.ok(parsed.ok, `${m.type}: ${parsed.ok ? '' : parsed.error}`);
      assert.deepEqual(parsed.message, m);
      assert.ok(parseHostMessage(JSON.parse(JSON.stringify(m))).ok, `${m.type} after JSON`);
    }
  });

  const bad: [string, unknown][] = [
    ['not an object', 'status'],
    ['null', null],
    ['an array', [status]],
    ['no type', { state: (status as { state: unknown }).state }],
    ['an unknown type', { type: 'eval', code: 'alert(1)' }],
    ['an extra member', changed(status, (m) => (m.html = '<img src=x onerror=alert(1)>'))],
    ['an extra member deep inside', changed(status, (m) => (m.state.status.services[0].color = 'red'))],
    ['an unknown state', changed(status, (m) => (m.state.status.services[0].state = 'exploded'))],
    ['a negative restart count', changed(status, (m) => (m.state.status.services[0].restarts = -1))],
    ['a fractional restart count', changed(status, (m) => (m.state.status.services[0].restarts = 1.5))],
    ['an IPC score over 100', changed(status, (m) => (m.state.status.ipc.score = 101))],
    ['an empty service name', changed(status, (m) => (m.state.status.services[0].name = ''))],
    ['a very long service name', changed(status, (m) => (m.state.status.services[0].name = 'x'.repeat(201)))],
    ['NaN (arrives as null over JSON)', JSON.parse(JSON.stringify(changed(metrics, (m) => (m.state.sample.services[0].cpuPercent = NaN))))],
    ['Infinity', changed(metrics, (m) => (m.state.sample.services[0].rssMb = Infinity))],
    ['a failure rate over 1', changed(metrics, (m) => (m.state.sample.services[0].probeFailureRate = 1.5))],
    ['a sample without thresholds', changed(metrics, (m) => delete m.state.sample.ipc.thresholds)],
    ['a zero interval', changed(metrics, (m) => (m.state.sample.intervalMs = 0))],
    ['an unknown range', changed(history, (m) => (m.history.range = '2d'))],
    ['an unknown chart metric', changed(history, (m) => (m.history.series[0].metric = 'openFds'))],
    ['a point that is not a pair', changed(history, (m) => (m.history.series[0].points[0] = [1, 2, 3]))],
    ['a string in a point', changed(history, (m) => (m.history.ipc[0] = [now, '12']))],
    ['backups available without services', changed(status, (m) => delete m.state.backups.services)],
    ['backups unavailable without a reason', changed(status, (m) => (m.state.backups = { available: false }))],
    ['a state without its sequence number', changed(status, (m) => delete m.state.seq)],
    ['a header with a fractional ready count', changed(status, (m) => (m.state.header.ready = 1.5))],
    ['a connection mode that does not exist', changed(status, (m) => (m.state.connection.mode = 'remote'))],
    ['a command result for a command that does not exist', { type: 'commandResult', command: 'rm -rf', ok: true }],
    ['a connection state that does not exist', changed(status, (m) => (m.state.connection.state = 'maybe'))],
  ];
  for (const [what, m] of bad) {
    it(`rejects ${what}`, () => {
      const parsed = parseHostMessage(m);
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.match(parsed.error, /^ignored an invalid host → webview message/);
    });
  }

  it('says which message and where it went wrong', () => {
    const parsed = parseHostMessage(changed(status, (m) => (m.state.status.services[1].restarts = -3)));
    assert.equal(parsed.ok, false);
    if (!parsed.ok) {
      assert.match(parsed.error, /of type "state"/);
      assert.match(parsed.error, /state\.status\.services\.1\.restarts/);
    }
  });
});

describe('protocol: webview → host messages', () => {
  it('accepts every request the webview can make', () => {
    for (const m of goodWebview) {
      const parsed = parseWebviewMessage(m);
      assert.ok(parsed.ok, `${m.type}: ${parsed.ok ? '' : parsed.error}`);
      assert.deepEqual(parsed.message, m);
    }
  });

  const bad: [string, unknown][] = [
    ['undefined', undefined],
    ['a string', 'ready'],
    ['an unknown type', { type: 'runShell', command: 'rm -rf /' }],
    ['ready of another protocol version', { type: 'ready', protocol: PROTOCOL_VERSION + 1 }],
    ['ready without a version', { type: 'ready' }],
    ['switchProfile without a name', { type: 'switchProfile' }],
    ['switchProfile with an empty name', { type: 'switchProfile', name: '' }],
    ['restartService with a number for a name', { type: 'restartService', name: 3 }],
    ['openLogs with an extra member', { type: 'openLogs', name: 'api', path: '/etc/passwd' }],
    ['backupNow with an extra member', { type: 'backupNow', force: true }],
    ['requestHistory with an unknown range', { type: 'requestHistory', range: '1y' }],
    ['a host message sent the wrong way', status],
  ];
  for (const [what, m] of bad) {
    it(`rejects ${what}`, () => {
      const parsed = parseWebviewMessage(m);
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.match(parsed.error, /^ignored an invalid webview → host message/);
    });
  }

  it('tells the user requests (commands) from ready and requestHistory', () => {
    const commands = goodWebview.filter(isSidebarCommand).map((m) => m.type);
    assert.deepEqual([...new Set(commands)].sort(), [...SIDEBAR_COMMANDS].sort());
    assert.equal(isSidebarCommand({ type: 'ready', protocol: PROTOCOL_VERSION }), false);
    assert.equal(isSidebarCommand({ type: 'requestHistory', range: '1h' }), false);
  });
});
