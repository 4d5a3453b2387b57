import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineHost } from '../../src/core/host/engine-host';
import { stopLeftovers, type StopPolicy } from '../../src/core/supervisor/leftovers';
import { isAlive, processStartTime } from '../../src/core/os/process-info';
import { recordsDir, writeRecord, type ServiceRecord } from '../../src/core/supervisor/service-records';
import { NODE, tempStack, until, type TempStack } from '../helpers/stack';

/** Finding and stopping what a dead engine left running, from its records (real processes). */
describe('leftovers of a dead engine (real processes)', function () {
  this.timeout(30_000);
  let t: TempStack;
  const started: number[] = [];
  afterEach(() => {
    for (const pid of started.splice(0)) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    t?.cleanup();
  });

  const policy: StopPolicy = { stopOf: () => ({ signal: 'SIGTERM', graceMs: 300 }), waves: (s) => [s] };
  /** The pid of a process that has exited: an engine that is no longer running. */
  const deadPid = () => Number(spawnSync(NODE, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
  /** A process in its own group and session, as the engine spawns services. */
  const detached = (script: string) => {
    const child = spawn(NODE, ['-e', script], { detached: true, stdio: 'ignore' });
    child.unref();
    started.push(child.pid!);
    return child.pid!;
  };
  const record = (service: string, pid: number, engine: ServiceRecord['engine'], startTime = processStartTime(pid)!): ServiceRecord => ({
    service, pid, pgid: pid, startTime, startedAt: Date.now(), engine,
  });

  it('stops the group of a service whose engine died, also what ignores SIGTERM after its leader exited (SIGKILL)', async () => {
    t = tempStack({ version: 1, name: 'left', services: { web: { command: ['true'] } } });
    // The leader starts a child that ignores SIGTERM in its group, then exits: the group outlives its leader.
    const leader = detached(`
      const c = require('node:child_process').spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      require('node:fs').writeFileSync(${JSON.stringify(join(t.dir, 'child.pid'))}, String(c.pid));
      setTimeout(() => process.exit(0), 300);`);
    await until(() => existsSync(join(t.dir, 'child.pid')), 10_000, 'the child');
    const child = Number(readFileSync(join(t.dir, 'child.pid'), 'utf8'));
    writeRecord(t.dir, record('web', leader, { pid: deadPid(), startTime: '1' }));
    await until(() => !isAlive(leader), 10_000, 'the leader to exit');
    assert.ok(isAlive(child), 'the group member outlived its leader');

    const stopped = await stopLeftovers(t.dir, policy);
    assert.deepEqual(stopped.map((l) => [l.service, l.pid, l.outcome]), [['web', leader, 'killed']]);
    assert.deepEqual(stopped[0]!.processes, [child]);
    assert.ok(!isAlive(child), 'the member is gone');
    assert.deepEqual(readdirSync(recordsDir(t.dir)), [], 'its record is removed');
  });

  it('leaves alone a pid reused by another process, and the services of an engine that still runs; removes unreadable records', async () => {
    t = tempStack({ version: 1, name: 'left', services: { a: { command: ['true'] }, b: { command: ['true'] } } });
    const other = detached('setInterval(() => {}, 1000)');
    const liveEngine = detached('setInterval(() => {}, 1000)');
    const service = detached('setInterval(() => {}, 1000)');
    await until(() => processStartTime(other) !== undefined && processStartTime(service) !== undefined, 5000, 'the processes');
    // a: the recorded pid now belongs to another process (another start time)
    writeRecord(t.dir, record('a', other, { pid: deadPid(), startTime: '1' }, '12345'));
    // b: its engine is alive
    writeRecord(t.dir, record('b', service, { pid: liveEngine, startTime: processStartTime(liveEngine) }));
    writeFileSync(join(recordsDir(t.dir), 'c.json'), '{ not json');

    assert.deepEqual(await stopLeftovers(t.dir, policy), []);
    assert.ok(isAlive(other), 'a process that only shares the pid is not touched');
    assert.ok(isAlive(service), 'a live engine keeps its service');
    assert.deepEqual(readdirSync(recordsDir(t.dir)).sort(), ['b.json'], 'the stale record and the unreadable one are removed; the live engine keeps its own');
  });

  it('EngineHost (the daemon, `up` and the extension share it) stops the leftovers before it starts anything and says which', async () => {
    t = tempStack({ version: 1, name: 'left', services: { worker: { command: [NODE, '-e', 'setInterval(() => {}, 1000)'], stop_grace: '2s' } } });
    const old = detached('setInterval(() => {}, 1000)');
    await until(() => processStartTime(old) !== undefined, 5000, 'the process');
    const engine = deadPid();
    writeRecord(t.dir, record('worker', old, { pid: engine, startTime: '1' }));
    const host = await EngineHost.start(t.dir, { owner: 'extension', version: 'test' });
    try {
      assert.ok(!isAlive(old), 'stopped before start() returned');
      assert.deepEqual(host.leftovers.map((l) => [l.service, l.pid, l.enginePid, l.outcome]), [['worker', old, engine, 'stopped']]);
      assert.equal(host.leftoverNote, `stopped 1 service left running by the previous engine (pid ${engine}, no longer running): worker pid ${old}`);
      assert.deepEqual(host.engine.supervisor.activeServices, [], 'nothing was started');
      const { hits } = await host.engine.searchMemory({ text: 'previous engine' });
      assert.match(hits.map((h) => h.text).join('\n'), new RegExp(`stopped pid ${old}, left running by the previous engine \\(pid ${engine}`));
    } finally {
      await host.stop();
    }
  });
});
