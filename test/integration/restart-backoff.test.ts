import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeClock } from '../../src/core/clock';
import { formatDuration } from '../../src/core/duration';
import { EventBus } from '../../src/core/events';
import { Supervisor } from '../../src/core/supervisor/supervisor';
import { Engine } from '../../src/core/engine';
import { fixture, freePort, nextEvent, NODE, record, tempStack, type TempStack } from '../helpers/stack';
import type { EngineEvent } from '../../src/core/contract/events';

/** The restart policy on an injected clock: the delays are exact, the processes real. */
describe('restart with backoff (real processes, injected clock)', () => {
  let t: TempStack;
  let sup: Supervisor;
  afterEach(async () => {
    await sup?.dispose();
    t?.cleanup();
  });

  const restartsOf = (events: EngineEvent[]) =>
    events.filter((e) => e.type === 'restart').map((e) => (e.type === 'restart' ? [e.attempt, e.delayMs, e.cause] : []));

  it('crash → restarts after 1s, 2s, 4s, then failed after max_retries, with the exact event sequence', async () => {
    t = tempStack({
      version: 1,
      name: 'crashy',
      services: {
        crasher: {
          tier: 'worker',
          command: [NODE, fixture('crasher.cjs')],
          restart: { policy: 'on-failure', backoff: { initial: '1s', factor: 2, max: '4s', jitter: 0 }, max_retries: 3, window: '10m' },
        },
      },
    });
    const clock = new FakeClock();
    const bus = new EventBus();
    const events = record(bus);
    sup = new Supervisor(t.stack, { bus, clock });
    sup.up();
    for (const delay of [1000, 2000, 4000]) {
      const r = await nextEvent(bus, 'restart');
      assert.equal(r.delayMs, delay);
      assert.deepEqual(clock.pending(), [delay], 'exactly one timer: the restart');
      await clock.advance(delay - 1);
      assert.equal(sup.service('crasher').state, 'backoff', 'not restarted a millisecond early');
      await clock.advance(1);
    }
    await sup.waitFor('crasher', 'failed');
    assert.deepEqual(restartsOf(events), [
      [1, 1000, 'crash'],
      [2, 2000, 'crash'],
      [3, 4000, 'crash'],
    ]);
    const kinds = events.filter((e) => e.type !== 'log').map((e) => (e.type === 'state' ? `state:${e.to}` : e.type));
    const once = ['spawn', 'state:starting', 'state:ready', 'exit'];
    assert.deepEqual(kinds, [
      ...once, 'restart', 'state:backoff',
      ...once, 'restart', 'state:backoff',
      ...once, 'restart', 'state:backoff',
      ...once, 'gave-up', 'state:failed',
    ]);
    const failed = sup.service('crasher');
    assert.match(failed.reason, /gave up after 3 restarts within 10m \(last: exit code 1\)/);
    assert.equal(clock.pending().length, 0, 'no restart loop left behind');
  });

  it('applies jitter from the injected random source, within ±jitter', async () => {
    t = tempStack({
      version: 1,
      name: 'jitter',
      services: {
        crasher: { command: [NODE, fixture('crasher.cjs')], restart: { backoff: { initial: '1s', factor: 3, jitter: 0.5 }, max_retries: 2 } },
      },
    });
    const clock = new FakeClock();
    const bus = new EventBus();
    const randoms = [1, 0];
    sup = new Supervisor(t.stack, { bus, clock, random: () => randoms.shift() ?? 0.5 });
    sup.up();
    assert.equal((await nextEvent(bus, 'restart')).delayMs, 1500); // 1000 × (1 + 0.5)
    await clock.advance(1500);
    assert.equal((await nextEvent(bus, 'restart')).delayMs, 1500); // 3000 × (1 − 0.5)
  });

  it('resets the retry counter after reset_after of healthy running', async () => {
    const port = await freePort();
    t = tempStack({
      version: 1,
      name: 'reset',
      services: {
        web: {
          command: [NODE, fixture('http-service.cjs')],
          env: { PORT: port },
          restart: { backoff: { initial: '1s', factor: 2, jitter: 0, reset_after: '1m' }, max_retries: 10 },
        },
      },
    });
    const clock = new FakeClock();
    const bus = new EventBus();
    const events = record(bus);
    sup = new Supervisor(t.stack, { bus, clock });
    sup.up();
    const killAndExpect = async (delay: number) => {
      const pid = (await sup.waitFor('web', 'ready')).pid!;
      const restart = nextEvent(bus, 'restart');
      process.kill(pid, 'SIGKILL');
      assert.equal((await restart).delayMs, delay);
      await clock.advance(delay);
    };
    await killAndExpect(1000);
    await killAndExpect(2000);
    await sup.waitFor('web', 'ready');
    await clock.advance(59_999);
    assert.equal(events.filter((e) => e.type === 'retry-reset').length, 0);
    await clock.advance(1);
    assert.equal(events.filter((e) => e.type === 'retry-reset').length, 1);
    await killAndExpect(1000);
    assert.equal(sup.service('web').restarts, 3);
  });

  it('by default (no initial written): the first restart at once, repeated crashes back off from 500ms, at once again after reset_after', async () => {
    const port = await freePort();
    t = tempStack({
      version: 1,
      name: 'defaults',
      services: { web: { command: [NODE, fixture('http-service.cjs')], env: { PORT: port }, restart: { backoff: { jitter: 0 } } } },
    });
    const clock = new FakeClock();
    const bus = new EventBus();
    const events = record(bus);
    sup = new Supervisor(t.stack, { bus, clock });
    sup.up();
    const killAndExpect = async (attempt: number, delay: number) => {
      const pid = (await sup.waitFor('web', 'ready')).pid!;
      const restart = nextEvent(bus, 'restart');
      process.kill(pid, 'SIGKILL');
      const seen = events.length;
      const r = await restart;
      assert.deepEqual([r.attempt, r.delayMs, r.cause], [attempt, delay, 'crash']);
      const backoffReason = new RegExp(`^killed by SIGKILL; restart ${attempt} in ${formatDuration(delay)}$`);
      if (delay > 0) {
        assert.equal(sup.service('web').state, 'backoff');
        assert.match(sup.service('web').reason, backoffReason);
        assert.ok(clock.pending().includes(delay), 'the restart timer waits exactly the delay');
        await clock.advance(delay - 1);
        assert.equal(sup.service('web').state, 'backoff', 'not restarted a millisecond early');
        await clock.advance(1);
      } else {
        // at once: no timer; the backoff state is announced, then the spawn, in the same turn
        assert.ok(!clock.pending().includes(0), 'no timer for a restart at once');
        const states = events.slice(seen).flatMap((e) => (e.type === 'state' && e.service === 'web' ? [e] : []));
        assert.deepEqual(states.slice(0, 2).map((e) => e.to), ['backoff', 'starting']);
        assert.match(states[0]!.reason, backoffReason);
        assert.equal(states[1]!.reason, `restart ${attempt} after crash`);
        assert.ok(sup.service('web').pid !== undefined && sup.service('web').pid !== pid, 'the new process is there when the restart event is seen');
      }
      assert.notEqual((await sup.waitFor('web', 'ready')).pid, pid);
    };
    await killAndExpect(1, 0);
    await killAndExpect(2, 500);
    await killAndExpect(3, 1000);
    await clock.advance(60_000); // the default reset_after
    assert.equal(events.filter((e) => e.type === 'retry-reset').length, 1);
    await killAndExpect(1, 0);
    assert.equal(sup.service('web').restarts, 4);
  });

  it('policy never: a crash is final; exit 0 is completion, not failure', async () => {
    t = tempStack({
      version: 1,
      name: 'never',
      services: {
        crasher: { command: [NODE, fixture('crasher.cjs')], restart: { policy: 'never' } },
        oneshot: { command: [NODE, fixture('oneshot.cjs')], env: { DELAY_MS: 0 } },
      },
    });
    const clock = new FakeClock();
    sup = new Supervisor(t.stack, { clock });
    sup.up();
    const crashed = await sup.waitFor('crasher', 'failed');
    assert.match(crashed.reason, /exit code 1; restart policy is never/);
    await sup.waitFor('oneshot', 'stopped');
    assert.equal(sup.service('oneshot').completed, true);
    assert.equal(sup.service('oneshot').reason, 'completed (exit code 0)');
  });

  it('a command that cannot start is retried, then failed, naming the error', async () => {
    t = tempStack({
      version: 1,
      name: 'nostart',
      services: { ghost: { command: ['/nonexistent/program'], restart: { backoff: { initial: '10ms', jitter: 0 }, max_retries: 1 } } },
    });
    const clock = new FakeClock();
    const bus = new EventBus();
    sup = new Supervisor(t.stack, { bus, clock });
    sup.up();
    const r = await nextEvent(bus, 'restart');
    assert.equal(r.cause, 'spawn failed');
    assert.match(r.detail, /could not start: .*ENOENT/);
    await clock.advance(10);
    const failed = await sup.waitFor('ghost', 'failed');
    assert.match(failed.reason, /gave up after 1 restart within 10m \(last: could not start/);
  });

  it('a failed service started on request runs again, its restarts forgotten, and the plan says so (not "nothing to do")', async () => {
    t = tempStack({
      version: 1,
      name: 'revive',
      services: { flaky: { command: ['sh', '-c', 'test -f ok || exit 3; exec sleep 1000'], restart: { backoff: { initial: '0s', jitter: 0 }, max_retries: 1 } } },
    });
    const engine = new Engine(t.stack);
    try {
      engine.up();
      await engine.supervisor.waitFor('flaky', 'failed');
      writeFileSync(join(t.dir, 'ok'), '');
      assert.deepEqual(engine.up(['flaky'], { dryRun: true }).plan.map((p) => `${p.action} ${p.service}`), ['start flaky']);
      assert.equal(engine.status().services[0]!.state, 'failed', 'a dry run starts nothing');
      assert.deepEqual(engine.up(['flaky']).plan.map((p) => `${p.action} ${p.service}`), ['start flaky']);
      const ready = await engine.supervisor.waitFor('flaky', 'ready');
      assert.equal(ready.restarts, 0);
      assert.ok(ready.pid! > 0);
    } finally {
      await engine.dispose();
    }
  });
});
