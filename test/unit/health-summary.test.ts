import assert from 'node:assert/strict';
import { serviceHealth, stackHealth } from '../../src/core/health/summary';
import type { ServiceState } from '../../src/core/contract/events';
import { exitCodeOf } from '../../src/core/contract/health';
import type { ServiceSnapshot } from '../../src/core/contract/status';

const snap = (name: string, state: ServiceState, extra: Partial<ServiceSnapshot> = {}): ServiceSnapshot => ({
  name, state, reason: `${state} reason`, since: 0, pid: state === 'stopped' ? undefined : 42, restarts: 0, attempt: 0,
  startedAt: 0, completed: false, lastExit: undefined, lastProbe: {}, lastCheck: undefined, rssMb: undefined, ...extra,
});

describe('health summary', () => {
  it('maps each state to OK / WARNING / CRITICAL / UNKNOWN', () => {
    const level = (s: ServiceSnapshot, wanted = true) => serviceHealth(s, wanted).level;
    assert.equal(level(snap('a', 'ready')), 'OK');
    for (const s of ['degraded', 'starting', 'backoff', 'stopping'] as const) assert.equal(level(snap('a', s)), 'WARNING', s);
    assert.equal(level(snap('a', 'failed')), 'CRITICAL');
    assert.equal(level(snap('a', 'stopped')), 'CRITICAL', 'stopped but supposed to run');
    assert.equal(level(snap('a', 'stopped'), false), 'UNKNOWN', 'stopped on purpose');
    assert.equal(level(snap('a', 'stopped', { completed: true })), 'OK', 'a one-shot task that completed');
  });

  it('a failing full-functionality check makes a ready service CRITICAL', () => {
    const h = serviceHealth(snap('db', 'ready', { lastCheck: { ok: false, durationMs: 5, output: 'wrote 1\nread back nothing' } }), true);
    assert.deepEqual([h.level, h.reason], ['CRITICAL', 'full-functionality check failing: read back nothing']);
  });

  it('the stack takes the worst level (OK < WARNING < UNKNOWN < CRITICAL) and sums up', () => {
    const all = (states: ServiceState[]) => stackHealth(states.map((s, i) => snap(`s${i}`, s)), () => true);
    assert.equal(all(['ready', 'ready']).level, 'OK');
    assert.equal(all(['ready', 'ready']).summary, '2/2 OK');
    assert.equal(all(['ready', 'degraded']).level, 'WARNING');
    assert.equal(all(['ready', 'degraded']).summary, '1/2 OK (s1 WARNING)');
    assert.equal(all(['degraded', 'failed', 'ready']).level, 'CRITICAL');
    const unknown = stackHealth([snap('a', 'stopped'), snap('b', 'degraded')], () => false);
    assert.equal(unknown.level, 'UNKNOWN');
    assert.equal(stackHealth([], () => true).level, 'UNKNOWN');
  });

  it('gives the exit codes monitoring tools expect', () => {
    assert.deepEqual((['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const).map(exitCodeOf), [0, 1, 2, 3]);
  });
});
