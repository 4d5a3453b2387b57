import assert from 'node:assert/strict';
import { FakeClock } from '../../src/core/clock';
import { formatDuration, parseDuration } from '../../src/core/duration';
import { configSchemas } from '../../src/core/config/schema';
import { backoffDelay, REPEAT_INITIAL_MS, RestartWindow } from '../../src/core/supervisor/backoff';

describe('backoff and durations', () => {
  const cfg = { initial: 500, factor: 2, max: 30_000, jitter: 0, reset_after: 60_000 };

  it('grows exponentially and caps at max', () => {
    assert.deepEqual([1, 2, 3, 4, 7, 8, 20].map((a) => backoffDelay(cfg, a)), [500, 1000, 2000, 4000, 30_000, 30_000, 30_000]);
  });

  it('spreads by ±jitter with the injected random source', () => {
    const j = { ...cfg, jitter: 0.1 };
    assert.equal(backoffDelay(j, 1, () => 0), 450);
    assert.equal(backoffDelay(j, 1, () => 0.5), 500);
    assert.equal(backoffDelay(j, 1, () => 1), 550);
    assert.equal(backoffDelay({ ...cfg, initial: 0 }, 5, () => 1), 0);
  });

  describe('the defaults (no initial written)', () => {
    const defaults = configSchemas().serviceSchema.parse({ command: ['api'] }).restart.backoff;
    const still = { ...defaults, jitter: 0 };

    it('restart at once after the first crash: attempt 1 waits 0, whatever the jitter', () => {
      assert.equal(defaults.initial, undefined);
      assert.equal(backoffDelay(still, 1), 0);
      for (const r of [0, 0.5, 1]) assert.equal(backoffDelay(defaults, 1, () => r), 0);
    });

    it('back off only on repeated crashes: 500ms, then doubling, capped at max', () => {
      assert.equal(REPEAT_INITIAL_MS, 500);
      assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 20].map((a) => backoffDelay(still, a)), [0, 500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
      assert.deepEqual([1, 2, 3].map((a) => backoffDelay({ ...still, factor: 3 }, a)), [0, 500, 1500]);
      assert.equal(backoffDelay(defaults, 2, () => 1), 550, 'jitter spreads the repeated ones');
      assert.equal(backoffDelay(defaults, 3, () => 0), 900);
    });

    it('after a reset (attempt back to 1) the next restart is at once again', () => {
      const sequence = (attempts: number[]) => attempts.map((a) => backoffDelay(still, a));
      assert.deepEqual(sequence([1, 2, 3, /* healthy for reset_after */ 1, 2]), [0, 500, 1000, 0, 500]);
    });
  });

  it('an initial that is written applies from the first restart on (and 0s means every restart at once)', () => {
    assert.deepEqual([1, 2, 3].map((a) => backoffDelay({ ...cfg, initial: 100 }, a)), [100, 200, 400]);
    assert.deepEqual([1, 2, 9].map((a) => backoffDelay({ ...cfg, initial: 0 }, a)), [0, 0, 0]);
  });

  it('counts restarts inside a sliding window', () => {
    const w = new RestartWindow(10_000);
    w.record(0);
    w.record(4000);
    assert.equal(w.count(9999), 2);
    assert.equal(w.count(10_000), 1);
    assert.equal(w.count(14_000), 0);
  });

  it('parses and formats durations', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('2s'), 2000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('10m'), 600_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    for (const bad of ['', '5', '5 sec', 's', '-1s', '1x']) assert.equal(parseDuration(bad), undefined, bad);
    assert.equal(formatDuration(1500), '1.5s');
    assert.equal(formatDuration(600_000), '10m');
    assert.equal(formatDuration(250), '250ms');
  });

  it('FakeClock fires timers in time order and only when due', async () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 200);
    clock.setTimeout(() => fired.push('a'), 100);
    const c = clock.setTimeout(() => fired.push('never'), 150);
    c.cancel();
    await clock.advance(199);
    assert.deepEqual(fired, ['a']);
    await clock.advance(1);
    assert.deepEqual(fired, ['a', 'b']);
    assert.equal(clock.now(), 200);
  });
});
