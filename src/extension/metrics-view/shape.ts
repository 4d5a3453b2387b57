/**
 * The engine's answers (EngineStatus, StackMetrics, MetricsHistory, restart events) turned into
 * the protocol's messages for the Metrics webview: only what the view shows, every number
 * finite, optional members left out rather than undefined. Pure functions, no vscode.
 */
import type { EngineStatus, EventOf, HealthLevel, MetricsHistory, ProfilesInfo, RestartMark as EngineRestartMark, ServiceState, StackMetrics } from '../../core/contract';
import {
  CHART_METRICS,
  type BackupsInfo,
  HISTORY_RANGES,
  MAX_POINTS,
  MAX_UNREADABLE,
  type History,
  type HistoryRange,
  type MetricsSample,
  type Points,
  type PROTOCOL_HEALTH_LEVELS,
  type PROTOCOL_SERVICE_STATES,
  type RestartMark,
  type Series,
  type StatusSnapshot,
  type Thresholds,
} from '../../shared/protocol';

// The protocol repeats the engine's enumerations (the webview cannot import the engine); these
// fail to compile when the two drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const statesMatch: Same<ServiceState, (typeof PROTOCOL_SERVICE_STATES)[number]> = true;
const levelsMatch: Same<HealthLevel, (typeof PROTOCOL_HEALTH_LEVELS)[number]> = true;
void statesMatch;
void levelsMatch;

/** `v` when it is a finite number (≥ 0 when `nonNegative`), else undefined. */
export function finite(v: number | undefined | null, nonNegative = true): number | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
  return nonNegative && v < 0 ? undefined : v;
}

/** `{ [key]: v }` when v is defined, else `{}`: for optional members. */
const opt = <K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } => (v === undefined ? {} : ({ [key]: v } as { [P in K]: V }));

export const clampScore = (n: number) => Math.min(100, Math.max(0, finite(n, false) ?? 0));

export function statusSnapshot(status: EngineStatus, profiles: ProfilesInfo, now: number): StatusSnapshot {
  return {
    at: now,
    stack: status.stack || 'stack',
    ...opt('profile', status.profile || undefined),
    profiles: profiles.profiles.map((p) => ({ name: p.name, services: [...p.services], ...opt('description', p.description) })),
    services: status.services.map((s) => ({
      name: s.name,
      state: s.state,
      reason: s.reason,
      tier: s.tier,
      inProfile: s.inProfile,
      health: s.health,
      restarts: Math.max(0, Math.round(s.restarts)),
      ...opt('uptimeSec', s.pid !== undefined && s.startedAt !== undefined ? finite(Math.max(0, now - s.startedAt) / 1000) : undefined),
    })),
    health: { level: status.health.level, summary: status.health.summary },
    ipc: { score: clampScore(status.ipc.score), level: status.ipc.level, summary: status.ipc.summary },
  };
}

export function metricsSample(m: StackMetrics): MetricsSample {
  return {
    at: m.at,
    intervalMs: finite(m.intervalMs) || 5000,
    services: m.services.map((s) => {
      const failureRate = finite(s.probeFailureRate);
      return {
        name: s.service,
        state: s.state,
        up: s.up,
        ...opt('cpuPercent', finite(s.cpuPercent)),
        ...opt('rssMb', finite(s.rssMb)),
        ...opt('probeP50Ms', finite(s.probeP50Ms)),
        ...opt('probeP95Ms', finite(s.probeP95Ms)),
        ...opt('probeFailureRate', failureRate === undefined ? undefined : Math.min(1, failureRate)),
        restarts: Math.max(0, Math.round(s.restarts)),
        ...opt('uptimeSec', finite(s.uptimeSec)),
      };
    }),
    ipc: { score: clampScore(m.ipc.score), level: m.ipc.level, summary: m.ipc.summary, thresholds: thresholds(m.ipc.thresholds) },
  };
}

const thresholds = (t: Thresholds): Thresholds => ({ warn: clampScore(t.warn), critical: clampScore(t.critical) });

/** Finite points only, the newest MAX_POINTS. */
export function cleanPoints(points: readonly (readonly [number, number])[] | undefined): Points {
  const out: Points = [];
  for (const [at, v] of points ?? []) {
    if (Number.isFinite(at) && at >= 0 && Number.isFinite(v)) out.push([at, v]);
  }
  return out.length > MAX_POINTS ? out.slice(out.length - MAX_POINTS) : out;
}

export function restartMark(r: EngineRestartMark): RestartMark {
  return {
    at: r.at,
    service: r.service,
    ...opt('cause', r.cause),
    ...opt('detail', r.detail === undefined ? undefined : r.detail.slice(0, 2000)),
    ...opt('attempt', r.attempt === undefined || !Number.isInteger(r.attempt) || r.attempt < 0 ? undefined : r.attempt),
  };
}

/** A live `restart` event as a timeline mark. */
export const restartFromEvent = (e: EventOf<'restart'>): RestartMark => restartMark({ at: e.at, service: e.service, cause: e.cause, detail: e.detail, attempt: e.attempt });

export function historyPayload(h: MetricsHistory, range: HistoryRange, since: number): History {
  const series: Series[] = [];
  for (const [service, metrics] of Object.entries(h.services)) {
    for (const metric of CHART_METRICS) {
      const points = cleanPoints(metrics[metric]);
      if (points.length) series.push({ service, metric, points });
    }
  }
  return {
    range,
    since,
    until: Math.max(since, h.at),
    intervalMs: finite(h.intervalMs) || 5000,
    series,
    ipc: cleanPoints(h.ipc).map(([at, v]): [number, number] => [at, clampScore(v)]),
    thresholds: thresholds(h.thresholds),
    restarts: h.restarts.filter((r) => Number.isFinite(r.at) && r.at >= 0).slice(-MAX_POINTS).map(restartMark),
  };
}

/** Where a history of `range` starts, `now` being the engine's time. */
export const rangeStart = (range: HistoryRange, now: number) => Math.max(0, now - HISTORY_RANGES[range]);

/** What the Metrics view needs of the engine's backup status (`ApiClient.backupStatus()`). */
export interface BackupStatusLike {
  services: { service: string; rpoMs?: number; newest?: { time: string } }[];
  unreadable?: { id: string }[];
}

/**
 * Last backup per service against its RPO, from the engine's backup status. A service with no
 * snapshot yet is listed without `lastBackupAt` (never backed up): backups are available, the
 * first one just has not been taken.
 */
export function backupsInfoFromStatus(status: BackupStatusLike, now: number): BackupsInfo {
  const unreadable = status.unreadable ?? [];
  return {
    available: true,
    at: now,
    ...(unreadable.length ? { unreadable: { ids: unreadable.slice(0, MAX_UNREADABLE).map((u) => u.id), total: unreadable.length } } : {}),
    services: status.services.map((s) => {
      const last = s.newest ? Date.parse(s.newest.time) : NaN;
      return {
        service: s.service,
        ...opt('lastBackupAt', finite(last)),
        ...opt('rpoMs', s.rpoMs !== undefined && s.rpoMs > 0 ? finite(s.rpoMs) : undefined),
      };
    }),
  };
}
