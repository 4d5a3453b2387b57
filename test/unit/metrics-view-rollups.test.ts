/** The Metrics view over 24 h and 7 days: the long-term store's rollups, in the shape of the sampled history. */
import assert from 'node:assert/strict';
import { metricsSourceFromClient } from '../../src/extension/metrics-view/api-metrics-source';
import { HISTORY_RANGES } from '../../src/shared/protocol';
import type { MetricsHistory } from '../../src/core/contract/metrics';
import type { RollupAnswer } from '../../src/core/contract/metrics-store';

const T = Date.UTC(2026, 10, 30);
const rollups: RollupAnswer = {
  resolution: 'hour',
  since: T - 7 * 86_400_000,
  until: T,
  services: [
    { at: T - 7_200_000, service: 'api', samples: 720, cpuAvg: 3.5, rssAvgMb: 80, probes: 720, probeFailures: 0, latencyP50Ms: 12, latencyP95Ms: 40, activeSec: 3600, upSec: 3600, readySec: 3600, restarts: 0, checksOk: 1, checksFailed: 0 },
    { at: T - 3_600_000, service: 'api', samples: 720, rssAvgMb: 82, probes: 0, probeFailures: 0, activeSec: 3600, upSec: 3600, readySec: 3600, restarts: 1, checksOk: 0, checksFailed: 0 },
  ],
  stack: [{ at: T - 3_600_000, samples: 720, ipcAvg: 14.5, ipcMax: 60, ipcBins: [] }],
  marks: [{ at: T - 3_000_000, kind: 'restart', service: 'api', data: { cause: 'crash', detail: 'exit code 1' } }],
  store: { bytes: 1, minuteRows: 0, hourRows: 2, marks: 1 },
};

describe('metrics view: long ranges from the long-term store (mock client)', () => {
  it('asks the sampled history up to an hour, the rollups (with marks) beyond, and charts them alike', async () => {
    const calls: string[] = [];
    const empty: MetricsHistory = { at: T, intervalMs: 5000, thresholds: { warn: 60, critical: 80 }, services: {}, ipc: [], restarts: [] };
    const client = {
      metricsHistory: async (o: object = {}) => (calls.push(`history ${JSON.stringify(o)}`), empty),
      metricsRollups: async (o: object = {}) => (calls.push(`rollups ${JSON.stringify(o)}`), rollups),
      events: async () => undefined,
    };
    const source = metricsSourceFromClient(client, { run: async () => undefined, onEvent: () => ({ dispose: () => undefined }) });
    await source.history(T - HISTORY_RANGES['1h'], HISTORY_RANGES['1h']);
    assert.deepEqual(calls.splice(0), [`history ${JSON.stringify({ since: T - 3_600_000, metrics: ['cpuPercent', 'rssMb', 'probeP50Ms', 'probeP95Ms', 'restarts'] })}`]);
    const h = await source.history(T - HISTORY_RANGES['7d'], HISTORY_RANGES['7d']);
    assert.equal(calls[0], `rollups ${JSON.stringify({ since: T - 7 * 86_400_000, marks: true })}`);
    assert.deepEqual(h.services.api, {
      cpuPercent: [[T - 7_200_000, 3.5]],
      rssMb: [[T - 7_200_000, 80], [T - 3_600_000, 82]],
      probeP50Ms: [[T - 7_200_000, 12]],
      probeP95Ms: [[T - 7_200_000, 40]],
    });
    assert.equal(h.intervalMs, 3_600_000);
    assert.deepEqual(h.thresholds, { warn: 60, critical: 80 }, 'the active profile\'s thresholds');
    assert.deepEqual(h.ipc, [[T - 3_600_000, 14.5]]);
    assert.deepEqual(h.restarts, [{ at: T - 3_000_000, service: 'api', cause: 'crash', detail: 'exit code 1' }]);
  });
});
