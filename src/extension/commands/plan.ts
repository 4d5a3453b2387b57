/** A plan the engine carried out, in a few words for a status bar message: "stop a; start b, c". */
import type { PlanResult } from '../../core/contract';

export function describePlan(plan: PlanResult): string {
  if (plan.plan.length === 0) return 'nothing to do';
  const by = (a: string) => plan.plan.filter((p) => p.action === a).map((p) => p.service);
  return (['stop', 'restart', 'start'] as const)
    .map((a) => [a, by(a)] as const)
    .filter(([, s]) => s.length)
    .map(([a, s]) => `${a} ${s.join(', ')}`)
    .join('; ');
}
