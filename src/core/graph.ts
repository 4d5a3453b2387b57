/**
 * The dependency graph of a stack: validation (unknown dependencies, cycles, tier inversions)
 * and the start / stop order. Edges come from `depends_on` and from tiers: every service starts
 * after the services of lower tiers (storage, then messaging, then server, then worker).
 */
import { TIERS, type DependencyCondition, type Tier } from './config/schema';

export interface GraphNode {
  tier: Tier;
  depends_on: Record<string, DependencyCondition>;
}
export type GraphInput = Record<string, GraphNode>;

export interface UnknownDependency {
  service: string;
  dependency: string;
}
export interface TierInversion {
  service: string;
  tier: Tier;
  dependency: string;
  dependencyTier: Tier;
}

const tierRank = (t: Tier) => TIERS.indexOf(t);

export function findUnknownDependencies(services: GraphInput): UnknownDependency[] {
  const out: UnknownDependency[] = [];
  for (const [service, node] of Object.entries(services)) {
    for (const dependency of Object.keys(node.depends_on)) {
      if (!(dependency in services)) out.push({ service, dependency });
    }
  }
  return out;
}

/** A service that depends on one of a higher tier contradicts the tier order. */
export function findTierInversions(services: GraphInput): TierInversion[] {
  const out: TierInversion[] = [];
  for (const [service, node] of Object.entries(services)) {
    for (const dependency of Object.keys(node.depends_on)) {
      const dep = services[dependency];
      if (dep && tierRank(dep.tier) > tierRank(node.tier)) {
        out.push({ service, tier: node.tier, dependency, dependencyTier: dep.tier });
      }
    }
  }
  return out;
}

/**
 * The first dependency cycle found, spelled from its first service back to it
 * (`['api', 'storage', 'api']`), or null. Self-dependencies are cycles of one.
 */
export function findCycle(services: GraphInput): string[] | null {
  const WHITE = 0, GREY = 1, BLACK = 2;
  const color = new Map<string, number>();
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    color.set(n, GREY);
    stack.push(n);
    for (const d of Object.keys(services[n]?.depends_on ?? {}).sort()) {
      if (!(d in services)) continue;
      const c = color.get(d) ?? WHITE;
      if (c === GREY) return [...stack.slice(stack.indexOf(d)), d];
      if (c === WHITE) {
        const found = visit(d);
        if (found) return found;
      }
    }
    stack.pop();
    color.set(n, BLACK);
    return null;
  };
  for (const n of Object.keys(services).sort()) {
    if ((color.get(n) ?? WHITE) === WHITE) {
      const found = visit(n);
      if (found) return found;
    }
  }
  return null;
}

export const formatCycle = (cycle: string[]) => cycle.join(' → ');

export interface MissingDependency {
  /** The selected service that needs `dependency`. */
  service: string;
  dependency: string;
  /** The services between them, not selected either: `api → storage → db` has via `['storage']`. */
  via: string[];
}

/**
 * The dependencies, direct or transitive, of the `selected` services that are not selected
 * themselves (for profiles that leave one out). Each one is reported once, with the selected
 * service that needs it by the shortest chain (ties go to the service listed first). The chain
 * only runs through services that are not selected: a selected service answers for its own
 * dependencies. Dependencies missing from `services` are reported but not followed.
 */
export function missingDependencies(services: GraphInput, selected: string[]): MissingDependency[] {
  const chosen = new Set(selected);
  const out: MissingDependency[] = [];
  const found = new Set<string>();
  // Breadth-first from all the selected services at once, so that each missing dependency is
  // reached first by its shortest chain.
  let frontier = selected.map((service) => ({ service, chain: [] as string[], at: service }));
  while (frontier.length) {
    const next: typeof frontier = [];
    for (const { service, chain, at } of frontier) {
      for (const dependency of Object.keys(services[at]?.depends_on ?? {})) {
        if (chosen.has(dependency) || found.has(dependency)) continue;
        found.add(dependency);
        out.push({ service, dependency, via: chain });
        next.push({ service, chain: [...chain, dependency], at: dependency });
      }
    }
    frontier = next;
  }
  return out;
}

/**
 * What a service waits for before it starts: its explicit dependencies with their condition,
 * and (as `after`) every selected service of a lower tier, which it waits to settle (ready,
 * failed or completed) without depending on it.
 */
export function startPrerequisites(services: GraphInput, selected: string[], service: string) {
  const node = services[service];
  if (!node) return { depends: {}, after: [] as string[] };
  const depends = Object.fromEntries(Object.entries(node.depends_on).filter(([d]) => selected.includes(d)));
  const after = selected.filter(
    (s) => s !== service && !(s in depends) && tierRank(services[s]!.tier) < tierRank(node.tier),
  );
  return { depends, after };
}

/**
 * Start order as waves: every service of a wave can start once the waves before it are up,
 * and the services of one wave start concurrently. Assumes a validated, acyclic graph.
 */
export function startWaves(services: GraphInput, selected: string[] = Object.keys(services)): string[][] {
  const level = new Map<string, number>();
  const levelOf = (s: string, seen: Set<string>): number => {
    const known = level.get(s);
    if (known !== undefined) return known;
    if (seen.has(s)) throw new Error(`dependency cycle through ${s}`);
    seen.add(s);
    const { depends, after } = startPrerequisites(services, selected, s);
    let l = 0;
    for (const d of [...Object.keys(depends), ...after]) l = Math.max(l, levelOf(d, seen) + 1);
    seen.delete(s);
    level.set(s, l);
    return l;
  };
  const waves: string[][] = [];
  for (const s of selected) {
    const l = levelOf(s, new Set());
    (waves[l] ??= []).push(s);
  }
  return waves.filter(Boolean).map((w) => w.sort());
}

/** Stop order: the start waves reversed (dependents stop before what they depend on). */
export function stopWaves(services: GraphInput, selected: string[] = Object.keys(services)): string[][] {
  return startWaves(services, selected).reverse();
}

/** Services that depend on `service`, directly or transitively, within `selected`. */
export function dependentsOf(services: GraphInput, service: string, selected: string[] = Object.keys(services)): string[] {
  const out = new Set<string>();
  const queue = [service];
  while (queue.length) {
    const cur = queue.shift()!;
    for (const s of selected) {
      if (!out.has(s) && s !== service && cur in (services[s]?.depends_on ?? {})) {
        out.add(s);
        queue.push(s);
      }
    }
  }
  return [...out];
}
