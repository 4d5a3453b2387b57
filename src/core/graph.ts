/**
 * The dependency graph of a stack: validation (unknown dependencies, cycles, tier inversions),
 * the start / stop order, and what a choice of services needs running with it. Edges come from
 * `depends_on` and from tiers: every service starts after the services of lower tiers (storage,
 * then messaging, then server, then worker).
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

/** The node of `name`, if it is one of the graph's own keys (never `constructor`, `__proto__`, …). */
const nodeOf = (services: GraphInput, name: string): GraphNode | undefined => (Object.hasOwn(services, name) ? services[name] : undefined);

export function findUnknownDependencies(services: GraphInput): UnknownDependency[] {
  const out: UnknownDependency[] = [];
  for (const [service, node] of Object.entries(services)) {
    for (const dependency of Object.keys(node.depends_on)) {
      if (!nodeOf(services, dependency)) out.push({ service, dependency });
    }
  }
  return out;
}

/** A service that depends on one of a higher tier contradicts the tier order. */
export function findTierInversions(services: GraphInput): TierInversion[] {
  const out: TierInversion[] = [];
  for (const [service, node] of Object.entries(services)) {
    for (const dependency of Object.keys(node.depends_on)) {
      const dep = nodeOf(services, dependency);
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
  // Depth-first with an explicit stack: a chain of 30 000 dependencies is no deeper than one.
  const stack: { n: string; deps: string[]; i: number }[] = [];
  const enter = (n: string) => {
    color.set(n, GREY);
    stack.push({ n, deps: Object.keys(nodeOf(services, n)?.depends_on ?? {}).sort(), i: 0 });
  };
  for (const root of Object.keys(services).sort()) {
    if ((color.get(root) ?? WHITE) !== WHITE) continue;
    enter(root);
    while (stack.length) {
      const top = stack.at(-1)!;
      if (top.i === top.deps.length) {
        stack.pop();
        color.set(top.n, BLACK);
        continue;
      }
      const d = top.deps[top.i++]!;
      if (!nodeOf(services, d)) continue;
      const c = color.get(d) ?? WHITE;
      if (c === GREY) {
        const path = stack.map((f) => f.n);
        return [...path.slice(path.indexOf(d)), d];
      }
      if (c === WHITE) enter(d);
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
      for (const dependency of Object.keys(nodeOf(services, at)?.depends_on ?? {})) {
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
  const node = nodeOf(services, service);
  if (!node) return { depends: {}, after: [] as string[] };
  const chosen = new Set(selected);
  const depends = Object.fromEntries(Object.entries(node.depends_on).filter(([d]) => chosen.has(d)));
  const after = selected.filter((s) => {
    const other = nodeOf(services, s);
    return s !== service && !Object.hasOwn(depends, s) && other !== undefined && tierRank(other.tier) < tierRank(node.tier);
  });
  return { depends, after };
}

/**
 * Start order as waves: every service of a wave can start once the waves before it are up,
 * and the services of one wave start concurrently. Assumes a validated, acyclic graph.
 */
export function startWaves(services: GraphInput, selected: string[] = Object.keys(services)): string[][] {
  const chosen = new Set(selected);
  // The level of a service is one more than each dependency's and than every selected service
  // of a lower tier (startPrerequisites). The second part goes through one barrier per tier, so
  // the work is linear: barrier t is one more than every selected service of tier t - 1, and at
  // least barrier t - 1.
  const byTier = TIERS.map((): string[] => []);
  for (const s of chosen) {
    const node = nodeOf(services, s);
    if (node) byTier[tierRank(node.tier)]!.push(s);
  }
  const barrier = (t: number) => `\0tier ${t}`; // never a service name
  const prerequisites = (n: string): [string, number][] => {
    if (n.startsWith('\0')) {
      const t = Number(n.slice('\0tier '.length));
      return t === 0 ? [] : [...byTier[t - 1]!.map((s): [string, number] => [s, 1]), [barrier(t - 1), 0]];
    }
    const node = nodeOf(services, n);
    if (!node) return [];
    const deps = Object.keys(node.depends_on).filter((d) => chosen.has(d)).map((d): [string, number] => [d, 1]);
    return [...deps, [barrier(tierRank(node.tier)), 0]];
  };
  const level = new Map<string, number>();
  const visiting = new Set<string>();
  // Depth-first with an explicit stack, so that a long chain of dependencies cannot overflow it.
  const levelOf = (start: string): number => {
    const stack = [{ n: start, pre: prerequisites(start), i: 0, l: 0 }];
    visiting.add(start);
    while (stack.length) {
      const top = stack.at(-1)!;
      if (top.i === top.pre.length) {
        stack.pop();
        visiting.delete(top.n);
        level.set(top.n, top.l);
        continue;
      }
      const [p, step] = top.pre[top.i]!;
      const known = level.get(p);
      if (known !== undefined) {
        top.l = Math.max(top.l, known + step);
        top.i++;
        continue;
      }
      if (visiting.has(p)) throw new Error(`dependency cycle through ${p.startsWith('\0') ? top.n : p}`);
      visiting.add(p);
      stack.push({ n: p, pre: prerequisites(p), i: 0, l: 0 });
    }
    return level.get(start)!;
  };
  const waves: string[][] = [];
  for (const s of selected) {
    const l = level.get(s) ?? levelOf(s);
    (waves[l] ??= []).push(s);
  }
  return waves.filter(Boolean).map((w) => w.sort());
}

/**
 * The services `names` need running: themselves and their dependencies, transitively, in start
 * order. Names that are not services of the graph are left out.
 */
export function withDependencies(services: GraphInput, names: string[]): string[] {
  const out = new Set<string>();
  const visit = (n: string) => {
    const node = nodeOf(services, n);
    if (out.has(n) || !node) return;
    out.add(n);
    for (const d of Object.keys(node.depends_on)) visit(d);
  };
  names.forEach(visit);
  return startWaves(services, [...out]).flat();
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
      if (!out.has(s) && s !== service && Object.hasOwn(nodeOf(services, s)?.depends_on ?? {}, cur)) {
        out.add(s);
        queue.push(s);
      }
    }
  }
  return [...out];
}
