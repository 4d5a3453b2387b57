/**
 * The report's incidents from the alert history (`.opsdeck/alerts/history.jsonl`, src/core/alerts),
 * with a severity and an acknowledgement, joined by the outages the engine's state marks show that
 * no alert covered (a stack whose alerts are switched off, or a rule that did not fire).
 */
import { incidentHistory } from '../alerts/history';
import type { IncidentRecord } from '../contract/alerts';
import type { MetricsMark } from '../contract/metrics-store';
import type { ReportIncident } from '../contract/reports';
import type { IncidentSource } from './incident-source';

/** One alert incident as the report lists it. */
export function reportIncidentOf(r: IncidentRecord, until: number): ReportIncident {
  const end = r.end;
  return {
    service: r.service,
    start: r.start,
    ...(end !== undefined ? { end } : {}),
    durationMs: r.durationMs ?? (end ?? until) - r.start,
    cause: r.summary,
    resolution: end !== undefined ? 'recovered' : 'open',
    acknowledged: !!r.ack,
    source: 'alerts',
    severity: r.severity,
  };
}

export class AlertIncidentSource implements IncidentSource {
  constructor(
    private readonly stackDir: () => string,
    /** Outages from the state marks: kept where no alert incident of the same service overlaps them. */
    private readonly fallback: IncidentSource,
  ) {}

  async incidents(since: number, until: number, marks?: readonly MetricsMark[]): Promise<ReportIncident[]> {
    const alerts = incidentHistory(this.stackDir(), { since, until }).map((r) => reportIncidentOf(r, until));
    const covered = (i: ReportIncident) => alerts.some((a) => a.service === i.service && a.start < (i.end ?? until) && (a.end ?? until) > i.start);
    const others = (await this.fallback.incidents(since, until, marks)).filter((i) => !covered(i));
    return [...alerts, ...others].sort((a, b) => a.start - b.start);
  }
}
