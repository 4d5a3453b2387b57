/**
 * The rows the long-term store keeps, as the recorder hands them over and SQLite holds them: sums
 * and counts (not averages) so that minutes merge into hours exactly, and each bucket's latency
 * histogram so that an hour's percentiles come from its minutes.
 */
import { mergeInto, type Histogram } from './latency-histogram';
import type { MetricsMark } from '../../contract/metrics-store';

export interface ServiceRow {
  at: number;
  service: string;
  samples: number;
  cpuSum: number;
  cpuN: number;
  cpuMax: number | null;
  rssSum: number;
  rssN: number;
  rssMax: number | null;
  probes: number;
  probeFailures: number;
  p50: number | null;
  p95: number | null;
  latMax: number | null;
  hist: Histogram;
  activeSec: number;
  upSec: number;
  readySec: number;
  restarts: number;
  checksOk: number;
  checksFailed: number;
}

export interface StackRow {
  at: number;
  samples: number;
  ipcSum: number;
  ipcMax: number | null;
  /** Samples per IPC decile (11 bins, the last one is 100). */
  bins: number[];
}

/** One line of the journal the recorder appends and the store worker takes in. */
export type JournalEntry = ({ t: 's' } & ServiceRow) | ({ t: 'k' } & StackRow) | ({ t: 'm' } & MetricsMark);

export const IPC_BINS = 11;
export const ipcBin = (score: number) => Math.min(IPC_BINS - 1, Math.max(0, Math.floor(score / 10)));

export function emptyServiceRow(at: number, service: string): ServiceRow {
  return {
    at, service, samples: 0, cpuSum: 0, cpuN: 0, cpuMax: null, rssSum: 0, rssN: 0, rssMax: null, probes: 0, probeFailures: 0,
    p50: null, p95: null, latMax: null, hist: {}, activeSec: 0, upSec: 0, readySec: 0, restarts: 0, checksOk: 0, checksFailed: 0,
  };
}

export const emptyStackRow = (at: number): StackRow => ({ at, samples: 0, ipcSum: 0, ipcMax: null, bins: new Array<number>(IPC_BINS).fill(0) });

const maxOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

/** Add `b` into `a` (same bucket, or minutes into their hour); percentiles are left to the caller. */
export function mergeServiceRows(a: ServiceRow, b: ServiceRow): void {
  mergeServiceFigures(a, b);
  mergeInto(a.hist, b.hist);
}

/** mergeServiceRows without the latency histogram (for a caller that sums the histograms apart). */
export function mergeServiceFigures(a: ServiceRow, b: ServiceRow): void {
  a.samples += b.samples;
  a.cpuSum += b.cpuSum;
  a.cpuN += b.cpuN;
  a.cpuMax = maxOf(a.cpuMax, b.cpuMax);
  a.rssSum += b.rssSum;
  a.rssN += b.rssN;
  a.rssMax = maxOf(a.rssMax, b.rssMax);
  a.probes += b.probes;
  a.probeFailures += b.probeFailures;
  a.latMax = maxOf(a.latMax, b.latMax);
  a.activeSec += b.activeSec;
  a.upSec += b.upSec;
  a.readySec += b.readySec;
  a.restarts += b.restarts;
  a.checksOk += b.checksOk;
  a.checksFailed += b.checksFailed;
}

export function mergeStackRows(a: StackRow, b: StackRow): void {
  a.samples += b.samples;
  a.ipcSum += b.ipcSum;
  a.ipcMax = maxOf(a.ipcMax, b.ipcMax);
  b.bins.forEach((n, i) => (a.bins[i] = (a.bins[i] ?? 0) + n));
}
