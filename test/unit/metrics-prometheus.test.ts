import assert from 'node:assert/strict';
import { ipcScore, servicePressure } from '../../src/core/metrics/ipc-score';
import { escapeHelp, escapeLabelValue, formatValue, PROMETHEUS_CONTENT_TYPE, toPrometheus } from '../../src/core/metrics/prometheus';
import type { ServiceMetrics, StackMetrics } from '../../src/core/contract/metrics';

const NOW = Date.UTC(2026, 0, 1);

function service(name: string, extra: Partial<ServiceMetrics>, latencies: number[] = []): ServiceMetrics {
  const ipc = servicePressure({ service: name, now: NOW, probes: latencies.map((latencyMs, i) => ({ at: NOW - i * 1000, ok: true, latencyMs })) });
  return {
    service: name, state: 'ready', up: true, pid: 100, cpuPercent: undefined, rssMb: undefined, openFds: undefined, uptimeSec: undefined,
    restarts: 0, probeCount: ipc.probes, probeFailures: ipc.failures, probeFailureRate: ipc.failureRate,
    probeP50Ms: ipc.p50LatencyMs, probeP95Ms: ipc.p95LatencyMs, ipc, ...extra,
  };
}

function stack(services: ServiceMetrics[]): StackMetrics {
  const ipc = ipcScore(services.map((s) => s.ipc));
  return { at: NOW, intervalMs: 5000, windowMs: 60_000, services, ipc: { ...ipc, level: 'ok', thresholds: { warn: 70, critical: 90 } } };
}

describe('Prometheus exposition', () => {
  it('writes the exact text for a small stack', () => {
    const metrics = stack([
      service('api', { cpuPercent: 1.5, rssMb: 12.5, openFds: 23, uptimeSec: 42.5, restarts: 2 }, [10, 20, 30, 40]),
      service('storage', { state: 'backoff', up: false, pid: undefined, restarts: 1 }),
    ]);
    assert.equal(
      toPrometheus(metrics, 'dev'),
      `# HELP opsdeck_ipc_score IPC score of the stack, 0 to 100, higher is worse (docs/ipc-score.md).
# TYPE opsdeck_ipc_score gauge
opsdeck_ipc_score{stack="dev"} 16
# HELP opsdeck_service_up Whether the service is running and has passed readiness (1) or not (0).
# TYPE opsdeck_service_up gauge
opsdeck_service_up{stack="dev",service="api"} 1
opsdeck_service_up{stack="dev",service="storage"} 0
# HELP opsdeck_service_cpu_percent CPU used by the service process tree since the previous sample, in percent of one core.
# TYPE opsdeck_service_cpu_percent gauge
opsdeck_service_cpu_percent{stack="dev",service="api"} 1.5
# HELP opsdeck_service_rss_bytes Resident memory of the service process tree, in bytes.
# TYPE opsdeck_service_rss_bytes gauge
opsdeck_service_rss_bytes{stack="dev",service="api"} 13107200
# HELP opsdeck_service_open_fds Open file descriptors of the service process tree (Linux only).
# TYPE opsdeck_service_open_fds gauge
opsdeck_service_open_fds{stack="dev",service="api"} 23
# HELP opsdeck_service_uptime_seconds Seconds since the service process was started.
# TYPE opsdeck_service_uptime_seconds gauge
opsdeck_service_uptime_seconds{stack="dev",service="api"} 42.5
# HELP opsdeck_service_restarts_total Restarts made by the engine since the service was last started on request.
# TYPE opsdeck_service_restarts_total counter
opsdeck_service_restarts_total{stack="dev",service="api"} 2
opsdeck_service_restarts_total{stack="dev",service="storage"} 1
# HELP opsdeck_service_probe_latency_p50_seconds Median latency of the successful probes over the last 60 seconds, in seconds.
# TYPE opsdeck_service_probe_latency_p50_seconds gauge
opsdeck_service_probe_latency_p50_seconds{stack="dev",service="api"} 0.02
# HELP opsdeck_service_probe_latency_p95_seconds 95th percentile latency of the successful probes over the last 60 seconds, in seconds.
# TYPE opsdeck_service_probe_latency_p95_seconds gauge
opsdeck_service_probe_latency_p95_seconds{stack="dev",service="api"} 0.04
# HELP opsdeck_service_probe_failure_ratio Share of probes that failed over the last 60 seconds (0 to 1).
# TYPE opsdeck_service_probe_failure_ratio gauge
opsdeck_service_probe_failure_ratio{stack="dev",service="api"} 0
# HELP opsdeck_service_ipc_pressure IPC pressure of the service: its worst term as a fraction of its budget (1 = at budget).
# TYPE opsdeck_service_ipc_pressure gauge
opsdeck_service_ipc_pressure{stack="dev",service="api"} 0.16
`,
    );
  });

  it('escapes label values: backslash, double quote, line feed', () => {
    assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
    const text = toPrometheus(stack([service('api', {})]), 'my "dev"\\stack\n2');
    assert.match(text, /^opsdeck_ipc_score\{stack="my \\"dev\\"\\\\stack\\n2"\} 0$/m);
    assert.match(text, /^opsdeck_service_up\{stack="my \\"dev\\"\\\\stack\\n2",service="api"\} 1$/m);
    assert.equal(text.split('\n').filter((l) => l.startsWith('opsdeck_')).length, 3, 'up, restarts and ipc score only: one line each');
  });

  it('escapes HELP text (backslash and line feed only) and special values', () => {
    assert.equal(escapeHelp('a\\b\n"c"'), 'a\\\\b\\n"c"');
    assert.deepEqual([NaN, Infinity, -Infinity, 0, -2.5, 1e-7].map(formatValue), ['NaN', '+Inf', '-Inf', '0', '-2.5', '1e-7']);
  });

  it('writes probe latencies in seconds without binary noise', () => {
    const text = toPrometheus(stack([service('api', {}, [3.03])]), 'dev');
    assert.match(text, /^opsdeck_service_probe_latency_p50_seconds\{stack="dev",service="api"\} 0\.00303$/m);
  });

  it('every family has HELP and TYPE, names are valid, and the text ends with a line feed', () => {
    const text = toPrometheus(stack([service('api', { cpuPercent: 0 }, [1])]), 'dev');
    assert.ok(text.endsWith('\n'));
    const families = text.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]!);
    assert.equal(new Set(families).size, families.length);
    for (const f of families) {
      assert.match(f, /^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
      assert.ok(text.includes(`# HELP ${f} `), f);
    }
    for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) assert.ok(families.includes(line.split('{')[0]!), line);
    assert.equal(PROMETHEUS_CONTENT_TYPE, 'text/plain; version=0.0.4; charset=utf-8');
  });
});
