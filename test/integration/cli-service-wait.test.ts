/**
 * `opsdeck start|restart SERVICE --wait` through the built CLI on a real engine: it returns once
 * the service has settled, exit 0 when ready and 1 (naming it and why) when it failed; a bad
 * --timeout is refused before anything is asked of the engine.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBundles, cli } from '../helpers/built-cli';
import { tempStack, type TempStack } from '../helpers/stack';

describe('opsdeck start|restart --wait (built CLI, real engine)', function () {
  this.timeout(120_000);
  let t: TempStack;
  before(() => buildBundles());
  beforeEach(() => {
    // Fails until the file `ok` exists, then runs; one restart, then failed.
    t = tempStack({
      version: 1,
      name: 'waits',
      services: { flaky: { command: ['sh', '-c', 'test -f ok || exit 3; exec sleep 1000'], restart: { backoff: { initial: '0s', jitter: 0 }, max_retries: 1 } } },
    });
  });
  afterEach(() => {
    cli(t.dir, 'down');
    t.cleanup();
  });

  it('start --wait brings a failed service back and exits 0 once it is ready; restart --wait exits 1 when it fails again', () => {
    const up = cli(t.dir, 'up', '--detach', '--settle', '500ms');
    assert.equal(up.code, 1, 'the service fails without its file');
    writeFileSync(join(t.dir, 'ok'), '');
    const started = cli(t.dir, 'start', 'flaky', '--wait', '--json');
    assert.equal(started.code, 0, started.stderr);
    const out = JSON.parse(started.stdout) as { ok: boolean; plan: { service: string }[]; status: { services: { name: string; state: string }[] } };
    assert.equal(out.ok, true);
    assert.deepEqual(out.plan.map((p) => p.service), ['flaky']);
    assert.equal(out.status.services.find((s) => s.name === 'flaky')?.state, 'ready');

    rmSync(join(t.dir, 'ok'));
    const again = cli(t.dir, 'restart', 'flaky', '--wait', '--timeout', '20s');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error: not ready: flaky \(failed: gave up after 1 restart/m);
  });

  it('a bad --timeout is refused and nothing is restarted', () => {
    writeFileSync(join(t.dir, 'ok'), '');
    assert.equal(cli(t.dir, 'up', '--detach', '--settle', '500ms').code, 0);
    const before = JSON.parse(cli(t.dir, 'status', '--json').stdout) as { services: { pid?: number }[] };
    const r = cli(t.dir, 'restart', 'flaky', '--wait', '--timeout', 'soon');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /"soon" is not a duration such as 60s or 2m/);
    const after = JSON.parse(cli(t.dir, 'status', '--json').stdout) as { services: { pid?: number }[] };
    assert.equal(after.services[0]!.pid, before.services[0]!.pid, 'the same process: nothing restarted');
  });
});
