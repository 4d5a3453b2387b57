/**
 * Builds the operations report (docs/reports.md) from the long-term store: the period's rollups
 * (minutes when the whole period is within their retention, else hours), its marks and the
 * incidents of an IncidentSource. Every figure is a sum or a percentile of stored rows, so the
 * report says what the store says.
 */
import { histogramPercentile, mergeInto } from '../metrics/store/latency-histogram';
import { emptyServiceRow, emptyStackRow, mergeServiceFigures, mergeServiceRows, mergeStackRows, type ServiceRow, type StackRow } from '../metrics/store/rows';
import type { RollupReader } from '../metrics/store/rollup-reader';
import type { IncidentSource } from './incident-source';
import { reportRange } from './period';
import type { MetricsMark, RollupRetention } from '../contract/metrics-store';
import { topLogErrors } from './log-errors';
import type { BackupLine, OpsReport, ReportMaintenanceRun, ReportRequest, ServicePerformance, ServiceUsage, TrendPoint } from '../contract/reports';

export interface ReportInputs {
  reader: RollupReader;
  incidents: IncidentSource;
  stack: string;
  /** The stack's services now (those with rows in the period are added). */
  services: string[];
  /** Services that declare an `rpo`. */
  rpoServices: string[];
  retention: RollupRetention;
  now: number;
  version: string;
  /** The services' logs (`.opsdeck/logs`) and the rotated files kept (`logs.keep`); no log errors without. */
  logs?: { dir: string; keep: number };
  /** The active profile, when the stack has profiles. */
  profile?: string;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;
const r2 = (n: number) => Math.round(n * 100) / 100;
const pct = (part: number, whole: number) => (whole > 0 ? r2((100 * part) / whole) : undefined);
const defined = <K extends string>(key: K, v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? {} : ({ [key]: r2(v) } as Record<K, number>));

export async function buildReport(req: ReportRequest, inputs: ReportInputs): Promise<OpsReport> {
  const { since, until, period } = reportRange(req, inputs.now);
  const resolution = since >= inputs.now - inputs.retention.minute ? 'minute' : 'hour';
  const { services: rows, stack: stackRows } = await inputs.reader.rows({ resolution, since, until });
  const marks = await inputs.reader.marks(since, until, { lastBefore: true });
  const inRange = marks.filter((m) => m.at >= since);
  const names = [...new Set([...inputs.services, ...rows.map((r) => r.service)])].sort();
  const periodSec = (until - since) / 1000;
  const bucketMs = until - since <= 2 * DAY ? HOUR : DAY;
  const { totals, trends } = sumRows(rows, names, since, until, bucketMs);

  const usage: ServiceUsage[] = names.map((service) => {
    const t = totals.get(service)!;
    const mine = inRange.filter((m) => m.service === service);
    const causes: Record<string, number> = {};
    for (const m of mine) if (m.kind === 'restart') causes[String(m.data.cause)] = (causes[String(m.data.cause)] ?? 0) + 1;
    const states = mine.filter((m) => m.kind === 'state');
    return {
      service,
      activeSec: r2(t.activeSec),
      upSec: r2(t.upSec),
      readySec: r2(t.readySec),
      uptimePct: pct(t.upSec, periodSec) ?? 0,
      ...defined('availabilityPct', pct(t.readySec, t.activeSec)),
      restarts: t.restarts,
      restartCauses: causes,
      starts: states.filter((m) => m.data.from === 'stopped' && m.data.to === 'starting').length,
      stops: states.filter((m) => m.data.to === 'stopped').length,
    };
  });

  const performance: ServicePerformance[] = names.map((service) => {
    const t = totals.get(service)!;
    return {
      service,
      probes: t.probes,
      probeFailures: t.probeFailures,
      ...latencies(t),
      ...defined('cpuAvg', t.cpuN ? t.cpuSum / t.cpuN : null),
      ...defined('cpuMax', t.cpuMax),
      ...defined('rssAvgMb', t.rssN ? t.rssSum / t.rssN : null),
      ...defined('rssMaxMb', t.rssMax),
      checksOk: t.checksOk,
      checksFailed: t.checksFailed,
      trend: trends.get(service)!.map(trendPoint),
    };
  });

  const ipc = emptyStackRow(since);
  for (const r of stackRows) mergeStackRows(ipc, r);

  return {
    stack: inputs.stack,
    period,
    since,
    until,
    generatedAt: inputs.now,
    opsdeckVersion: inputs.version,
    usage: { services: usage, profile: { ...(inputs.profile !== undefined ? { active: inputs.profile } : {}), ...profileSeconds(marks, since, Math.min(until, inputs.now)) } },
    performance: {
      services: performance,
      ipc: {
        samples: ipc.samples,
        ...defined('avg', ipc.samples ? ipc.ipcSum / ipc.samples : null),
        ...defined('max', ipc.ipcMax),
        bins: ipc.bins,
        trend: ipcTrend(stackRows, since, until, bucketMs),
      },
      slowest: performance
        .filter((p) => p.latencyP95Ms !== undefined)
        .sort((a, b) => b.latencyP95Ms! - a.latencyP95Ms!)
        .slice(0, 5)
        .map((p) => ({ service: p.service, latencyP95Ms: p.latencyP95Ms!, ...defined('latencyMaxMs', p.latencyMaxMs) })),
    },
    issues: {
      incidents: await inputs.incidents.incidents(since, until, marks),
      failedChecks: inRange.filter((m) => m.kind === 'check').map((m) => ({ at: m.at, service: m.service, output: String(m.data.output ?? '') })),
      logErrors: inputs.logs ? topLogErrors(inputs.logs.dir, names, since, until, inputs.logs.keep) : [],
    },
    maintenance: inRange.filter((m) => m.kind === 'maintenance').map(maintenanceRun),
    dataProtection: dataProtection(marks, inRange, names, inputs.rpoServices, since, until),
    changes: {
      config: changesOf(marks, 'config', 'hash', since).map(([at, hash]) => ({ at, hash })),
      versions: changesOf(marks, 'engine', 'version', since).map(([at, version]) => ({ at, version })),
    },
  };
}

function maintenanceRun(m: MetricsMark): ReportMaintenanceRun {
  return {
    at: m.at,
    task: String(m.data.task),
    kind: String(m.data.kind),
    ok: m.data.ok === true,
    trigger: String(m.data.trigger),
    summary: String(m.data.summary ?? ''),
    durationMs: Number(m.data.durationMs ?? 0),
    ...defined('reclaimedBytes', m.data.reclaimedBytes as number | null),
    ...(m.data.error ? { error: String(m.data.error) } : {}),
  };
}

function latencies(t: ServiceRow): Pick<ServicePerformance, 'latencyP50Ms' | 'latencyP95Ms' | 'latencyMaxMs'> {
  return { ...defined('latencyP50Ms', histogramPercentile(t.hist, 50)), ...defined('latencyP95Ms', histogramPercentile(t.hist, 95)), ...defined('latencyMaxMs', t.latMax) };
}

function buckets(since: number, until: number, bucketMs: number): number[] {
  const out: number[] = [];
  for (let at = Math.floor(since / bucketMs) * bucketMs; at < until; at += bucketMs) out.push(at);
  return out;
}

/**
 * Each service's rows summed over the period (`totals`) and per trend bucket (`trends`), in one
 * pass over the rows: every row is merged into its bucket, its figures also into its service's
 * total (in row order, as the sums always were), and the total's histogram is the sum of its
 * buckets' (counts: the order does not change them), so no histogram is merged twice.
 */
function sumRows(rows: ServiceRow[], names: string[], since: number, until: number, bucketMs: number): { totals: Map<string, ServiceRow>; trends: Map<string, ServiceRow[]> } {
  const starts = buckets(since, until, bucketMs);
  const first = starts[0] ?? since;
  const totals = new Map(names.map((n) => [n, emptyServiceRow(since, n)]));
  const trends = new Map(names.map((n) => [n, starts.map((at) => emptyServiceRow(at, ''))]));
  for (const r of rows) {
    mergeServiceFigures(totals.get(r.service)!, r);
    const bucket = trends.get(r.service)![Math.floor((r.at - first) / bucketMs)];
    if (bucket) mergeServiceRows(bucket, r);
    else mergeInto(totals.get(r.service)!.hist, r.hist); // outside every bucket (cannot happen: the rows start at or after the first)
  }
  for (const [service, row] of totals) for (const b of trends.get(service)!) mergeInto(row.hist, b.hist);
  return { totals, trends };
}

function trendPoint(b: ServiceRow): TrendPoint {
  return { at: b.at, ...defined('p50', histogramPercentile(b.hist, 50)), ...defined('p95', histogramPercentile(b.hist, 95)), ...defined('cpuAvg', b.cpuN ? b.cpuSum / b.cpuN : null), ...defined('rssAvgMb', b.rssN ? b.rssSum / b.rssN : null) };
}

function ipcTrend(rows: StackRow[], since: number, until: number, bucketMs: number): { at: number; avg?: number; max?: number }[] {
  return buckets(since, until, bucketMs).map((at) => {
    const b = emptyStackRow(at);
    for (const r of rows) if (r.at >= at && r.at < at + bucketMs) mergeStackRows(b, r);
    return { at, ...defined('avg', b.samples ? b.ipcSum / b.samples : null), ...defined('max', b.ipcMax) };
  });
}

function dataProtection(all: MetricsMark[], inRange: MetricsMark[], names: string[], rpoServices: string[], since: number, until: number): OpsReport['dataProtection'] {
  const backups: BackupLine[] = inRange
    .filter((m) => m.kind === 'backup')
    .map((m) => ({
      at: m.at,
      services: (m.data.services as string[] | null) ?? [],
      ok: m.data.phase === 'completed',
      trigger: String(m.data.trigger),
      ...defined('bytesAdded', m.data.bytesAdded as number | null),
      ...defined('durationMs', m.data.durationMs as number | null),
      ...(m.data.error ? { error: String(m.data.error) } : {}),
    }));
  const rpoNames = [...new Set([...rpoServices, ...all.filter((m) => m.kind === 'rpo').map((m) => m.service)])].filter((n) => names.includes(n) || rpoServices.includes(n)).sort();
  return {
    backups: { count: backups.length, failed: backups.filter((b) => !b.ok).length, bytesAdded: backups.reduce((a, b) => a + (b.bytesAdded ?? 0), 0), list: backups },
    rpo: rpoNames.map((service) => rpoCompliance(all.filter((m) => m.kind === 'rpo' && m.service === service), service, since, until)),
    verifications: inRange
      .filter((m) => m.kind === 'verify')
      .map((m) => ({ at: m.at, ok: m.data.ok === true, errors: Number(m.data.errors ?? 0), durationMs: Number(m.data.durationMs ?? 0), readData: m.data.readData === true })),
    drills: inRange
      .filter((m) => m.kind === 'drill')
      .map((m) => ({
        at: m.at,
        services: (m.data.services as string[] | null) ?? [],
        ok: m.data.phase === 'completed',
        ...defined('recoveryMs', m.data.recoveryMs as number | null),
        ...defined('rtoMs', m.data.rtoMs as number | null),
        ...(typeof m.data.withinRto === 'boolean' ? { withinRto: m.data.withinRto } : {}),
        ...(m.data.error ? { error: String(m.data.error) } : {}),
      })),
  };
}

/** The share of the period during which the service's RPO was met, from its `rpo` marks (the last one before the period included). */
function rpoCompliance(marks: MetricsMark[], service: string, since: number, until: number): { service: string; compliancePct?: number; breaches: number } {
  let state: boolean | undefined;
  let from = since;
  let known = 0;
  let met = 0;
  const close = (to: number) => {
    if (state === undefined) return;
    known += to - from;
    if (state) met += to - from;
  };
  for (const m of marks) {
    const at = Math.max(since, m.at);
    close(at);
    state = m.data.ok === true;
    from = at;
  }
  close(until);
  return { service, ...defined('compliancePct', pct(met, known)), breaches: marks.filter((m) => m.at >= since && m.data.ok === false).length };
}

/** The values of a mark field as they changed: the one holding at `since`, then each change. */
function changesOf(marks: MetricsMark[], kind: MetricsMark['kind'], field: string, since: number): [number, string][] {
  const out: [number, string][] = [];
  for (const m of marks.filter((x) => x.kind === kind)) {
    const v = String(m.data[field]);
    if (out.at(-1)?.[1] !== v) out.push([Math.max(since, m.at), v]);
  }
  return out;
}

/** Seconds of [since, end) each profile was selected, from the `profile` marks (the last before `since` says which one it began with). */
export function profileSeconds(marks: readonly MetricsMark[], since: number, end: number): { timeRecorded: boolean; seconds?: Record<string, number> } {
  const switches = marks.filter((m) => m.kind === 'profile' && m.at < end).sort((a, b) => a.at - b.at);
  if (!switches.length) return { timeRecorded: false };
  const seconds: Record<string, number> = {};
  let current: string | undefined;
  let cursor = since;
  for (const m of switches) {
    const at = Math.max(m.at, since);
    if (current !== undefined && at > cursor) seconds[current] = r2((seconds[current] ?? 0) + (at - cursor) / 1000);
    current = String(m.data.profile);
    cursor = at;
  }
  if (current !== undefined && end > cursor) seconds[current] = r2((seconds[current] ?? 0) + (end - cursor) / 1000);
  return { timeRecorded: true, seconds };
}
