/**
 * Data shaping for the charts, with no DOM and no uPlot import (unit-tested in Node): the
 * model's point series become uPlot's aligned columns (x in seconds, one y column per series,
 * null where a series has no value: a gap, never a made-up zero), plus the text that screen
 * readers get for each chart, and the rows of the backups table.
 */
import type { BackupsInfo, ChartMetric, Points, RestartMark, Thresholds } from '../../src/shared/protocol';
import { durationWords, formatClock, formatDuration, formatNumber, rangeWords } from './format';

/** uPlot's AlignedData: x values, then one column of y values (or null) per series. */
export type AlignedData = [xs: number[], ...ys: (number | null)[][]];

export interface LabelledPoints {
  label: string;
  points: Points;
}

/** What a chart draws: its columns, and per y column its label and the service it belongs to. */
export interface ChartData {
  data: AlignedData;
  series: { label: string; service: string; dashed?: boolean }[];
}

const toSeconds = (ms: number) => ms / 1000;

/**
 * Align series on the union of their timestamps. Points are `[ms, value]`; x comes out in
 * seconds (uPlot's time unit), sorted, each at most once.
 */
export function align(series: readonly LabelledPoints[]): AlignedData {
  const times = new Set<number>();
  for (const s of series) for (const [at] of s.points) times.add(at);
  const xs = [...times].sort((a, b) => a - b);
  const index = new Map(xs.map((t, i) => [t, i]));
  const ys = series.map((s) => {
    const col: (number | null)[] = new Array(xs.length).fill(null);
    for (const [at, v] of s.points) col[index.get(at)!] = v;
    return col;
  });
  return [xs.map(toSeconds), ...ys];
}

/** Per-service series of one metric (in `services` order), aligned. Services with no points still get a (null) column. */
export function metricChart(services: readonly string[], pointsOf: (service: string, metric: ChartMetric) => Points, metric: ChartMetric): ChartData {
  const series = services.map((service) => ({ label: service, service, points: pointsOf(service, metric) }));
  return { data: align(series), series: series.map(({ label, service }) => ({ label, service })) };
}

/** Probe latency: p95 (solid) and p50 (dashed) of each service. */
export function latencyChart(services: readonly string[], pointsOf: (service: string, metric: ChartMetric) => Points): ChartData {
  const series = services.flatMap((service) => [
    { label: `${service} p95`, service, points: pointsOf(service, 'probeP95Ms') },
    { label: `${service} p50`, service, points: pointsOf(service, 'probeP50Ms'), dashed: true },
  ]);
  return { data: align(series), series: series.map(({ points: _points, ...rest }) => rest) };
}

/** The IPC score with its warn and critical thresholds as flat lines over the same times. */
export function ipcChart(ipc: Points, thresholds: Thresholds): ChartData {
  const [xs, score] = align([{ label: 'IPC', points: ipc }]);
  return {
    data: [xs, score ?? [], xs.map(() => thresholds.warn), xs.map(() => thresholds.critical)],
    series: [
      { label: 'IPC score', service: '' },
      { label: `warn (${thresholds.warn})`, service: '', dashed: true },
      { label: `critical (${thresholds.critical})`, service: '', dashed: true },
    ],
  };
}

/**
 * The restart timeline: one row per service (y = its index in `services`), a point at each
 * restart. Restarts of services not in the list get rows after them.
 */
export function restartTimeline(services: readonly string[], restarts: readonly RestartMark[]): { data: AlignedData; rows: string[] } {
  const rows = [...services];
  for (const r of restarts) if (!rows.includes(r.service)) rows.push(r.service);
  const series = rows.map((service, i) => ({
    label: service,
    points: restarts.filter((r) => r.service === service).map((r): [number, number] => [r.at, i]),
  }));
  return { data: align(series), rows };
}

/** Drop points older than `since` (the series are oldest first). */
export function trimPoints(points: Points, since: number): Points {
  let i = 0;
  while (i < points.length && points[i]![0] < since) i++;
  return i === 0 ? points : points.slice(i);
}

/** Append `[at, v]` unless it is not newer than the last point. */
export function appendPoint(points: Points, at: number, v: number | undefined): void {
  if (v === undefined || !Number.isFinite(v)) return;
  const last = points[points.length - 1];
  if (last && last[0] >= at) return;
  points.push([at, v]);
}

