/**
 * Where the report's incidents come from. Today: the engine's state changes kept as marks in the
 * long-term store (a service failed or went into restart backoff, until it was ready again);
 * the alert history can answer the same interface (its incidents carry a severity and an
 * acknowledgement) and take its place.
 */
import type { RollupReader } from '../metrics/store/rollup-reader';
import type { MetricsMark } from '../contract/metrics-store';
import type { ReportIncident as Incident } from '../contract/reports';

export interface IncidentSource {
  /**
   * The incidents that overlap [since, until), oldest first. `marks`: the store's marks of the
   * period (with the last of each kind before it), when the caller has read them already.
   */
  incidents(since: number, until: number, marks?: readonly MetricsMark[]): Promise<Incident[]>;
}

const DOWN = new Set(['failed', 'backoff']);

/** Incidents from the `state` marks: a service entering failed or backoff opens one, ready (recovered) or stopped closes it. */
export class StateIncidentSource implements IncidentSource {
  constructor(private readonly reader: Pick<RollupReader, 'marks'>) {}

  async incidents(since: number, until: number, marks?: readonly MetricsMark[]): Promise<Incident[]> {
    return incidentsFromMarks(marks ?? (await this.reader.marks(since, until, { lastBefore: true })), since, until);
  }
}

/** The same, from marks already read (those before `since` say what was open when the period began). */
export function incidentsFromMarks(marks: readonly MetricsMark[], since: number, until: number): Incident[] {
  const open = new Map<string, { start: number; cause: string }>();
  const lastCause = new Map<string, string>();
  const out: Incident[] = [];
  for (const m of marks) {
    if (m.kind === 'restart') lastCause.set(m.service, `${String(m.data.cause)}: ${String(m.data.detail ?? '')}`.replace(/: $/, ''));
    if (m.kind !== 'state') continue;
    const to = String(m.data.to);
    const current = open.get(m.service);
    if (DOWN.has(to) && !current) {
      open.set(m.service, { start: Math.max(since, m.at), cause: lastCause.get(m.service) ?? String(m.data.reason ?? to) });
    } else if (current && (to === 'ready' || to === 'stopped')) {
      open.delete(m.service);
      if (m.at >= since) out.push({ service: m.service, start: current.start, end: m.at, durationMs: m.at - current.start, cause: current.cause, resolution: to === 'ready' ? 'recovered' : 'stopped', source: 'events' });
    }
  }
  for (const [service, o] of open) out.push({ service, start: o.start, durationMs: until - o.start, cause: o.cause, resolution: 'open', source: 'events' });
  return out.sort((a, b) => a.start - b.start);
}
