import assert from 'node:assert/strict';
import { FakeClock } from '../../src/core/clock';
import { ProbeTicker } from '../../src/core/supervisor/probe-ticker';

describe('ProbeTicker: one timer for every probe (injected clock)', () => {
  it('slots due at the same time run from one clock timer, in the order they were set; the next time gets the timer', async () => {
    const clock = new FakeClock();
    const ticker = new ProbeTicker(clock);
    const ran: string[] = [];
    const t0 = clock.now();
    const a = ticker.slot(() => ran.push(`a@${clock.now() - t0}`));
    const b = ticker.slot(() => ran.push(`b@${clock.now() - t0}`));
    const c = ticker.slot(() => ran.push(`c@${clock.now() - t0}`));
    b.set(t0 + 100);
    a.set(t0 + 100);
    c.set(t0 + 250);
    assert.deepEqual(ticker.pending(), [100, 100, 250]);
    assert.deepEqual(clock.pending(), [100], 'one clock timer, for the soonest');
    await clock.advance(100);
    assert.deepEqual(ran, ['b@100', 'a@100']);
    assert.deepEqual(clock.pending(), [150]);
    await clock.advance(200);
    assert.deepEqual(ran, ['b@100', 'a@100', 'c@250']);
    assert.deepEqual([ticker.pending(), clock.pending()], [[], []], 'nothing left, no timer');
  });

  it('a slot set again moves; a cancelled slot does not run; a sooner slot takes the timer', async () => {
    const clock = new FakeClock();
    const ticker = new ProbeTicker(clock);
    const t0 = clock.now();
    let runs = 0;
    const slot = ticker.slot(() => runs++);
    slot.set(t0 + 500);
    slot.set(t0 + 300);
    assert.deepEqual(ticker.pending(), [300]);
    const other = ticker.slot(() => runs++);
    other.set(t0 + 50);
    assert.deepEqual(clock.pending()[0], 50);
    other.cancel();
    slot.cancel();
    await clock.advance(1000);
    assert.equal(runs, 0);
    assert.deepEqual(clock.pending(), []);
  });

  it('a slot set again from its own run at every interval runs at exactly those times; one that fails does not stop the others', async () => {
    const clock = new FakeClock();
    const ticker = new ProbeTicker(clock);
    const t0 = clock.now();
    const at: number[] = [];
    const every = ticker.slot(() => {
      at.push(clock.now() - t0);
      every.set(clock.now() + 5000);
    });
    const broken = ticker.slot(() => {
      throw new Error('boom');
    });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      every.set(t0 + 40);
      broken.set(t0 + 40);
      await clock.advance(20_100);
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(at, [40, 5040, 10_040, 15_040, 20_040]);
    assert.deepEqual(warnings, ['opsdeck probe failed to start: boom']);
  });

  it('a slot still running (set again only when its probe ends) never runs twice at once', async () => {
    const clock = new FakeClock();
    const ticker = new ProbeTicker(clock);
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const ends: (() => void)[] = [];
    // A probe that takes 3 intervals: it ends when the test says so, then sets its next run.
    const slot = ticker.slot(() => {
      runs++;
      maxRunning = Math.max(maxRunning, ++running);
      ends.push(() => {
        running--;
        slot.set(clock.now() + 100);
      });
    });
    slot.set(clock.now());
    for (let round = 0; round < 4; round++) {
      await clock.advance(300);
      assert.deepEqual(ticker.pending(), [], 'nothing set while the probe runs');
      ends.shift()!();
    }
    await clock.advance(100);
    assert.equal(runs, 5);
    assert.equal(maxRunning, 1);
  });
});
