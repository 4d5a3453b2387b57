/**
 * A query of the long-term store (GET /v1/metrics/rollups, `opsdeck metrics`): the range and
 * resolution made definite (default: minutes for a range within the minute retention, else
 * hours), bad ranges refused, and the stored rows turned into what surfaces read.
 */
import { OpsError } from '../../errors';
import type { RollupReader } from './rollup-reader';
import type { ServiceRow, StackRow } from './rows';
import type { RollupAnswer, RollupQuery, RollupResolution, RollupRetention, ServiceRollup, StackRollup } from '../../contract/metrics-store';

export interface ResolvedRange {
  since: number;
  until: number;
  resolution: RollupResolution;
}

/** The query's range and resolution, or BAD_REQUEST saying what is wrong. */
export function resolveRange(q: Pick<RollupQuery, 'since' | 'until' | 'resolution'>, now: number, retention: RollupRetention): ResolvedRange {
  const until = q.until ?? now;
  const resolution = q.resolution ?? (q.since === undefined || until - q.since <= retention.minute ? 'minute' : 'hour');
  const since = q.since ?? until - retention[resolution];
  if (!Number.isFinite(since) || !Number.isFinite(until)) throw new OpsError('BAD_REQUEST', 'since and until must be times', 'give a duration ago (7d) or a date-time');
  if (since >= until) {
    throw new OpsError('BAD_REQUEST', `since (${new Date(since).toISOString()}) is not before until (${new Date(until).toISOString()})`, 'give a since earlier than until, e.g. --since 7d');
  }
  return { since, until, resolution };
}

export async function queryRollups(reader: RollupReader, q: RollupQuery, now: number, retention: RollupRetention): Promise<RollupAnswer> {
  const range = resolveRange(q, now, retention);
  const { services, stack } = await reader.rows({ ...range, ...(q.services?.length ? { services: q.services } : {}) });
  return {
    ...range,
    services: services.map(toServiceRollup),
    stack: stack.map(toStackRollup),
    ...(q.marks ? { marks: await reader.marks(range.since, range.until) } : {}),
    store: await reader.stats(),
  };
}

const round = (n: number) => Math.round(n * 100) / 100;
const opt = <K extends string>(key: K, v: number | null | undefined) => (v === null || v === undefined ? {} : ({ [key]: round(v) } as Record<K, number>));

export function toServiceRollup(r: ServiceRow): ServiceRollup {
  return {
    at: r.at,
    service: r.service,
    samples: r.samples,
    ...opt('cpuAvg', r.cpuN ? r.cpuSum / r.cpuN : null),
    ...opt('cpuMax', r.cpuMax),
    ...opt('rssAvgMb', r.rssN ? r.rssSum / r.rssN : null),
    ...opt('rssMaxMb', r.rssMax),
    probes: r.probes,
    probeFailures: r.probeFailures,
    ...opt('latencyP50Ms', r.p50),
    ...opt('latencyP95Ms', r.p95),
    ...opt('latencyMaxMs', r.latMax),
    activeSec: round(r.activeSec),
    upSec: round(r.upSec),
    readySec: round(r.readySec),
    restarts: r.restarts,
    checksOk: r.checksOk,
    checksFailed: r.checksFailed,
  };
}

export function toStackRollup(r: StackRow): StackRollup {
  return { at: r.at, samples: r.samples, ...opt('ipcAvg', r.samples ? r.ipcSum / r.samples : null), ...opt('ipcMax', r.ipcMax), ipcBins: r.bins };
}
