/**
 * The stack's alert rules (the built-in ones as tuned by `alerts.rules`, and `alerts.custom`)
 * and their evaluation over the facts: which rule holds now for which service, with its value,
 * detail and rendered summary. Whether it has held long enough (`for:`) is pending.ts's job.
 */
import { formatDuration, parseDuration } from '../duration';
import type { AlertSeverity } from '../contract/alerts';
import type { LoadedStack } from '../config/load';
import type { AlertFacts, ServiceFacts } from './facts';
import { BUILTIN_RULES, BUILTIN_RULE_NAMES, type BuiltinRuleName, type CustomMetric } from './rule-catalog';

export interface ResolvedRule {
  name: string;
  builtin?: BuiltinRuleName;
  custom?: { metric: CustomMetric; above?: number; below?: number; services?: string[] };
  severity: AlertSeverity;
  forMs: number;
  threshold?: number;
  windowMs?: number;
  labels: Record<string, string>;
  summary: string;
  inhibitsDependents: boolean;
  inhibits: string[];
}

/** A rule that holds now for a service (or `stack`). */
export interface Finding {
  rule: ResolvedRule;
  service: string;
  value?: number;
  detail: string;
  threshold?: number;
  summary: string;
}

/** The rules in force for the stack: the built-in ones not switched off, then the custom ones. */
export function resolveRules(stack: LoadedStack): ResolvedRule[] {
  const a = stack.config.alerts;
  const rules: ResolvedRule[] = [];
  for (const name of BUILTIN_RULE_NAMES) {
    const def = BUILTIN_RULES[name] as (typeof BUILTIN_RULES)[BuiltinRuleName] & { threshold?: number; window?: string; inhibitsDependents?: boolean; inhibits?: readonly string[] };
    const t = a.rules[name];
    if (t === false || t?.enabled === false) continue;
    const threshold = t?.threshold ?? def.threshold;
    const windowMs = t?.window ?? (def.window ? parseDuration(def.window) : undefined);
    rules.push({
      name,
      builtin: name,
      severity: t?.severity ?? def.severity,
      forMs: t?.for ?? parseDuration(def.for)!,
      ...(threshold !== undefined ? { threshold } : {}),
      ...(windowMs !== undefined ? { windowMs } : {}),
      labels: t?.labels ?? {},
      summary: t?.summary ?? def.summary,
      inhibitsDependents: !!def.inhibitsDependents,
      inhibits: [...(def.inhibits ?? [])],
    });
  }
  for (const [name, c] of Object.entries(a.custom)) {
    rules.push({
      name,
      custom: { metric: c.metric, ...(c.above !== undefined ? { above: c.above } : {}), ...(c.below !== undefined ? { below: c.below } : {}), ...(c.services ? { services: c.services } : {}) },
      severity: c.severity,
      forMs: c.for,
      labels: c.labels,
      summary: c.summary ?? `{{service}}: ${c.metric} is {{value}} (${c.above !== undefined ? `above ${c.above}` : `below ${c.below}`})`,
      inhibitsDependents: c.inhibits_dependents,
      inhibits: [],
    });
  }
  return rules;
}

