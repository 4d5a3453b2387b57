import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fixture, freePorts, NODE, tempStack, type TempStack } from '../helpers/stack';

/** `opsdeck up [services] --detach` with the built CLI: what it starts, and when it calls the stack settled. */
const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');

function cli(cwd: string, ...args: string[]) {
  const r = spawnSync(NODE, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 90_000, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface Svc {
  name: string;
  state: string;
  completed: boolean;
  pid?: number;
}
const services = (dir: string) => (JSON.parse(cli(dir, 'status', '--json').stdout) as { services: Svc[] }).services;

describe('up --detach (built CLI, real processes)', function () {
  this.timeout(120_000);
  let t: TempStack;
  before(() => {
    const r = spawnSync(NODE, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
  afterEach(() => {
    cli(t.dir, 'down');
    t.cleanup();
  });

  /** api waits for storage (healthy) and the one-shot init (completed); extra is unrelated. */
  const closureStack = async () => {
    // distinct ports, found together: two found one after the other may be the same one
    const ports = await freePorts(3);
    const http = () => {
      const port = ports.pop()!;
      return { command: [NODE, fixture('http-service.cjs')], env: { PORT: port }, health: { readiness: { http: { url: `http://127.0.0.1:${port}/health` } } }, stop_grace: '2s' };
    };
    return tempStack({
      version: 1,
      name: 'closure',
      services: {
        'pg-init': { tier: 'storage', command: [NODE, fixture('oneshot.cjs')], env: { DELAY_MS: 300 } },
        storage: { tier: 'storage', ...http() },
        extra: { tier: 'server', ...http() },
        api: { tier: 'server', ...http(), depends_on: { storage: 'healthy', 'pg-init': 'completed' } },
      },
    });
  };

  it('up api starts api and what it waits for (a one-shot dependency included), in order, and nothing else', async () => {
    t = await closureStack();
    const dry = cli(t.dir, 'up', 'api', '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.stdout, 'plan (dry run, nothing changed):\n  1. start pg-init, storage (together)\n  2. start api\n');

    const up = cli(t.dir, 'up', 'api', '--detach', '--timeout', '40s');
    assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
    const byName = Object.fromEntries(services(t.dir).map((s) => [s.name, s]));
    assert.equal(byName.api!.state, 'ready');
    assert.equal(byName.storage!.state, 'ready');
    assert.equal(byName['pg-init']!.completed, true, 'the one-shot dependency ran to completion');
    assert.equal(byName.extra!.state, 'stopped', 'a service api does not wait for is not started');
    assert.equal(byName.extra!.pid, undefined);
  });

  it('up with an unknown service name is refused with the closest name as a hint, and starts nothing', async () => {
    t = await closureStack();
    for (const args of [['apu', '--detach'], ['apu', '--dry-run'], ['apu']]) {
      const up = cli(t.dir, 'up', ...args);
      assert.equal(up.code, 1, args.join(' '));
      assert.match(up.stderr, /error: no service named "apu" in stack closure\nhint: did you mean `api`\?/);
      assert.ok(!existsSync(join(t.dir, '.opsdeck/run')), 'no engine was started');
    }
  });

  it('the daemon given an unknown service exits 1 with the error and releases the stack (it does not hold it with nothing started)', async () => {
    t = await closureStack();
    const r = spawnSync(NODE, [join(ROOT, 'dist/daemon.js'), '--stack', t.dir, 'apu'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1, `exit 1, got ${r.status} ${r.signal ?? ''}: ${r.stderr}`);
    assert.match(r.stderr, /error: no service named "apu"/);
    assert.ok(!existsSync(join(t.dir, '.opsdeck/run/engine.lock')), 'the lock is released');
  });

  it('up --detach fails, naming the service, when one without a readiness probe crash-loops after a second', () => {
    t = tempStack({
      version: 1,
      name: 'flaky',
      services: {
        steady: { command: [NODE, '-e', 'setInterval(() => {}, 1000)'] },
        // no readiness probe: `ready` as soon as it is spawned, then it exits 1 after 800 ms
        flaky: {
          command: [NODE, '-e', 'setTimeout(() => process.exit(1), 800)'],
          restart: { backoff: { initial: '100ms', factor: 1, jitter: 0 }, max_retries: 3, window: '1m' },
        },
      },
    });
    const up = cli(t.dir, 'up', '--detach', '--timeout', '60s');
    assert.equal(up.code, 1, `exit code 1, got ${up.code}:\n${up.stdout}\n${up.stderr}`);
    assert.match(up.stderr, /error: not ready: flaky \(failed: gave up after 3 restarts/);
    assert.doesNotMatch(up.stderr, /steady/, 'only the service that failed is named');
    const flaky = services(t.dir).find((s) => s.name === 'flaky')!;
    assert.equal(flaky.state, 'failed');
  });

  it('a stack that stays up settles: exit 0 once it has been stable for the settle window', () => {
    t = tempStack({ version: 1, name: 'calm', services: { steady: { command: [NODE, '-e', 'setInterval(() => {}, 1000)'] } } });
    const started = Date.now();
    const up = cli(t.dir, 'up', '--detach', '--settle', '1s');
    assert.equal(up.code, 0, up.stderr);
    assert.ok(Date.now() - started >= 1000, 'it waited out the settle window');
    assert.match(up.stdout, /calm: 1\/1 ready/);
    assert.ok(existsSync(join(t.dir, '.opsdeck/run/engine.lock')));
  });

  it('a bad --settle is refused with a clear error and starts nothing', () => {
    t = tempStack({ version: 1, name: 'calm', services: { steady: { command: [NODE, '-e', 'setInterval(() => {}, 1000)'] } } });
    const up = cli(t.dir, 'up', '--detach', '--settle', 'soon');
    assert.equal(up.code, 1);
    assert.match(up.stderr, /--settle.*"soon" is not a duration/);
    assert.ok(!existsSync(join(t.dir, '.opsdeck/run')), 'no engine was started');
  });
});
