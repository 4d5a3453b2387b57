import assert from 'node:assert/strict';
import { MAX_TIMER_MS, setLongTimeout, systemClock, timerDelay } from '../../src/core/clock';

/** Node fires a timer of more than 2^31 - 1 ms after 1 ms: the engine's timers must not. */

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('long timers', () => {
  it('systemClock.setTimeout with a delay over 2^31 ms does not fire early', async () => {
    let fired = 0;
    const t = systemClock.setTimeout(() => fired++, 2 ** 31 + 1000);
    await wait(150);
    t.cancel();
    assert.equal(fired, 0);
  });

  it('setLongTimeout does not fire early for 30 days, and cancels', async () => {
    let fired = 0;
    const t = setLongTimeout(() => fired++, 30 * 86_400_000);
    await wait(150);
    assert.equal(fired, 0);
    t.cancel();
  });

  it('chains timers of the longest allowed delay and fires once, at the end (short chunks here)', async () => {
    const start = Date.now();
    let firedAt = 0;
    let fired = 0;
    setLongTimeout(() => ((firedAt = Date.now()), fired++), 250, 60);
    await wait(120);
    assert.equal(fired, 0, 'fired after the first chunk');
    await wait(600);
    assert.equal(fired, 1);
    assert.ok(firedAt - start >= 245, `fired after ${firedAt - start} ms`);
  });

  it('a chained timer cancelled between chunks never fires', async () => {
    let fired = 0;
    const t = setLongTimeout(() => fired++, 200, 50);
    await wait(120);
    t.cancel();
    await wait(300);
    assert.equal(fired, 0);
  });

  it('timerDelay clamps what cannot be chained (socket timeouts, execa) to the largest safe delay', () => {
    assert.equal(MAX_TIMER_MS, 2 ** 31 - 1);
    assert.equal(timerDelay(30 * 86_400_000), MAX_TIMER_MS);
    assert.equal(timerDelay(-5), 0);
    assert.equal(timerDelay(1500), 1500);
  });
});
