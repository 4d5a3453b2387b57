/** `opsdeck alerts list|ack|silence|unsilence|history`: the engine's alerts, acknowledgements and silences (docs/alerts.md). */
import { InvalidArgumentError, type Command } from 'commander';
import { formatDuration, parseDuration, type AlertsView, type IncidentRecord, type SilenceMatcher } from '../core/contract';
import { formatMatcher, incidentHistory, parseMatcher } from '../core/host';
import { dim, table } from './format';
import { parseTimeOption } from './time-option';
import { ownerOf, printJson, requireOwner, stackDir } from './stack-context';

const when = (at: number) => new Date(at).toISOString().replace('T', ' ').slice(0, 19);
const ago = (now: number, at: number) => formatDuration(Math.max(0, now - at));

function collectMatcher(value: string, prev: SilenceMatcher[] = []): SilenceMatcher[] {
  try {
    return [...prev, parseMatcher(value)];
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

function parseFor(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError(`"${value}" is not a duration such as 30m, 1h or 2d`);
  return ms;
}

export function formatAlerts(v: AlertsView): string {
  if (!v.enabled) return 'alerts are switched off for this stack (alerts.enabled: false)';
  const out: string[] = [];
  if (!v.alerts.length) out.push('no alert pending or firing');
  else {
    const status = (a: AlertsView['alerts'][number]) => (a.inhibitedBy ? `inhibited by ${a.inhibitedBy}` : a.silencedBy ? `silenced (${a.silencedBy})` : a.state);
    out.push(table(['ALERT', 'SEVERITY', 'STATE', 'SINCE', 'INCIDENT', 'SUMMARY'], v.alerts.map((a) => [a.id, a.severity, status(a), ago(v.at, a.since), a.incident ?? '', a.summary])));
  }
  if (v.incidents.length) {
    out.push('', table(['INCIDENT', 'SEVERITY', 'OPENED', 'LEVEL', 'ACK'], v.incidents.map((i) => [i.id, i.severity, `${ago(v.at, i.openedAt)} ago`, String(i.level), i.ack ? `${i.ack.by ?? 'yes'}${i.ack.comment ? `: ${i.ack.comment}` : ''}` : dim('no')])));
  }
  if (v.silences.length) {
    out.push('', table(['SILENCE', 'MATCHERS', 'ENDS', 'COMMENT'], v.silences.map((s) => [s.id, s.matchers.map(formatMatcher).join(' '), when(s.endsAt), s.comment])));
  }
  return out.join('\n');
}

export function formatHistory(incidents: IncidentRecord[]): string {
  if (!incidents.length) return 'no incident in the history';
  return table(
    ['INCIDENT', 'SEVERITY', 'START', 'END', 'DURATION', 'LEVEL', 'ACK', 'SUMMARY'],
    incidents.map((i) => [i.id, i.severity, when(i.start), i.end ? when(i.end) : 'open', i.durationMs === undefined ? '' : formatDuration(i.durationMs), String(i.level), i.ack ? (i.ack.by ?? 'yes') : '', i.summary]),
  );
}

export function registerAlerts(program: Command): void {
  const alerts = program
    .command('alerts')
    .description('the alerts of the running engine: list, acknowledge, silence, history (docs/alerts.md)')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck alerts list
  $ opsdeck alerts ack storage-3fa2c1 --comment "restoring from last night"
  $ opsdeck alerts silence --matcher service=storage --for 2h --comment "disk swap"
  $ opsdeck alerts history --since 7d --json`,
    );

  alerts
    .command('list')
    .description('pending and firing alerts, open incidents and silences in force')
    .option('--json', 'print {at, enabled, alerts, incidents, silences} as JSON')
    .addHelpText('after', `

Examples:
  $ opsdeck alerts list
  $ opsdeck alerts list --json | jq '.alerts[] | select(.state == "firing") | .id'

Exit codes: 0 listed, 1 error (e.g. no engine running).`)
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const view = await requireOwner(stackDir(cmd)).client.alerts();
      if (opts.json) return printJson(view);
      process.stdout.write(formatAlerts(view) + '\n');
    });

  alerts
    .command('ack')
    .description('acknowledge an incident (its id, or the id of one of its alerts): it escalates and repeats no more')
    .argument('<id>', 'an incident id (alerts list) or an alert id such as service_down/storage')
    .option('--comment <text>', 'why, what is being done')
    .option('--by <name>', 'who acknowledges (default: $USER)')
    .option('--dry-run', 'say what would be acknowledged and change nothing')
    .option('--json', 'print {dryRun, incident} as JSON')
    .addHelpText('after', `

Examples:
  $ opsdeck alerts ack storage-3fa2c1 --comment "restoring from last night"
  $ opsdeck alerts ack service_down/storage --dry-run

Exit codes: 0 acknowledged, 1 error (an unknown id says which are open).`)
    .action(async (id: string, opts: { comment?: string; by?: string; dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const by = opts.by ?? process.env.USER;
      const r = await requireOwner(stackDir(cmd)).client.ackAlert(id, { ...(opts.comment ? { comment: opts.comment } : {}), ...(by ? { by } : {}), dryRun: !!opts.dryRun });
      if (opts.json) return printJson(r);
      process.stdout.write(`${r.dryRun ? 'would acknowledge' : 'acknowledged'} ${r.incident.id} (${r.incident.severity}: ${r.incident.summary})${r.dryRun ? ' (dry run)' : ''}\n`);
    });

  alerts
    .command('silence')
    .description('silence the alerts matching every --matcher for a while, with a comment')
    .requiredOption('--matcher <k=v>', 'NAME=VALUE, NAME!=VALUE or NAME=~REGEX over rule, service, severity, stack or a rule label (repeatable)', collectMatcher)
    .requiredOption('--for <duration>', 'how long, e.g. 30m, 1h, 2d', parseFor)
    .requiredOption('--comment <text>', 'why (shown with the silence)')
    .option('--by <name>', 'who silences (default: $USER)')
    .option('--dry-run', 'show the silence and the alerts it would match, and change nothing')
    .option('--json', 'print {dryRun, silence, matches} as JSON')
    .addHelpText('after', `

Examples:
  $ opsdeck alerts silence --matcher service=storage --for 2h --comment "disk swap"
  $ opsdeck alerts silence --matcher rule=~ipc_.* --matcher severity!=critical --for 30m --comment load test --dry-run

Exit codes: 0 silenced, 1 error.`)
    .action(async (opts: { matcher: SilenceMatcher[]; for: number; comment: string; by?: string; dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const by = opts.by ?? process.env.USER;
      const r = await requireOwner(stackDir(cmd)).client.silence({ matchers: opts.matcher, durationMs: opts.for, comment: opts.comment, ...(by ? { by } : {}), dryRun: !!opts.dryRun });
      if (opts.json) return printJson(r);
      const what = `${r.silence.matchers.map(formatMatcher).join(' ')} until ${when(r.silence.endsAt)}`;
      process.stdout.write(`${r.dryRun ? 'would silence' : `silenced (${r.silence.id})`} ${what}; matches now: ${r.matches.length ? r.matches.join(', ') : 'none'}${r.dryRun ? ' (dry run)' : ''}\n`);
    });

  alerts
    .command('unsilence')
    .description('end a silence now')
    .argument('<id>', 'the silence id (alerts list)')
    .option('--dry-run', 'say what would be removed and change nothing')
    .option('--json', 'print {dryRun, silence} as JSON')
    .addHelpText('after', `

Examples:
  $ opsdeck alerts unsilence s-1a2b3c4d

Exit codes: 0 removed, 1 error (an unknown id says which silences are in force).`)
    .action(async (id: string, opts: { dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const r = await requireOwner(stackDir(cmd)).client.unsilence(id, !!opts.dryRun);
      if (opts.json) return printJson(r);
      process.stdout.write(`${r.dryRun ? 'would remove' : 'removed'} silence ${r.silence.id} (${r.silence.matchers.map(formatMatcher).join(' ')})${r.dryRun ? ' (dry run)' : ''}\n`);
    });

  alerts
    .command('history')
    .description('past and open incidents from .opsdeck/alerts/history.jsonl: start, end, duration, acknowledgement (no engine needed)')
    .option('--since <when>', 'only incidents open at or after: a duration ago (7d) or a date', (v) => parseTimeOption(v))
    .option('--json', 'print {incidents:[{id, group, service, severity, alerts, summary, start, end, durationMs, ack, level}]} as JSON')
    .addHelpText('after', `

Examples:
  $ opsdeck alerts history --since 7d
  $ opsdeck alerts history --json | jq '.incidents[] | {id, durationMs, ack}'

Exit codes: 0 listed, 1 error.`)
    .action(async (opts: { since?: number; json?: boolean }, cmd: Command) => {
      const dir = stackDir(cmd);
      const owner = ownerOf(dir);
      const incidents = owner ? (await owner.client.alertHistory(opts.since)).incidents : incidentHistory(dir, opts.since === undefined ? {} : { since: opts.since });
      if (opts.json) return printJson({ incidents });
      process.stdout.write(formatHistory(incidents) + '\n');
    });
}
