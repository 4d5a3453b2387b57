/**
 * The report's sections as titled tables of text, once, for both renderings (Markdown and HTML):
 * what a reader sees in each section, in which order, and how each figure is written.
 */
import { formatDuration } from '../duration';
import { formatBytes } from '../format';
import type { OpsReport } from '../contract/reports';

export interface ReportTable {
  title: string;
  headers: string[];
  rows: string[][];
  /** Said instead of an empty table. */
  empty: string;
}

export interface ReportSection {
  id: 'usage' | 'performance' | 'issues' | 'data' | 'maintenance' | 'changes';
  title: string;
  /** One-line findings shown above the tables. */
  summary: string[];
  tables: ReportTable[];
}

const when = (at: number) => new Date(at).toISOString().replace('T', ' ').slice(0, 16) + 'Z';
const num = (n: number | undefined, unit = '') => (n === undefined ? '—' : `${n}${unit}`);
const pctText = (n: number | undefined) => (n === undefined ? '—' : `${n.toFixed(n >= 99.9 && n < 100 ? 3 : 2)} %`);

export function reportTitle(r: OpsReport): string {
  return `Opsdeck report — ${r.stack}, ${r.period === 'custom' ? 'custom period' : `last ${r.period}`}`;
}

export function reportSubtitle(r: OpsReport): string {
  return `${when(r.since)} → ${when(r.until)} · generated ${when(r.generatedAt)} · Opsdeck ${r.opsdeckVersion}`;
}

