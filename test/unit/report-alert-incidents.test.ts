import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReportIncident } from '../../src/core/contract/reports';
import { AlertIncidentSource } from '../../src/core/report/alert-incident-source';
import type { IncidentSource } from '../../src/core/report/incident-source';

/** The report's incidents: the alert history (a real history.jsonl), joined by uncovered state outages. */
describe('report: incidents from the alert history', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'opsdeck-report-alerts-'));
    mkdirSync(join(dir, '.opsdeck', 'alerts'), { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const history = (records: object[]) => writeFileSync(join(dir, '.opsdeck', 'alerts', 'history.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const stateOutages = (list: ReportIncident[]): IncidentSource => ({ incidents: async () => list });
  const outage = (service: string, start: number, end: number): ReportIncident => ({ service, start, end, durationMs: end - start, cause: 'crash: exit code 1', resolution: 'recovered', source: 'events' });

  it('lists alert incidents with severity and acknowledgement, and keeps only the state outages no alert covered', async () => {
    history([
      { kind: 'opened', at: 1_000, incident: 'i1', group: 'demo/storage', service: 'storage', severity: 'critical', alerts: ['service_failed'], summary: 'storage failed' },
      { kind: 'sent', at: 1_000, incident: 'i1', level: 1 },
      { kind: 'acked', at: 2_000, incident: 'i1', by: 'ana' },
      { kind: 'resolved', at: 5_000, incident: 'i1' },
      { kind: 'opened', at: 8_000, incident: 'i2', group: 'demo/api', service: 'api', severity: 'warning', alerts: ['probe_latency'], summary: 'api slow' },
    ]);
    const source = new AlertIncidentSource(() => dir, stateOutages([outage('storage', 1_500, 4_000), outage('messaging', 6_000, 7_000)]));
    const got = await source.incidents(0, 10_000);
    assert.deepEqual(
      got.map((i) => [i.service, i.source, i.resolution, i.severity, i.acknowledged, i.durationMs]),
      [
        ['storage', 'alerts', 'recovered', 'critical', true, 4_000],
        ['messaging', 'events', 'recovered', undefined, undefined, 1_000],
        ['api', 'alerts', 'open', 'warning', false, 2_000],
      ],
    );
  });

  it('without an alert history, the state outages are the incidents', async () => {
    const source = new AlertIncidentSource(() => dir, stateOutages([outage('storage', 1_500, 4_000)]));
    assert.deepEqual((await source.incidents(0, 10_000)).map((i) => i.source), ['events']);
  });
});
