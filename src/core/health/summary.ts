/**
 * The health of each service and of the stack in the four levels monitoring tools use
 * (OK, WARNING, CRITICAL, UNKNOWN; the CLI maps them to exit codes 0, 1, 2, 3).
 */
import { didYouMean } from '../config/suggest';
import { OpsError } from '../errors';

import type { HealthLevel, ServiceHealth, StackHealth } from '../contract/health';
import type { ServiceSnapshot } from '../contract/status';

/** Severity order for the stack's level: OK < WARNING < UNKNOWN < CRITICAL. */
const SEVERITY: Record<HealthLevel, number> = { OK: 0, WARNING: 1, UNKNOWN: 2, CRITICAL: 3 };

/**
 * One service's health. `wanted` says whether the service is supposed to be running: a service
 * stopped on purpose is UNKNOWN (nothing to say about it), a failed one CRITICAL.
 */
export function serviceHealth(s: ServiceSnapshot, wanted: boolean): ServiceHealth {
  const at = (level: HealthLevel, reason: string): ServiceHealth => ({ service: s.name, level, reason });
  if (s.lastCheck && !s.lastCheck.ok && (s.state === 'ready' || s.state === 'degraded')) {
    return at('CRITICAL', `full-functionality check failing: ${s.lastCheck.output.split('\n').pop() || 'failed'}`);
  }
  switch (s.state) {
    case 'ready':
      return at('OK', s.lastCheck ? `ready; full-functionality check passed in ${s.lastCheck.durationMs}ms` : s.reason);
    case 'degraded':
    case 'starting':
    case 'backoff':
    case 'stopping':
      return at('WARNING', `${s.state}: ${s.reason}`);
    case 'failed':
      return at('CRITICAL', `failed: ${s.reason}`);
    case 'stopped':
      if (s.completed) return at('OK', s.reason);
      return wanted ? at('CRITICAL', `stopped: ${s.reason}`) : at('UNKNOWN', `not running: ${s.reason}`);
  }
}

export function stackHealth(services: ServiceSnapshot[], isWanted: (name: string) => boolean): StackHealth {
  return summarize(services.map((s) => serviceHealth(s, isWanted(s.name))));
}

/**
 * The health of only the services `names` (`opsdeck health storage`): the level and summary from
 * them alone. `known` are the stack's services (default: those in `health`): one of them that
 * `health` leaves out (outside the active profile, not running) is UNKNOWN. Throws OpsError
 * SERVICE_UNKNOWN (with a did-you-mean hint) for a name not in `known`.
 */
export function healthOf(health: StackHealth, names: readonly string[], known: readonly string[] = health.services.map((s) => s.service)): StackHealth {
  assertKnownServices(names, known);
  const listed = health.services.filter((s) => names.includes(s.service));
  const outside = names
    .filter((n) => !listed.some((s) => s.service === n))
    .map((service): ServiceHealth => ({ service, level: 'UNKNOWN', reason: 'not running (outside the active profile)' }));
  return summarize([...listed, ...outside]);
}

/** Throws OpsError SERVICE_UNKNOWN for the first of `names` not in `known`, with a did-you-mean hint. */
export function assertKnownServices(names: readonly string[], known: readonly string[]): void {
  const unknown = names.find((n) => !known.includes(n));
  if (unknown === undefined) return;
  throw new OpsError('SERVICE_UNKNOWN', `no service named "${unknown}" in this stack`, didYouMean(unknown, known) ?? `the services are ${known.join(', ')}`);
}

function summarize(list: ServiceHealth[]): StackHealth {
  if (list.length === 0) return { level: 'UNKNOWN', summary: 'no services', services: list };
  const worst = list.reduce((a, b) => (SEVERITY[b.level] > SEVERITY[a.level] ? b : a));
  const ok = list.filter((h) => h.level === 'OK').length;
  const notOk = list.filter((h) => h.level !== 'OK').map((h) => `${h.service} ${h.level}`);
  const summary = `${ok}/${list.length} OK${notOk.length ? ` (${notOk.join(', ')})` : ''}`;
  return { level: worst.level, summary, services: list };
}