export function reportSections(r: OpsReport): ReportSection[] {
  const u = r.usage.services;
  const p = r.performance;
  const dp = r.dataProtection;
  const worst = [...u].filter((s) => s.availabilityPct !== undefined).sort((a, b) => a.availabilityPct! - b.availabilityPct!)[0];
  const restarts = u.reduce((a, s) => a + s.restarts, 0);
  const rpoKnown = dp.rpo.filter((x) => x.compliancePct !== undefined);
  return [
    {
      id: 'usage',
      title: 'Usage',
      summary: [
        worst ? `Lowest availability: ${worst.service} ${pctText(worst.availabilityPct)}.` : 'No service ran in this period.',
        `${restarts} restart${restarts === 1 ? '' : 's'} in all.`,
        profileLine(r.usage.profile),
      ],
      tables: [
        {
          title: 'Services',
          headers: ['Service', 'Availability', 'Uptime', 'Ready', 'Restarts', 'Causes', 'Starts', 'Stops'],
          rows: u.map((s) => [
            s.service, pctText(s.availabilityPct), pctText(s.uptimePct), formatDuration(s.readySec * 1000), String(s.restarts),
            Object.entries(s.restartCauses).map(([c, n]) => `${c} ×${n}`).join(', ') || '—', String(s.starts), String(s.stops),
          ]),
          empty: 'No services.',
        },
      ],
    },
    {
      id: 'performance',
      title: 'Performance',
      summary: [
        p.ipc.samples ? `IPC score: average ${num(p.ipc.avg)}, peak ${num(p.ipc.max)}.` : 'No IPC samples in this period.',
        p.slowest[0] ? `Slowest probes: ${p.slowest[0].service} (p95 ${p.slowest[0].latencyP95Ms} ms).` : 'No probe latencies recorded.',
      ],
      tables: [
        {
          title: 'Probes, CPU and memory',
          headers: ['Service', 'p50', 'p95', 'Max', 'Probes failed', 'CPU avg', 'CPU max', 'RSS avg', 'RSS max'],
          rows: p.services.map((s) => [
            s.service, num(s.latencyP50Ms, ' ms'), num(s.latencyP95Ms, ' ms'), num(s.latencyMaxMs, ' ms'), `${s.probeFailures} / ${s.probes}`,
            num(s.cpuAvg, ' %'), num(s.cpuMax, ' %'), num(s.rssAvgMb, ' MB'), num(s.rssMaxMb, ' MB'),
          ]),
          empty: 'No services.',
        },
        {
          title: 'Slowest checks',
          headers: ['Service', 'p95', 'Max'],
          rows: p.slowest.map((s) => [s.service, `${s.latencyP95Ms} ms`, num(s.latencyMaxMs, ' ms')]),
          empty: 'No probe latencies recorded.',
        },
      ],
    },
    {
      id: 'issues',
      title: 'Issues',
      summary: [
        `${r.issues.incidents.length} incident${r.issues.incidents.length === 1 ? '' : 's'}, ${r.issues.failedChecks.length} failed check${r.issues.failedChecks.length === 1 ? '' : 's'}.`,
        r.issues.logErrors[0] ? `Most frequent log error: ${r.issues.logErrors[0].service} "${r.issues.logErrors[0].signature.slice(0, 80)}" ×${r.issues.logErrors[0].count}.` : 'No error lines in the logs.',
      ],
      tables: [
        {
          title: 'Incidents',
          headers: ['Service', 'Start', 'End', 'Duration', 'Cause', 'Outcome'],
          rows: r.issues.incidents.map((i) => [
            i.service, when(i.start), i.end === undefined ? '—' : when(i.end), formatDuration(i.durationMs), i.cause,
            i.resolution + (i.acknowledged ? ', acknowledged' : ''),
          ]),
          empty: 'No incidents.',
        },
        {
          title: 'Failed checks',
          headers: ['When', 'Service', 'Output'],
          rows: r.issues.failedChecks.slice(-50).map((c) => [when(c.at), c.service, c.output.slice(0, 120) || '—']),
          empty: 'No failed checks.',
        },
        {
          title: 'Log errors',
          headers: ['Service', 'Count', 'Signature', 'First', 'Last', 'Crashes after'],
          rows: r.issues.logErrors.map((e) => [e.service, String(e.count), e.signature.slice(0, 120), when(e.firstSeen), when(e.lastSeen), String(e.crashesPreceded)]),
          empty: 'No error lines in the logs.',
        },
      ],
    },
    {
      id: 'data',
      title: 'Data protection',
      summary: [
        `${dp.backups.count} backup${dp.backups.count === 1 ? '' : 's'} (${dp.backups.failed} failed), ${formatBytes(dp.backups.bytesAdded)} added.`,
        rpoKnown.length ? `RPO met ${pctText(Math.min(...rpoKnown.map((x) => x.compliancePct!)))} of the time at worst (${rpoKnown.sort((a, b) => a.compliancePct! - b.compliancePct!)[0]!.service}).` : 'No RPO status recorded.',
      ],
      tables: [
        {
          title: 'Backups',
          headers: ['When', 'Services', 'Result', 'Trigger', 'Added', 'Duration'],
          rows: dp.backups.list.map((b) => [
            when(b.at), b.services.join(', '), b.ok ? 'ok' : `failed${b.error ? `: ${b.error}` : ''}`, b.trigger,
            b.bytesAdded === undefined ? '—' : formatBytes(b.bytesAdded), b.durationMs === undefined ? '—' : formatDuration(b.durationMs),
          ]),
          empty: 'No backups.',
        },
        {
          title: 'RPO compliance',
          headers: ['Service', 'Met', 'Breaches'],
          rows: dp.rpo.map((x) => [x.service, pctText(x.compliancePct), String(x.breaches)]),
          empty: 'No service declares an RPO.',
        },
        {
          title: 'Verifications',
          headers: ['When', 'Result', 'Errors', 'Data read', 'Duration'],
          rows: dp.verifications.map((v) => [when(v.at), v.ok ? 'ok' : 'failed', String(v.errors), v.readData ? 'yes' : 'no', formatDuration(v.durationMs)]),
          empty: 'No verifications.',
        },
        {
          title: 'Recovery drills',
          headers: ['When', 'Services', 'Result', 'Recovery', 'RTO', 'Within RTO'],
          rows: dp.drills.map((d) => [
            when(d.at), d.services.join(', '), d.ok ? 'ok' : `failed${d.error ? `: ${d.error}` : ''}`, d.recoveryMs === undefined ? '—' : formatDuration(d.recoveryMs),
            d.rtoMs === undefined ? '—' : formatDuration(d.rtoMs), d.withinRto === undefined ? '—' : d.withinRto ? 'yes' : 'no',
          ]),
          empty: 'No drills.',
        },
      ],
    },
    {
      id: 'maintenance',
      title: 'Maintenance',
      summary: [maintenanceSummary(r)],
      tables: [
        {
          title: 'Tasks run',
          headers: ['When', 'Task', 'Result', 'Trigger', 'Reclaimed', 'Duration'],
          rows: r.maintenance.map((m) => [
            when(m.at), m.task, m.ok ? m.summary.slice(0, 100) || 'ok' : `failed${m.error ? `: ${m.error.slice(0, 100)}` : ''}`, m.trigger,
            m.reclaimedBytes === undefined ? '—' : formatBytes(m.reclaimedBytes), formatDuration(m.durationMs),
          ]),
          empty: 'No maintenance ran.',
        },
      ],
    },
    {
      id: 'changes',
      title: 'What changed',
      summary: [`${Math.max(0, r.changes.config.length - 1)} configuration change${r.changes.config.length === 2 ? '' : 's'}, ${Math.max(0, r.changes.versions.length - 1)} Opsdeck upgrade${r.changes.versions.length === 2 ? '' : 's'}.`],
      tables: [
        { title: 'Configuration (opsdeck.yaml)', headers: ['Since', 'Hash'], rows: r.changes.config.map((c) => [when(c.at), c.hash]), empty: 'No configuration recorded.' },
        { title: 'Opsdeck version', headers: ['Since', 'Version'], rows: r.changes.versions.map((v) => [when(v.at), v.version]), empty: 'No engine start recorded.' },
      ],
    },
  ];
}

function maintenanceSummary(r: OpsReport): string {
  const runs = r.maintenance;
  if (!runs.length) return 'No maintenance ran in this period.';
  const failed = runs.filter((m) => !m.ok).length;
  const reclaimed = runs.reduce((a, m) => a + (m.reclaimedBytes ?? 0), 0);
  return `${runs.length} task${runs.length === 1 ? '' : 's'} run (${failed} failed), ${formatBytes(reclaimed)} reclaimed.`;
}

/** "Profile time: dev 5d 2h, minimal 1d 22h; active profile: dev." */
function profileLine(p: OpsReport['usage']['profile']): string {
  const active = p.active !== undefined ? `; active profile: ${p.active}` : '';
  if (!p.timeRecorded || !p.seconds) return `Profile time: not recorded (no profile marks in the store up to this period's end)${active}.`;
  const parts = Object.entries(p.seconds).sort((a, b) => b[1] - a[1]).map(([name, s]) => `${name} ${formatDuration(s * 1000)}`);
  return `Profile time: ${parts.join(', ')}${active}.`;
}
