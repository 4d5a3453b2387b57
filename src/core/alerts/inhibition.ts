/**
 * Inhibition: one outage, one page. A firing alert of a rule that inhibits dependents (service
 * failed, down, crash-looping, readiness failing) inhibits every alert of the services that
 * depend on its service, directly or not (the dependency graph, src/core/graph.ts); and a graver
 * rule inhibits the rules it lists for the same service (ipc_critical → ipc_warn, service_failed
 * → service_down…). An inhibited alert is still listed, with `inhibitedBy`, but pages no one.
 */
import type { Alert } from '../contract/alerts';
import { withDependencies, type GraphInput } from '../graph';
import type { ResolvedRule } from './rules';

export function applyInhibition(alerts: Alert[], rules: readonly ResolvedRule[], graph: GraphInput): Alert[] {
  const byName = new Map(rules.map((r) => [r.name, r]));
  const firing = alerts.filter((a) => a.state === 'firing');
  const upstreamCause = new Map<string, Alert>(); // service → a firing alert that inhibits its dependents
  for (const a of firing) if (byName.get(a.rule)?.inhibitsDependents && !upstreamCause.has(a.service)) upstreamCause.set(a.service, a);
  return alerts.map((a) => {
    const { inhibitedBy: _, ...rest } = a;
    const same = firing.find((b) => b.service === a.service && b.id !== a.id && byName.get(b.rule)?.inhibits.includes(a.rule));
    if (same) return { ...rest, inhibitedBy: same.id };
    if (!Object.hasOwn(graph, a.service)) return rest;
    const upstreams = withDependencies(graph, [a.service]).filter((s) => s !== a.service);
    const cause = upstreams.map((s) => upstreamCause.get(s)).find((c) => c !== undefined);
    return cause ? { ...rest, inhibitedBy: cause.id } : rest;
  });
}
