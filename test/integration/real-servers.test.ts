import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../src/core/engine';
import { copyExample, processesInside, requireServerPackages, serviceProcesses, survivors, type ExampleCopy } from '../helpers/servers';
import { nextEvent, record } from '../helpers/stack';
import type { EngineEvent, EventOf } from '../../src/core/contract/events';

const at = (events: EngineEvent[], what: string, pred: (e: EngineEvent) => boolean): number => {
  const i = events.findIndex(pred);
  assert.ok(i >= 0, `no event: ${what}`);
  return i;
};
const spawnOf = (service: string) => (e: EngineEvent) => e.type === 'spawn' && e.service === service;
const readyOf = (service: string) => (e: EngineEvent) => e.type === 'state' && e.service === service && e.to === 'ready';

/**
 * examples/real-servers: PostgreSQL, Redis and nginx from Debian's packages, supervised for
 * real, from a copy in a temp folder. Never skipped: without the packages the test fails and
 * says that .ci/run installs them.
 *
 * The copy's folder is made 0755 (mkdtemp makes it 0700): as root, PostgreSQL runs as the
 * `postgres` user and nginx's workers as `nobody`, and both must reach the files inside it, as
 * they would in a developer's home folder or a checkout.
 */
describe('examples/real-servers: PostgreSQL, Redis and nginx under the engine (real servers)', function () {
  this.timeout(30_000);
  let copy: ExampleCopy | undefined;
  let engine: Engine | undefined;
  let events: EngineEvent[] = [];
  const seen = new Map<number, string>();
  const remember = async () => {
    for (const [pid, name] of await serviceProcesses(engine!)) seen.set(pid, name);
  };

  before(async () => {
    requireServerPackages();
    copy = await copyExample('real-servers', { ports: [55432, 56379, 58080], mode: 0o755 });
    engine = new Engine(copy.stack);
    events = record(engine.bus);
  });

  after(async () => {
    try {
      if (engine) {
        await remember();
        await engine.dispose();
        assert.deepEqual(await survivors(seen, 10_000), [], 'server processes left running after dispose');
        assert.deepEqual(processesInside(copy!.dir), [], 'processes left working in the stack folder');
      }
    } finally {
      copy?.cleanup();
    }
  });

  it('initialises data/pg once (pg-init completes), then starts postgres and redis, then nginx', async () => {
    const sup = engine!.supervisor;
    sup.up();
    const settled = await sup.waitSettled(25_000);
    const states = Object.fromEntries(settled.map((s) => [s.name, `${s.state}${s.completed ? ' (completed)' : ''}`]));
    assert.deepEqual(
      states,
      { 'pg-init': 'stopped (completed)', postgres: 'ready', redis: 'ready', nginx: 'ready' },
      JSON.stringify(settled.map((s) => [s.name, s.state, s.reason])),
    );
    await remember();

    const initExit = at(events, 'pg-init exit 0', (e) => e.type === 'exit' && e.service === 'pg-init' && e.code === 0);
    assert.ok(initExit < at(events, 'postgres spawn', spawnOf('postgres')), 'pg-init completed before postgres was spawned');
    const nginxSpawn = at(events, 'nginx spawn', spawnOf('nginx'));
    assert.ok(at(events, 'postgres ready', readyOf('postgres')) < nginxSpawn, 'postgres ready before nginx was spawned');
    assert.ok(at(events, 'redis ready', readyOf('redis')) < nginxSpawn, 'redis ready before nginx was spawned');

    // Everything lives in the stack folder.
    assert.ok(existsSync(join(copy!.dir, 'data', 'pg', 'PG_VERSION')), 'the cluster is in data/pg');
    assert.ok(existsSync(join(copy!.dir, 'data', 'redis')), 'redis works in data/redis');
    assert.ok(existsSync(join(copy!.dir, 'nginx', 'run', 'nginx.pid')), 'nginx writes its pid in nginx/run');
    assert.ok(existsSync(join(copy!.dir, 'nginx', 'logs', 'error.log')), 'nginx logs in nginx/logs');
    // The wrappers exec all the way down: the supervised process is the server itself.
    const comm = (name: string) => readFileSync(`/proc/${sup.service(name).pid}/comm`, 'utf8').trim();
    assert.equal(comm('postgres'), 'postgres');
    assert.equal(comm('redis'), 'redis-server');
    assert.equal(comm('nginx'), 'nginx');
  });

  it('passes every full-functionality check (checkAll is OK)', async () => {
    const health = await engine!.checkAll();
    assert.equal(health.level, 'OK', JSON.stringify(health));
    assert.equal(health.summary, '4/4 OK');
    const out = Object.fromEntries(engine!.supervisor.snapshot().map((s) => [s.name, s.lastCheck?.output ?? '']));
    assert.match(out.postgres!, /^postgres ok: inserted check-\S+ into opsdeck_check, selected it back/);
    assert.match(out.redis!, /^redis ok: SET opsdeck:check:\S+, read it back with GET/);
    assert.match(out.nginx!, /^nginx ok: GET \/ served nginx\/html\/index.html \(\d+ bytes\) and \/health answered ok/);
  });

  it('kill -9 of the postmaster: postgres restarts (cause crash), nginx degraded (upstream: postgres), all ready again, checks OK', async () => {
    const sup = engine!.supervisor;
    const postmaster = sup.service('postgres').pid!;
    const nginxPid = sup.service('nginx').pid!;
    await remember(); // the backends too: orphaned by the kill, they must still go away
    const restart = nextEvent(engine!.bus, 'restart', (e) => e.service === 'postgres');
    const restarting = nextEvent(engine!.bus, 'state', (e) => e.service === 'postgres' && e.to === 'backoff');
    const degraded = nextEvent(engine!.bus, 'state', (e) => e.service === 'nginx' && e.to === 'degraded');
    const from = events.length;
    process.kill(postmaster, 'SIGKILL');

    const r = await restart;
    assert.equal(r.cause, 'crash');
    assert.equal(r.detail, 'killed by SIGKILL');
    assert.match((await restarting).reason, /^killed by SIGKILL; restart 1 in /);
    assert.equal((await degraded).reason, 'upstream: postgres');

    await sup.waitFor('postgres', 'ready', 20_000);
    await sup.waitFor('nginx', 'ready', 10_000);
    assert.equal(sup.service('redis').state, 'ready');
    assert.notEqual(sup.service('postgres').pid, postmaster);
    const after = events.slice(from);
    // nginx kept running (degraded, not restarted); pg-init did not run again.
    assert.equal(sup.service('nginx').pid, nginxPid);
    const spawned = after.filter((e) => e.type === 'spawn').map((e) => e.service);
    assert.ok(spawned.length >= 1 && spawned.every((s) => s === 'postgres'), `spawned after the kill: ${spawned.join(', ')}`);
    const nginxStates = after.filter((e): e is EventOf<'state'> => e.type === 'state' && e.service === 'nginx').map((e) => e.to);
    assert.deepEqual(nginxStates.slice(0, 1), ['degraded']);
    assert.equal(nginxStates.at(-1), 'ready');

    const health = await engine!.checkAll();
    assert.equal(health.level, 'OK', JSON.stringify(health));
    await remember();
  });
});
