/**
 * `opsdeck monitor`'s verdict, as a monitoring plugin gives it (0 OK, 1 WARNING, 2 CRITICAL,
 * 3 UNKNOWN): from the engine's alerts when it runs (firing, neither inhibited nor silenced),
 * else from what the files tell (the disk_low rule) with UNKNOWN for what needs an engine.
 * CRITICAL and WARNING outrank UNKNOWN (a full disk is critical whether or not an engine runs).
 */
import type { AlertsView, MonitorLevel, MonitorReport } from '../contract/alerts';
import type { LoadedStack } from '../config/load';
import { diskFreePercent } from './disk';
import { AlertFacts } from './facts';
import { evaluateRules, resolveRules } from './rules';

export const MONITOR_EXIT: Record<MonitorLevel, number> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };

function verdict(alerts: MonitorReport['alerts'], unknown: string[]): MonitorLevel {
  if (alerts.some((a) => a.severity === 'critical')) return 'CRITICAL';
  if (alerts.some((a) => a.severity === 'warning')) return 'WARNING';
  return unknown.length ? 'UNKNOWN' : 'OK';
}

function summaryOf(level: MonitorLevel, alerts: MonitorReport['alerts'], unknown: string[]): string {
  if (alerts.length) return `${alerts.length} firing: ${alerts.map((a) => a.summary).join('; ')}`;
  return level === 'UNKNOWN' ? unknown.join('; ') : 'no alert firing';
}

const pick = (a: AlertsView['alerts'][number]) => ({ id: a.id, rule: a.rule, service: a.service, severity: a.severity, summary: a.summary, since: a.since });

/** From the running engine's alerts. */
export function monitorFromView(view: AlertsView): MonitorReport {
  const alerts = view.alerts.filter((a) => a.state === 'firing' && !a.inhibitedBy && !a.silencedBy).map(pick);
  const unknown = view.enabled ? [] : ['alerts are switched off (alerts.enabled: false)'];
  const level = verdict(alerts, unknown);
  return { at: view.at, level, engine: true, summary: summaryOf(level, alerts, unknown), alerts, unknown };
}

/** Without an engine: what the stack's files and volume tell. */
export function monitorWithoutEngine(stack: LoadedStack, now = Date.now()): MonitorReport {
  const unknown = ['no engine is running: services, probes, checks, IPC and RPO cannot be checked (start it with `opsdeck up`)'];
  const facts = new AlertFacts();
  const free = diskFreePercent(stack.dir);
  if (free === undefined) unknown.push('the free space of the stack\'s volume cannot be read');
  else facts.stack.diskFreePercent = free;
  const rules = resolveRules(stack).filter((r) => r.builtin === 'disk_low' || r.custom?.metric === 'disk_free_percent');
  // `for:` cannot be observed by one look: what holds now is reported.
  const alerts = stack.config.alerts.enabled
    ? evaluateRules(rules, facts, stack, now).map((f) => ({ id: `${f.rule.name}/${f.service}`, rule: f.rule.name, service: f.service, severity: f.rule.severity, summary: f.summary, since: now }))
    : [];
  const level = verdict(alerts, unknown);
  return { at: now, level, engine: false, summary: summaryOf(level, alerts, unknown), alerts, unknown };
}

/** When even the stack cannot be read (or the engine does not answer). */
export const unknownReport = (why: string, now = Date.now()): MonitorReport => ({ at: now, level: 'UNKNOWN', engine: false, summary: why, alerts: [], unknown: [why] });
