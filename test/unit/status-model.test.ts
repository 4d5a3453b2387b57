/**
 * What the status bar, the Services tree and the context keys show (src/extension/status-model.ts,
 * pure): every item says "no engine" and why without one, the IPC item shows the newest sample,
 * accessibility labels in plain words, the tree's descriptions and details, context values and
 * keys, and the question before a profile switch that stops services.
 */
import assert from 'node:assert/strict';
import type { BackupStatus, EngineStatus, ServiceMetrics, ServiceStatus, StackMetrics } from '../../src/core/contract';
import {
  contextKeys,
  noEngineModel,
  profileSwitchQuestion,
  serviceContextValue,
  serviceDescription,
  serviceDetails,
  stackState,
  statusAccessibility,
  statusBarModel,
  type ConnectionInfo,
} from '../../src/extension/status-model';

const NOW = 1_000_000;

const service = (name: string, patch: Partial<ServiceStatus> = {}): ServiceStatus => ({
  name,
  state: 'ready',
  reason: 'probe ok',
  since: NOW - 60_000,
  pid: 100,
  restarts: 0,
  attempt: 0,
  startedAt: NOW - 60_000,
  completed: false,
  lastExit: undefined,
  lastProbe: {},
  lastCheck: undefined,
  rssMb: 40,
  tier: 'server',
  inProfile: true,
  health: 'OK',
  ...patch,
});

const status = (services: ServiceStatus[], patch: Partial<EngineStatus> = {}): EngineStatus => ({
  stack: 'demo',
  dir: '/tmp/demo',
  profile: 'dev',
  services,
  health: { level: 'OK', summary: 'ok', services: [] },
  ipc: { score: 40, level: 'ok', summary: 'IPC 40 (status)' },
  engine: { pid: 1, startedAt: 0 },
  ...patch,
});

const sample = (name: string, patch: Partial<ServiceMetrics> = {}): ServiceMetrics =>
  ({ service: name, state: 'ready', up: true, pid: 100, cpuPercent: 1.25, rssMb: 45.4, openFds: 10, uptimeSec: 60, restarts: 0, probeCount: 5, probeFailures: 0, probeFailureRate: 0, probeP50Ms: 2, probeP95Ms: 4.4, ipc: {} as ServiceMetrics['ipc'], ...patch }) as ServiceMetrics;

const metrics = (services: ServiceMetrics[]): StackMetrics => ({
  at: NOW,
  intervalMs: 5000,
  windowMs: 60_000,
  services,
  ipc: { score: 12, level: 'ok', summary: 'IPC 12 (sample)', worst: undefined, thresholds: { warn: 70, critical: 90 } },
});

const connected: ConnectionInfo = { mode: 'embedded', engine: { pid: 1, owner: 'extension' } };

