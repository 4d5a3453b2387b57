/**
 * The Metrics view's charts over a long range (24 h, 7 days): the long-term store's rollups
 * (GET /v1/metrics/rollups) in the shape of the sampled history, so the feed and the webview
 * treat both alike: a service's CPU and RSS averages, probe p50 / p95, the stack's IPC average
 * per minute or hour, and the restarts among the marks.
 */
import type { HistoryMetric, MetricsHistory, RollupAnswer } from '../../core/contract';
import { RESOLUTION_MS } from '../../core/contract';

const FIELDS: [HistoryMetric, 'cpuAvg' | 'rssAvgMb' | 'latencyP50Ms' | 'latencyP95Ms'][] = [
  ['cpuPercent', 'cpuAvg'],
  ['rssMb', 'rssAvgMb'],
  ['probeP50Ms', 'latencyP50Ms'],
  ['probeP95Ms', 'latencyP95Ms'],
];

export function historyFromRollups(a: RollupAnswer, thresholds: MetricsHistory['thresholds']): MetricsHistory {
  const services: MetricsHistory['services'] = {};
  for (const r of a.services) {
    const s = (services[r.service] ??= {});
    for (const [metric, field] of FIELDS) {
      const v = r[field];
      if (v !== undefined) (s[metric] ??= []).push([r.at, v]);
    }
  }
  return {
    at: a.until,
    since: a.since,
    intervalMs: RESOLUTION_MS[a.resolution],
    thresholds,
    services,
    ipc: a.stack.filter((k) => k.ipcAvg !== undefined).map((k): [number, number] => [k.at, k.ipcAvg!]),
    restarts: (a.marks ?? [])
      .filter((m) => m.kind === 'restart')
      .map((m) => ({ at: m.at, service: m.service, ...(typeof m.data.cause === 'string' ? { cause: m.data.cause } : {}), ...(typeof m.data.detail === 'string' ? { detail: m.data.detail } : {}) })),
  };
}
