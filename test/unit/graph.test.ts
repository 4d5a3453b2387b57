import assert from 'node:assert/strict';
import type { DependencyCondition, Tier } from '../../src/core/config/schema';
import { dependentsOf, findCycle, findTierInversions, findUnknownDependencies, formatCycle, missingDependencies, startWaves, stopWaves, type GraphInput } from '../../src/core/graph';

const g = (spec: Record<string, [Tier, string[] | Record<string, DependencyCondition>]>): GraphInput =>
  Object.fromEntries(
    Object.entries(spec).map(([n, [tier, deps]]) => [
      n,
      { tier, depends_on: Array.isArray(deps) ? Object.fromEntries(deps.map((d) => [d, 'healthy' as const])) : deps },
    ]),
  );

describe('dependency graph', () => {
  const diamond = g({
    db: ['storage', []],
    cache: ['storage', []],
    queue: ['messaging', ['db']],
    api: ['server', ['queue', 'cache']],
    worker: ['worker', ['api']],
  });

  it('orders a diamond across tiers in waves', () => {
    assert.deepEqual(startWaves(diamond), [['cache', 'db'], ['queue'], ['api'], ['worker']]);
    assert.deepEqual(stopWaves(diamond), [['worker'], ['api'], ['queue'], ['cache', 'db']]);
  });

  it('puts lower tiers first even without depends_on', () => {
    const s = g({ web: ['server', []], bus: ['messaging', []], store: ['storage', []], job: ['worker', []], web2: ['server', []] });
    assert.deepEqual(startWaves(s), [['store'], ['bus'], ['web', 'web2'], ['job']]);
  });

  it('orders only the selected services (a profile)', () => {
    assert.deepEqual(startWaves(diamond, ['db', 'queue']), [['db'], ['queue']]);
  });

  it('spells out a cycle', () => {
    const c = g({ api: ['server', ['storage']], storage: ['server', ['api']] });
    assert.equal(formatCycle(findCycle(c)!), 'api → storage → api');
    const long = g({ a: ['server', ['b']], b: ['server', ['c']], c: ['server', ['a']], d: ['server', []] });
    assert.equal(formatCycle(findCycle(long)!), 'a → b → c → a');
    assert.deepEqual(findCycle(g({ self: ['server', ['self']] })), ['self', 'self']);
    assert.equal(findCycle(diamond), null);
  });

  it('names unknown dependencies, tier inversions and dependencies a selection leaves out', () => {
    const s = g({ api: ['server', ['stroage']], store: ['storage', ['api']] });
    assert.deepEqual(findUnknownDependencies(s), [{ service: 'api', dependency: 'stroage' }]);
    assert.deepEqual(findTierInversions(s), [{ service: 'store', tier: 'storage', dependency: 'api', dependencyTier: 'server' }]);
    assert.deepEqual(missingDependencies(diamond, ['api', 'queue']), [
      { service: 'api', dependency: 'cache' },
      { service: 'queue', dependency: 'db' },
    ]);
  });

  it('finds transitive dependents', () => {
    assert.deepEqual(dependentsOf(diamond, 'db').sort(), ['api', 'queue', 'worker']);
    assert.deepEqual(dependentsOf(diamond, 'worker'), []);
  });
});