describe('status model', () => {
  describe('status bar', () => {
    it('without an engine every item says so and why, never a last known state', () => {
      const conn: ConnectionInfo = { mode: 'none', problem: 'the engine could not start: opsdeck.yaml:3:1 bad key' };
      const m = statusBarModel(undefined, conn);
      assert.equal(m.status.text, '$(debug-disconnect) Opsdeck');
      assert.equal(m.ipc.text, 'IPC –');
      assert.equal(m.profile.text, '$(layers) –');
      for (const item of [m.status, m.ipc, m.profile]) {
        assert.match(item.tooltip, /no engine/);
        assert.match(item.tooltip, /opsdeck\\\.yaml:3:1 bad key/, 'the tooltip says why (escaped markdown)');
        assert.match(item.accessibility, /no engine.*opsdeck\.yaml:3:1 bad key/);
      }
    });

    it('the IPC item shows the score it is given (the newest sample), not the status\'s', () => {
      const s = status([service('api')]);
      assert.equal(statusBarModel(s, connected).ipc.text, 'IPC 40');
      const m = statusBarModel(s, connected, { ipc: { score: 12.4, level: 'ok', summary: 'IPC 12 (sample)' } });
      assert.equal(m.ipc.text, 'IPC 12');
      assert.match(m.ipc.tooltip, /IPC 12 \\\(sample\\\)/);
    });

    it('the status item\'s accessibility label is plain words, not the markdown tooltip', () => {
      const s = status([service('storage'), service('messaging'), service('api', { state: 'starting', health: 'UNKNOWN' })]);
      const m = statusBarModel(s, connected, { ipc: { score: 12, level: 'ok', summary: '' } });
      assert.equal(m.status.accessibility, 'Opsdeck: 2 of 3 services ready, IPC 12 ok, profile dev');
      assert.equal(statusAccessibility(status([service('api')], { profile: undefined })), 'Opsdeck: 1 of 1 service ready, IPC 40 ok, no profile');
      assert.doesNotMatch(m.status.accessibility, /[|*`$]/);
      assert.match(m.profile.accessibility, /^Opsdeck profile dev/);
    });
  });

  describe('Services tree', () => {
    it('a description with state, health, CPU, memory, endpoint, uptime and restarts', () => {
      const s = service('storage', { endpoint: 'http://127.0.0.1:7101', restarts: 2 });
      assert.equal(serviceDescription(s, NOW, metrics([sample('storage')])), 'ready · OK · 1.3% CPU · 45 MB · up 1m · 2 restarts · http://127.0.0.1:7101');
      assert.equal(serviceDescription(service('api', { restarts: 1 }), NOW), 'ready · OK · 40 MB · up 1m · 1 restart', 'no sample: the status\'s memory');
    });

    it('ignores a sample of another process (the one before a restart) and a stopped service\'s numbers', () => {
      assert.doesNotMatch(serviceDescription(service('api', { pid: 200 }), NOW, metrics([sample('api', { pid: 100, cpuPercent: 50 })])), /CPU/);
      const stopped = service('api', { state: 'stopped', pid: undefined, health: 'UNKNOWN', inProfile: false, endpoint: 'http://127.0.0.1:7103' });
      assert.equal(serviceDescription(stopped, NOW, metrics([sample('api')])), 'stopped · 0 restarts · not in profile · http://127.0.0.1:7103');
    });

    it('context values: per state, `-outside` out of the profile', () => {
      assert.equal(serviceContextValue(service('a')), 'service-running');
      assert.equal(serviceContextValue(service('a', { state: 'degraded' })), 'service-running');
      assert.equal(serviceContextValue(service('a', { state: 'stopped' })), 'service-stopped');
      assert.equal(serviceContextValue(service('a', { state: 'failed' })), 'service-failed');
      assert.equal(serviceContextValue(service('a', { state: 'stopped', inProfile: false })), 'service-stopped-outside');
      assert.equal(serviceContextValue(service('a', { inProfile: false })), 'service-running-outside');
    });

    it('details: probes with latency, last restart and why, backup age and RPO', () => {
      const s = service('storage', {
        lastProbe: { readiness: { ok: true, latencyMs: 3.2 }, liveness: { ok: false, latencyMs: 1000, error: 'timeout' } },
        lastRestart: { at: NOW - 30_000, cause: 'crash', detail: 'killed by SIGKILL' },
        restarts: 1,
      });
      const backups = {
        services: [{ service: 'storage', rpo: 'ok', newest: { snapshot: 'abcdef1234', time: new Date(NOW - 7_200_000).toISOString(), ageMs: 7_200_000 } }],
      } as unknown as BackupStatus;
      const details = serviceDetails(s, metrics([sample('storage')]), backups, NOW);
      assert.deepEqual(
        details.map((d) => [d.label, d.description]),
        [
          ['readiness probe', 'ok · 3 ms · p95 4 ms'],
          ['liveness probe', 'failed · 1000 ms · p95 4 ms · timeout'],
          ['last restart', 'crash: killed by SIGKILL · 30s ago'],
          ['backup', '2h ago · RPO ok'],
        ],
      );
    });

    it('details without results: no probe yet, no restart, a backup not configured (neutral), none without backup status', () => {
      const s = service('api', { state: 'starting', health: 'UNKNOWN' });
      const details = serviceDetails(s, undefined, { services: [] } as unknown as BackupStatus, NOW);
      assert.deepEqual(
        details.map((d) => [d.label, d.description, d.color]),
        [
          ['probes', 'no result yet', 'descriptionForeground'],
          ['restarts', 'none', 'descriptionForeground'],
          ['backup', 'not configured', 'descriptionForeground'],
        ],
      );
      assert.equal(serviceDetails(s, undefined, undefined, NOW).find((d) => d.key === 'backup'), undefined);
      const breach = { services: [{ service: 'api', rpo: 'breach' }] } as unknown as BackupStatus;
      assert.deepEqual(serviceDetails(s, undefined, breach, NOW).find((d) => d.key === 'backup')?.description, 'none yet · RPO breached');
    });

    it('without an engine: one item saying why', () => {
      assert.deepEqual(noEngineModel({ mode: 'none', problem: 'no engine is running' }), { label: 'No engine', description: 'no engine is running', tooltip: 'Engine: not connected: no engine is running' });
    });
  });

  describe('context keys', () => {
    it('stack state: none, stopped, partial, running (the profile\'s services)', () => {
      assert.equal(stackState(undefined), 'none');
      assert.equal(stackState(status([service('a', { state: 'stopped' }), service('b', { state: 'stopped' })])), 'stopped');
      assert.equal(stackState(status([service('a'), service('b', { state: 'failed' })])), 'partial');
      assert.equal(stackState(status([service('a'), service('b', { state: 'starting' }), service('c', { state: 'stopped', inProfile: false })])), 'running');
    });

    it('the keys the manifest reads', () => {
      assert.deepEqual(contextKeys(true, connected, status([service('a')]), true), {
        'opsdeck.active': true,
        'opsdeck.connected': true,
        'opsdeck.mode': 'embedded',
        'opsdeck.backupsAvailable': true,
        'opsdeck.stackRunning': true,
        'opsdeck.stackState': 'running',
      });
      const none = contextKeys(true, { mode: 'none' }, undefined, false);
      assert.equal(none['opsdeck.stackRunning'], false);
      assert.equal(none['opsdeck.stackState'], 'none');
      assert.equal(contextKeys(false, { mode: 'none' }, undefined, false)['opsdeck.active'], false);
    });
  });

  it('a profile switch that stops services asks first; one that stops none does not', () => {
    const plan = (steps: [string, 'stop' | 'start'][]) => ({ dryRun: true, plan: steps.map(([service, action]) => ({ service, action, wave: 0, reason: '' })) });
    assert.equal(profileSwitchQuestion('minimal', plan([['api', 'stop'], ['messaging', 'stop']])), 'Switch to profile minimal? It stops api and messaging, which are not in it.');
    assert.equal(profileSwitchQuestion('lean', plan([['api', 'stop']])), 'Switch to profile lean? It stops api, which is not in it.');
    assert.equal(profileSwitchQuestion('dev', plan([['api', 'start']])), undefined);
  });
});
