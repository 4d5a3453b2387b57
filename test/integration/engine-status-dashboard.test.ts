/**
 * What the engine's status gives the surfaces' dashboards (the Services tree): every service of
 * the stack, those outside the active profile included (inProfile false); where each answers
 * (from its http or tcp probe); its last restart and why. No processes are started.
 */
import assert from 'node:assert/strict';
import { Engine } from '../../src/core/engine';
import { OpsError } from '../../src/core/errors';
import { fixture, freePorts, NODE, tempStack, type TempStack } from '../helpers/stack';

describe('engine status for the dashboard: all services, endpoint, last restart', () => {
  let t: TempStack;
  let engine: Engine;
  afterEach(async () => {
    await engine?.dispose();
    t?.cleanup();
  });

  it('lists services outside the active profile, with endpoints from probes, and the last restart', async () => {
    const [port, db] = (await freePorts(2)) as [number, number];
    t = tempStack({
      version: 1,
      name: 'dash',
      profiles: { dev: { services: ['web', 'db', 'worker'] }, minimal: { services: ['web'] } },
      active_profile: 'minimal',
      services: {
        web: { command: [NODE, fixture('http-service.cjs')], env: { PORT: port }, health: { readiness: { http: { url: `http://127.0.0.1:${port}/health` } } } },
        db: { command: [NODE, fixture('http-service.cjs')], env: { PORT: db }, health: { liveness: { tcp: { port: db } } } },
        worker: { command: [NODE, fixture('http-service.cjs')] },
      },
    });
    engine = new Engine(t.stack, { profile: 'minimal' });
    const status = engine.status();
    assert.deepEqual(
      status.services.map((s) => [s.name, s.inProfile, s.state, s.endpoint]),
      [
        ['web', true, 'stopped', `http://127.0.0.1:${port}`],
        ['db', false, 'stopped', `127.0.0.1:${db}`],
        ['worker', false, 'stopped', undefined],
      ],
    );
    assert.equal(status.services[0]!.lastRestart, undefined);
    engine.bus.emit({ type: 'restart', at: 1234, service: 'web', attempt: 1, delayMs: 300, cause: 'crash', detail: 'killed by SIGKILL' });
    assert.deepEqual(engine.status().services[0]!.lastRestart, { at: 1234, cause: 'crash', detail: 'killed by SIGKILL' });

    // only the services named, in the stack's order; one outside the profile is UNKNOWN in the health too
    const named = engine.status(['db', 'web']);
    assert.deepEqual(named.services.map((s) => [s.name, s.inProfile]), [['web', true], ['db', false]]);
    assert.deepEqual(named.health.services.find((h) => h.service === 'db'), { service: 'db', level: 'UNKNOWN', reason: 'not running (outside the active profile)' });
    assert.deepEqual(named.health.services.map((h) => h.service), ['web', 'db']);
    assert.throws(() => engine.status(['wbe']), (e: unknown) => e instanceof OpsError && e.code === 'SERVICE_UNKNOWN' && /did you mean `web`/.test(e.hint ?? ''));
  });
});
