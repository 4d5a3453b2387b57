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
      { service: 'api', dependency: 'cache', via: [] },
      { service: 'queue', dependency: 'db', via: [] },
    ]);
  });

  it('follows a selection\'s missing dependencies transitively, naming each once', () => {
    const chain = g({ db: ['storage', []], storage: ['storage', ['db']], api: ['server', ['storage']], web: ['server', ['storage', 'db']] });
    assert.deepEqual(missingDependencies(chain, ['api']), [
      { service: 'api', dependency: 'storage', via: [] },
      { service: 'api', dependency: 'db', via: ['storage'] },
    ]);
    // The shortest chain wins: web needs db directly, api only through storage.
    assert.deepEqual(missingDependencies(chain, ['api', 'web']), [
      { service: 'api', dependency: 'storage', via: [] },
      { service: 'web', dependency: 'db', via: [] },
    ]);
    // A selected service answers for its own dependencies.
    assert.deepEqual(missingDependencies(chain, ['api', 'storage']), [{ service: 'storage', dependency: 'db', via: [] }]);
    assert.deepEqual(missingDependencies(chain, ['api', 'storage', 'db']), []);
    // Diamonds and cycles are walked once; unknown dependencies are named but not followed.
    assert.deepEqual(missingDependencies(diamond, ['worker']).map((m) => `${m.service}:${[...m.via, m.dependency].join('>')}`), [
      'worker:api',
      'worker:api>queue',
      'worker:api>cache',
      'worker:api>queue>db',
    ]);
    const loop = g({ a: ['server', ['b']], b: ['server', ['a', 'ghost']] });
    assert.deepEqual(missingDependencies(loop, ['a']), [
      { service: 'a', dependency: 'b', via: [] },
      { service: 'a', dependency: 'ghost', via: ['b'] },
    ]);
  });

  it('finds transitive dependents', () => {
    assert.deepEqual(dependentsOf(diamond, 'db').sort(), ['api', 'queue', 'worker']);
    assert.deepEqual(dependentsOf(diamond, 'worker'), []);
  });
});
