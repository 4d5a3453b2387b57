import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isAlive } from '../../src/core/os/process-info';
import { fixture, freePort, NODE, tempStack, until, type TempStack } from '../helpers/stack';

/**
 * An engine killed with kill -9 leaves its services running: the next engine finds them through
 * the records under .opsdeck/run/services/ and stops them before it starts anything (the built
 * CLI, real processes; Linux: processes are found by their environment in /proc).
 */
const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');

function cli(cwd: string, ...args: string[]) {
  const r = spawnSync(NODE, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 90_000, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The pids of the processes of this stack's `service`: those started with its OPSDECK_SERVICE and OPSDECK_STACK_DIR. */
function processesOf(dir: string, service: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let env: string[];
    try {
      env = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
    } catch {
      continue; // gone, or not ours to read
    }
    if (env.includes(`OPSDECK_STACK_DIR=${dir}`) && env.includes(`OPSDECK_SERVICE=${service}`) && isAlive(Number(name))) out.push(Number(name));
  }
  return out.sort((a, b) => a - b);
}

describe('engine takeover after kill -9 (built CLI, real processes)', function () {
  this.timeout(180_000);
  let t: TempStack;
  before(() => {
    const r = spawnSync(NODE, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
  afterEach(() => {
    cli(t.dir, 'down');
    // Whatever a failed run left behind: nothing of this stack may outlive the test.
    for (const s of ['web', 'worker']) for (const pid of processesOf(t.dir, s)) process.kill(pid, 'SIGKILL');
    t.cleanup();
  });

  const stack = async () => {
    const port = await freePort();
    return tempStack({
      version: 1,
      name: 'takeover',
      services: {
        // with a port: a second copy could not listen
        web: {
          command: [NODE, fixture('http-service.cjs')],
          env: { PORT: port },
          health: { readiness: { http: { url: `http://127.0.0.1:${port}/health` } } },
          stop_grace: '3s',
        },
        // without a port: a second copy would run unnoticed
        worker: { command: [NODE, '-e', 'setInterval(() => {}, 1000)'], stop_grace: '3s' },
      },
    });
  };

  it('down with no engine stops what the killed one left running (--dry-run only lists it)', async () => {
    t = await stack();
    const up = cli(t.dir, 'up', '--detach');
    assert.equal(up.code, 0, up.stderr);
    const daemon = (JSON.parse(readFileSync(join(t.dir, '.opsdeck/run/engine.lock'), 'utf8')) as { pid: number }).pid;
    const old = [...processesOf(t.dir, 'web'), ...processesOf(t.dir, 'worker')];
    assert.equal(old.length, 2);
    process.kill(daemon, 'SIGKILL');
    await until(() => !isAlive(daemon), 10_000, 'the daemon to die');

    const dry = cli(t.dir, 'down', '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.stdout, 'plan (dry run, nothing changed):\n  1. stop web, worker (together)\n');
    assert.ok(old.every(isAlive), 'a dry run stops nothing');

    const down = cli(t.dir, 'down');
    assert.equal(down.code, 0, down.stderr);
    assert.equal(down.stdout, 'done:\n  1. stop web, worker (together)\n');
    assert.match(down.stderr, new RegExp(`note: stopped 2 services left running by the previous engine \\(pid ${daemon}, no longer running\\)`));
    for (const pid of old) assert.ok(!isAlive(pid), `pid ${pid} is gone`);
    assert.deepEqual([...processesOf(t.dir, 'web'), ...processesOf(t.dir, 'worker')], []);
    assert.deepEqual(readdirSync(join(t.dir, '.opsdeck/run/services')), [], 'no records left');
    assert.ok(!existsSync(join(t.dir, '.opsdeck/run/engine.lock')), 'the dead engine\'s lock is gone too');
    assert.equal(cli(t.dir, 'down').stdout, 'no engine is running for .: nothing to stop\n');
  });

  it('stops the services the killed engine left running before it starts its own: one process per service, down leaves nothing', async () => {
    t = await stack();
    const first = cli(t.dir, 'up', '--detach');
    assert.equal(first.code, 0, first.stderr);
    const records = join(t.dir, '.opsdeck/run/services');
    assert.deepEqual(readdirSync(records).sort(), ['web.json', 'worker.json'], 'one record per running service');
    assert.equal(statSync(join(records, 'web.json')).mode & 0o777, 0o600, 'records are owner-only');
    const daemon = (JSON.parse(readFileSync(join(t.dir, '.opsdeck/run/engine.lock'), 'utf8')) as { pid: number }).pid;
    const old = { web: processesOf(t.dir, 'web'), worker: processesOf(t.dir, 'worker') };
    assert.equal(old.web.length, 1, `web: ${old.web.join(', ')}`);
    assert.equal(old.worker.length, 1, `worker: ${old.worker.join(', ')}`);
    const record = JSON.parse(readFileSync(join(records, 'web.json'), 'utf8')) as { pid: number; pgid: number; startTime: string };
    assert.equal(record.pid, old.web[0]);
    assert.equal(record.pgid, old.web[0], 'a service leads its own process group');
    assert.match(record.startTime, /^\d+$/, 'the start time from /proc/PID/stat');

    process.kill(daemon, 'SIGKILL');
    await until(() => !isAlive(daemon), 10_000, 'the daemon to die');
    assert.ok(isAlive(old.web[0]!) && isAlive(old.worker[0]!), 'the services outlive their engine (what the next engine must handle)');

    const second = cli(t.dir, 'up', '--detach');
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /takeover: 2\/2 ready · health OK/);
    const said = second.stderr + readFileSync(join(t.dir, '.opsdeck/logs/engine.log'), 'utf8');
    assert.match(second.stderr, new RegExp(`stopped 2 services left running by the previous engine \\(pid ${daemon}, no longer running\\): `));
    assert.match(second.stderr, new RegExp(`web pid ${old.web[0]}`));
    assert.match(second.stderr, new RegExp(`worker pid ${old.worker[0]}`));
    assert.match(said, /took over a stale lock/);
    for (const pid of [...old.web, ...old.worker]) assert.ok(!isAlive(pid), `old pid ${pid} stopped`);

    const now = { web: processesOf(t.dir, 'web'), worker: processesOf(t.dir, 'worker') };
    assert.equal(now.web.length, 1, `exactly one web process: ${now.web.join(', ')}`);
    assert.equal(now.worker.length, 1, `exactly one worker process: ${now.worker.join(', ')}`);
    assert.notEqual(now.web[0], old.web[0]);
    const st = cli(t.dir, 'status', '--json');
    assert.equal(st.code, 0, st.stderr);
    const status = JSON.parse(st.stdout) as { services: { name: string; state: string; pid: number; restarts: number }[] };
    for (const s of status.services) {
      assert.equal(s.state, 'ready', `${s.name} is ready`);
      assert.equal(s.restarts, 0, `${s.name} never crashed (no EADDRINUSE)`);
      assert.equal(s.pid, now[s.name as 'web' | 'worker'][0], `${s.name}: the engine supervises the one process there is`);
    }
    const events = cli(t.dir, 'memory', 'search', 'left running', '--json');
    assert.equal(events.code, 0, events.stderr);
    assert.match(events.stdout, /left running by the previous engine/, 'the takeover is an event in memory');

    const daemon2 = (JSON.parse(readFileSync(join(t.dir, '.opsdeck/run/engine.lock'), 'utf8')) as { pid: number }).pid;
    assert.equal(cli(t.dir, 'down').code, 0);
    await until(() => !isAlive(daemon2), 15_000, 'the second daemon to exit');
    for (const pid of [...old.web, ...old.worker, ...now.web, ...now.worker]) assert.ok(!isAlive(pid), `pid ${pid} is gone after down`);
    assert.deepEqual([...processesOf(t.dir, 'web'), ...processesOf(t.dir, 'worker')], [], 'no process of the stack is left');
    assert.deepEqual(existsSync(records) ? readdirSync(records) : [], [], 'the records of stopped services are removed');
  });
});