/** Every rule that holds now. */
export function evaluateRules(rules: readonly ResolvedRule[], facts: AlertFacts, stack: LoadedStack, now: number): Finding[] {
  const out: Finding[] = [];
  const services = Object.keys(stack.config.services);
  for (const rule of rules) {
    const add = (service: string, detail: string, value?: number, threshold?: number) => {
      const f: Finding = { rule, service, detail, summary: '', ...(value !== undefined ? { value: round(value) } : {}), ...(threshold !== undefined ? { threshold } : {}) };
      f.summary = renderSummary(rule, f, stack.config.name);
      out.push(f);
    };
    if (rule.custom) {
      evaluateCustom(rule, rule.custom, facts, services, add);
      continue;
    }
    const eachService = (fn: (name: string, s: ServiceFacts) => void) => {
      for (const name of services) fn(name, facts.services.get(name) ?? { shouldRun: false, restarts: [] });
    };
    switch (rule.builtin) {
      case 'service_failed':
        eachService((n, s) => s.state === 'failed' && add(n, s.stateDetail ?? 'failed'));
        break;
      case 'crash_looping':
        eachService((n, s) => {
          const recent = s.restarts.filter((t) => t > now - (rule.windowMs ?? 600_000)).length;
          if (recent >= (rule.threshold ?? 3)) add(n, `${recent} restarts`, recent, rule.threshold);
        });
        break;
      case 'service_down':
        eachService((n, s) => s.shouldRun && (s.state === 'starting' || s.state === 'backoff' || s.state === 'failed') && add(n, s.state));
        break;
      case 'readiness_failing':
        eachService((n, s) => s.probeFailing && s.shouldRun && add(n, s.probeFailing));
        break;
      case 'check_failing':
        eachService((n, s) => s.checkFailing && s.shouldRun && add(n, s.checkFailing));
        break;
      case 'ipc_warn':
      case 'ipc_critical': {
        const profile = stack.profile ? stack.config.profiles[stack.profile]?.ipc : undefined;
        const limit = rule.threshold ?? (rule.builtin === 'ipc_warn' ? (profile?.warn ?? 70) : (profile?.critical ?? 90));
        const ipc = facts.stack.ipc;
        if (ipc && ipc.score >= limit) add('stack', ipc.summary, ipc.score, limit);
        break;
      }
      case 'probe_latency':
        eachService((n, s) => {
          const budget = rule.threshold ?? stack.config.services[n]?.ipc.latency_budget;
          if (budget !== undefined && s.shouldRun && s.latencyMs !== undefined && s.latencyMs > budget) add(n, `${round(s.latencyMs)} ms`, s.latencyMs, budget);
        });
        break;
      case 'memory_high':
        eachService((n, s) => s.shouldRun && s.rssMb !== undefined && s.rssMb > rule.threshold! && add(n, `${round(s.rssMb)} MB`, s.rssMb, rule.threshold));
        break;
      case 'cpu_high':
        eachService((n, s) => s.shouldRun && s.cpuPercent !== undefined && s.cpuPercent > rule.threshold! && add(n, `${round(s.cpuPercent)}%`, s.cpuPercent, rule.threshold));
        break;
      case 'rpo_breached':
        eachService((n, s) => s.rpoBreach && add(n, s.rpoBreach));
        break;
      case 'backup_failed':
        if (facts.stack.backupFailed) add('stack', facts.stack.backupFailed);
        break;
      case 'verify_failed':
        if (facts.stack.verifyFailed) add('stack', facts.stack.verifyFailed);
        break;
      case 'disk_low': {
        const free = facts.stack.diskFreePercent;
        if (free !== undefined && free < rule.threshold!) add('stack', `${round(free)}% free`, free, rule.threshold);
        break;
      }
      case 'engine_restarted': {
        const r = facts.stack.engineRestart;
        if (r && now - r.at < (rule.windowMs ?? 600_000)) add('stack', r.detail);
        break;
      }
    }
  }
  return out;
}

function evaluateCustom(
  rule: ResolvedRule,
  c: NonNullable<ResolvedRule['custom']>,
  facts: AlertFacts,
  services: string[],
  add: (service: string, detail: string, value?: number, threshold?: number) => void,
): void {
  const limit = (c.above ?? c.below)!;
  const breaks = (v: number | undefined) => v !== undefined && (c.above !== undefined ? v > c.above : v < c.below!);
  if (c.metric === 'ipc_score' || c.metric === 'disk_free_percent') {
    const v = c.metric === 'ipc_score' ? facts.stack.ipc?.score : facts.stack.diskFreePercent;
    if (breaks(v)) add('stack', `${c.metric} ${round(v!)}`, v, limit);
    return;
  }
  for (const name of c.services ?? services) {
    const s = facts.services.get(name);
    if (!s?.shouldRun) continue;
    const v =
      c.metric === 'cpu_percent' ? s.cpuPercent
      : c.metric === 'rss_mb' ? s.rssMb
      : c.metric === 'latency_ms' ? s.latencyMs
      : c.metric === 'probe_failure_rate' ? s.probeFailureRate
      : s.restarts.length;
    if (breaks(v)) add(name, `${c.metric} ${round(v!)}`, v, limit);
  }
}

const round = (v: number) => Math.round(v * 10) / 10;

/** A summary template with `{{service}}`, `{{value}}`, `{{threshold}}`, `{{detail}}`, `{{for}}`, `{{window}}`, `{{rule}}`, `{{stack}}`, `{{severity}}`. */
export function renderSummary(rule: ResolvedRule, f: Omit<Finding, 'summary'>, stack: string): string {
  const vars: Record<string, string> = {
    service: f.service,
    value: f.value === undefined ? '' : String(f.value),
    threshold: f.threshold === undefined ? '' : String(f.threshold),
    detail: f.detail,
    for: formatDuration(rule.forMs),
    window: rule.windowMs === undefined ? '' : formatDuration(rule.windowMs),
    rule: rule.name,
    stack,
    severity: rule.severity,
  };
  return rule.summary.replace(/\{\{\s*(\w+)\s*\}\}/g, (m, k: string) => vars[k] ?? m);
}