/** The height of a value chart `width` px wide: it grows with the sidebar (about 2:5), 90 to 300 px. */
export const chartHeight = (width: number) => Math.round(Math.min(300, Math.max(90, width * 0.42)));

/** A y maximum with some headroom (never 0, so an idle chart still has an axis). */
export function niceMax(max: number | null | undefined): number {
  if (max === null || max === undefined || !Number.isFinite(max) || max <= 0) return 1;
  const padded = max * 1.15;
  const step = 10 ** Math.floor(Math.log10(padded));
  return Math.ceil(padded / step) * step;
}

// ------------------------------------------------------------------ text for screen readers

const lastValue = (points: Points) => points[points.length - 1]?.[1];
const maxValue = (points: Points) => (points.length ? Math.max(...points.map((p) => p[1])) : undefined);

/** "CPU over the last 15 minutes: storage now 1.2 %, highest 3.4 %; api no data." */
export function metricSummary(title: string, unit: string, range: string, series: readonly LabelledPoints[]): string {
  if (!series.length) return `${title}: no services.`;
  const parts = series.map((s) =>
    s.points.length ? `${s.label} now ${formatNumber(lastValue(s.points), unit)}, highest ${formatNumber(maxValue(s.points), unit)}` : `${s.label} no data`,
  );
  return `${title} over the last ${rangeWords(range)}: ${parts.join('; ')}.`;
}

export function ipcSummary(ipc: Points, thresholds: Thresholds, range: string, level?: string): string {
  if (!ipc.length) return `IPC score: no samples in the last ${rangeWords(range)}. Warn at ${thresholds.warn}, critical at ${thresholds.critical}.`;
  return `IPC score over the last ${rangeWords(range)}: now ${formatNumber(lastValue(ipc))}${level ? ` (${level})` : ''}, highest ${formatNumber(maxValue(ipc))}. Warn at ${thresholds.warn}, critical at ${thresholds.critical}.`;
}

export function restartSummary(restarts: readonly RestartMark[], range: string): string {
  if (!restarts.length) return `No restarts in the last ${rangeWords(range)}.`;
  const by = new Map<string, RestartMark[]>();
  for (const r of restarts) by.set(r.service, [...(by.get(r.service) ?? []), r]);
  const parts = [...by].map(([service, rs]) => {
    const last = rs[rs.length - 1]!;
    return `${service} ${rs.length} (last at ${formatClock(last.at)}${last.cause ? `, ${last.cause}` : ''})`;
  });
  return `${restarts.length} restart${restarts.length === 1 ? '' : 's'} in the last ${rangeWords(range)}: ${parts.join('; ')}.`;
}

// ------------------------------------------------------------------ backups

export type BackupStatus = 'ok' | 'breached' | 'never' | 'no-rpo';

export interface BackupRow {
  service: string;
  /** How old the newest backup is, `–` for never. */
  age: string;
  rpo: string;
  status: BackupStatus;
  /** Age as a fraction of the RPO (1 = at the objective), when both are known. */
  fraction?: number;
  /** The row in words, for screen readers and tooltips. */
  description: string;
}

/** Last backup age against the RPO, per service; empty when backups are unavailable. */
export function backupRows(info: BackupsInfo | undefined, now: number): BackupRow[] {
  if (!info?.available) return [];
  return info.services.map((s) => {
    const ageMs = s.lastBackupAt === undefined ? undefined : Math.max(0, now - s.lastBackupAt);
    const status: BackupStatus = ageMs === undefined ? 'never' : s.rpoMs === undefined ? 'no-rpo' : ageMs > s.rpoMs ? 'breached' : 'ok';
    const fraction = ageMs !== undefined && s.rpoMs !== undefined ? ageMs / s.rpoMs : undefined;
    const ageText = ageMs === undefined ? 'never backed up' : `last backup ${durationWords(ageMs)} ago`;
    const rpoText = s.rpoMs === undefined ? 'no RPO set' : `RPO ${durationWords(s.rpoMs)}`;
    const verdict = status === 'breached' ? ', RPO breached' : status === 'ok' ? ', within RPO' : '';
    return {
      service: s.service,
      age: ageMs === undefined ? '–' : formatDuration(ageMs),
      rpo: s.rpoMs === undefined ? '–' : formatDuration(s.rpoMs),
      status,
      ...(fraction !== undefined ? { fraction } : {}),
      description: `${s.service}: ${ageText}, ${rpoText}${verdict}.`,
    };
  });
}
