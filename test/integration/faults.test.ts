import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventBus } from '../../src/core/events';
import { isAlive } from '../../src/core/os/process-info';
import { Supervisor } from '../../src/core/supervisor/supervisor';
import { fixture, httpService, nextEvent, NODE, record, tempStack, until, type TempStack } from '../helpers/stack';

/** Crash, hang and resource exhaustion on real processes, with the real clock. */
describe('faults: hang, memory limit, process trees (real processes)', function () {
  this.timeout(30_000);
  let t: TempStack;
  let sup: Supervisor;
  afterEach(async () => {
    await sup?.dispose();
    t?.cleanup();
  });

  const liveness = { interval: '200ms', timeout: '200ms', failure_threshold: 3, start_period: '0s' };

  /** A service whose liveness probe notices a hang quickly. */
  const hangable = async (env: Record<string, number> = {}, maxRetries = 5) => {
    const web = await httpService({ env, stop_grace: '300ms', restart: { backoff: { initial: '0s', jitter: 0 }, max_retries: maxRetries } });
    web.config.health = { ...web.config.health, liveness: { http: { url: web.url }, ...liveness } };
    return web.config;
  };

  it('a SIGSTOPped service is detected as hung within interval × threshold (+ timeouts) and restarted', async () => {
    t = tempStack({ version: 1, name: 'hang', services: { web: await hangable() } });
    const bus = new EventBus();
    const events = record(bus);
    sup = new Supervisor(t.stack, { bus });
    sup.up();
    const { pid } = await sup.waitFor('web', 'ready');
    const restart = nextEvent(bus, 'restart', (e) => e.cause === 'hang');
    const stoppedAt = Date.now();
    process.kill(pid!, 'SIGSTOP');
    const r = await restart;
    const detectedMs = r.at - stoppedAt;
    // 3 failures, each at most interval + timeout after the previous one, plus the grace of the kill.
    assert.ok(detectedMs <= 3 * (200 + 200) + 300 + 500, `hang detected after ${detectedMs}ms`);
    assert.match(r.detail, /hang: liveness failed 3 times \(timed out after 200ms\)/);
    const again = await sup.waitFor('web', 'ready');
    assert.notEqual(again.pid, pid);
    await until(() => !isAlive(pid!), 2000, 'the hung process to be gone');
    const states = events.filter((e) => e.type === 'state' && e.service === 'web').map((e) => (e.type === 'state' ? e.to : ''));
    const kill = states.lastIndexOf('stopping');
    assert.deepEqual(states.slice(kill - 1, kill + 3), ['degraded', 'stopping', 'backoff', 'starting']);
    assert.equal(states.at(-1), 'ready');
  });

  it('a busy-looping service (alive but not answering) is restarted as hung', async () => {
    t = tempStack({ version: 1, name: 'spin', services: { web: await hangable({ HANG_AFTER_MS: 300 }, 1) } });
    const bus = new EventBus();
    sup = new Supervisor(t.stack, { bus });
    sup.up();
    const r = await nextEvent(bus, 'restart', (e) => e.cause === 'hang');
    assert.equal(r.attempt, 1);
  });

  it('a service whose process tree exceeds memory_mb is restarted with reason "memory limit"', async () => {
    t = tempStack({
      version: 1,
      name: 'leak',
      services: {
        hog: {
          command: [NODE, fixture('leaker.cjs')],
          env: { IN_CHILD: '1', STEP_MB: 25, STEP_MS: 50 },
          limits: { memory_mb: 150, sample_interval: '100ms' },
          stop_grace: '200ms',
          restart: { backoff: { initial: '5s', jitter: 0 } },
        },
      },
    });
    const bus = new EventBus();
    sup = new Supervisor(t.stack, { bus });
    sup.up();
    const limit = await nextEvent(bus, 'limit');
    assert.equal(limit.maxMb, 150);
    assert.ok(limit.valueMb > 150);
    const r = await nextEvent(bus, 'restart');
    assert.equal(r.cause, 'memory limit');
    assert.match(sup.service('hog').reason, /memory limit: RSS \d+ MB > 150 MB; restart 1 in 5s/);
  });

  it('stopping kills children and grandchildren, even those that ignore SIGTERM or left the group', async () => {
    t = tempStack({
      version: 1,
      name: 'tree',
      services: { forker: { command: [NODE, fixture('forker.cjs')], stop_grace: '500ms' } },
    });
    const pidsFile = join(t.dir, 'pids');
    t.stack.config.services.forker!.env.PIDS_FILE = pidsFile;
    sup = new Supervisor(t.stack);
    sup.up();
    await sup.waitFor('forker', 'ready');
    const read = () => readFileSync(pidsFile, 'utf8').trim().split('\n').map(Number);
    await until(() => { try { return read().length === 7; } catch { return false; } }, 5000, 'root, 2 children, 4 grandchildren');
    const pids = read();
    assert.ok(pids.every(isAlive));
    await sup.stop('forker');
    const survivors = pids.filter(isAlive);
    assert.deepEqual(survivors, [], `survivors: ${survivors.join(', ')}`);
    assert.equal(sup.service('forker').state, 'stopped');
  });

  it('a crashing leader takes its leftover group with it (no orphans holding ports)', async () => {
    t = tempStack({
      version: 1,
      name: 'orphans',
      services: { forker: { command: [NODE, fixture('forker.cjs')], restart: { policy: 'never' } } },
    });
    const pidsFile = join(t.dir, 'pids');
    t.stack.config.services.forker!.env.PIDS_FILE = pidsFile;
    sup = new Supervisor(t.stack);
    sup.up();
    await sup.waitFor('forker', 'ready');
    await until(() => { try { return readFileSync(pidsFile, 'utf8').trim().split('\n').length === 7; } catch { return false; } }, 5000, 'all pids');
    const [root, ...rest] = readFileSync(pidsFile, 'utf8').trim().split('\n').map(Number);
    process.kill(root!, 'SIGKILL');
    await sup.waitFor('forker', 'failed');
    // The escapees left the group on purpose (their own session); everything else must be gone.
    await until(() => rest.filter(isAlive).length <= 2, 3000, 'group members to be killed');
    for (const pid of rest) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  });

  it("applies limits.open_files as the child's open-files limit (soft and hard: node raises a soft limit to the hard one)", async () => {
    t = tempStack({
      version: 1,
      name: 'nofile',
      services: { lim: { command: [NODE, fixture('limits.cjs')], limits: { open_files: 321 } } },
    });
    const bus = new EventBus();
    sup = new Supervisor(t.stack, { bus });
    const line = nextEvent(bus, 'log', (e) => e.line.startsWith('nofile'));
    sup.up();
    assert.equal((await line).line, 'nofile soft=321');
  });
});
