import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../src/core/engine';
import { fixture, freePort, nextEvent, NODE, tempStack, until, type TempStack } from '../helpers/stack';
import { exitCodeOf } from '../../src/core/contract/health';

async function kvService(tier: string, env: Record<string, string | number> = {}, extra: object = {}) {
  const port = await freePort();
  return {
    tier,
    command: [NODE, fixture('http-service.cjs')],
    env: { PORT: port, ...env },
    health: {
      readiness: { http: { url: `http://127.0.0.1:${port}/health` } },
      check: { exec: [NODE, fixture('check-kv.cjs')], timeout: '5s' },
    },
    ...extra,
  };
}

describe('engine: health summary, full-functionality checks, logs (real processes)', function () {
  this.timeout(30_000);
  let t: TempStack;
  let engine: Engine;
  afterEach(async () => {
    await engine?.dispose();
    t?.cleanup();
  });

  it('is UNKNOWN before start, OK when up and checks pass, CRITICAL when a check fails', async () => {
    t = tempStack({
      version: 1,
      name: 'kv',
      services: { storage: await kvService('storage'), api: await kvService('server', { BROKEN_KV: 1 }, { depends_on: ['storage'] }) },
    });
    engine = new Engine(t.stack);
    assert.equal(engine.health().level, 'UNKNOWN');
    engine.supervisor.up();
    await engine.supervisor.waitSettled();
    assert.equal(engine.health().level, 'OK');
    assert.equal(engine.health().summary, '2/2 OK');
    const health = await engine.checkAll();
    assert.equal(health.level, 'CRITICAL');
    assert.equal(exitCodeOf(health.level), 2);
    const api = health.services.find((s) => s.service === 'api')!;
    assert.match(api.reason, /full-functionality check failing: wrote check-\d+-\d+, read back ""/);
    assert.equal(health.services.find((s) => s.service === 'storage')!.level, 'OK');
  });

  it('runs the check on its interval while ready and reports each run as an event', async () => {
    const svc = await kvService('storage');
    (svc.health.check as Record<string, unknown>).interval = '200ms';
    t = tempStack({ version: 1, name: 'periodic', services: { storage: svc } });
    engine = new Engine(t.stack);
    engine.supervisor.up();
    const first = await nextEvent(engine.bus, 'check');
    const second = await nextEvent(engine.bus, 'check');
    assert.equal(first.ok && second.ok, true);
    assert.equal(first.output, 'wrote and read back ok');
  });

  it('captures stdout and stderr into a timestamped log file per service', async () => {
    t = tempStack({ version: 1, name: 'logs', services: { talker: { command: [NODE, fixture('logger.cjs')], env: { LINES: 3 } } } });
    engine = new Engine(t.stack);
    const ready = nextEvent(engine.bus, 'log', (e) => e.line === 'logger ready');
    engine.supervisor.up();
    await ready;
    const file = join(t.dir, '.opsdeck', 'logs', 'talker.log');
    // stdout and stderr are separate pipes: wait for the last line of each.
    await until(() => /logger ready[^]*err line 3|err line 3[^]*logger ready/.test(readFileSync(file, 'utf8')), 2000, 'the log file');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const ts = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (stdout|stderr|opsdeck) /;
    assert.ok(lines.every((l) => ts.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => / stdout out line 3$/.test(l)));
    assert.ok(lines.some((l) => / stderr err line 3$/.test(l)));
    assert.ok(lines.some((l) => / opsdeck started pid \d+: /.test(l)));
  });

  it('a log readiness probe makes the service ready on the matching line', async () => {
    t = tempStack({
      version: 1,
      name: 'logready',
      services: {
        talker: { command: [NODE, fixture('logger.cjs')], health: { readiness: { log: 'logger (ready|up)$' } } },
      },
    });
    engine = new Engine(t.stack);
    engine.supervisor.up();
    const s = await engine.supervisor.waitFor('talker', 'ready');
    assert.equal(s.reason, 'log line matched /logger (ready|up)$/');
  });
});
