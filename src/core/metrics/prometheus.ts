/**
 * A metrics sample in the Prometheus text exposition format 0.0.4, for a scrape endpoint or a
 * textfile collector. Every series carries `stack` (and `service`) labels; a value that is not
 * known (CPU before the second sample, open fds off Linux, latency with no probes) is left out
 * rather than written as NaN. No timestamps: Prometheus stamps a scrape itself. See docs/metrics.md.
 */
import type { ServiceMetrics, StackMetrics } from '../contract/metrics';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Family {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
  value: (s: ServiceMetrics) => number | undefined;
}

const SERVICE_FAMILIES: Family[] = [
  { name: 'opsdeck_service_up', type: 'gauge', help: 'Whether the service is running and has passed readiness (1) or not (0).', value: (s) => (s.up ? 1 : 0) },
  { name: 'opsdeck_service_cpu_percent', type: 'gauge', help: 'CPU used by the service process tree since the previous sample, in percent of one core.', value: (s) => s.cpuPercent },
  { name: 'opsdeck_service_rss_bytes', type: 'gauge', help: 'Resident memory of the service process tree, in bytes.', value: (s) => (s.rssMb === undefined ? undefined : Math.round(s.rssMb * 1024 * 1024)) },
  { name: 'opsdeck_service_open_fds', type: 'gauge', help: 'Open file descriptors of the service process tree (Linux only).', value: (s) => s.openFds },
  { name: 'opsdeck_service_uptime_seconds', type: 'gauge', help: 'Seconds since the service process was started.', value: (s) => s.uptimeSec },
  { name: 'opsdeck_service_restarts_total', type: 'counter', help: 'Restarts made by the engine since the service was last started on request.', value: (s) => s.restarts },
  { name: 'opsdeck_service_probe_latency_p50_seconds', type: 'gauge', help: 'Median latency of the successful probes over the last 60 seconds, in seconds.', value: (s) => seconds(s.probeP50Ms) },
  { name: 'opsdeck_service_probe_latency_p95_seconds', type: 'gauge', help: '95th percentile latency of the successful probes over the last 60 seconds, in seconds.', value: (s) => seconds(s.probeP95Ms) },
  { name: 'opsdeck_service_probe_failure_ratio', type: 'gauge', help: 'Share of probes that failed over the last 60 seconds (0 to 1).', value: (s) => s.probeFailureRate },
  { name: 'opsdeck_service_ipc_pressure', type: 'gauge', help: 'IPC pressure of the service: its worst term as a fraction of its budget (1 = at budget).', value: (s) => s.ipc.pressure },
];

/** ms to seconds, rounded to the microsecond so that 3.03 ms prints 0.00303, not 0.0030299999999999997. */
const seconds = (ms: number | undefined) => (ms === undefined ? undefined : Math.round(ms * 1000) / 1e6);

export function toPrometheus(metrics: StackMetrics, stackName: string): string {
  const lines: string[] = [];
  const header = (name: string, type: Family['type'], help: string) => lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
  const stack = `stack="${escapeLabelValue(stackName)}"`;

  header('opsdeck_ipc_score', 'gauge', 'IPC score of the stack, 0 to 100, higher is worse (docs/ipc-score.md).');
  lines.push(`opsdeck_ipc_score{${stack}} ${formatValue(metrics.ipc.score)}`);

  for (const f of SERVICE_FAMILIES) {
    header(f.name, f.type, f.help);
    for (const s of metrics.services) {
      const v = f.value(s);
      if (v !== undefined) lines.push(`${f.name}{${stack},service="${escapeLabelValue(s.service)}"} ${formatValue(v)}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** Label values escape backslash, double quote and line feed. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and line feed. */
export function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
