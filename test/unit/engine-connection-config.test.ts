import assert from 'node:assert/strict';
import { OpsError } from '../../src/core/errors';
import { parseConfig } from '../../src/core/config/load';
import { EngineConnection } from '../../src/extension/engine-connection';

/** The error the engine throws for an opsdeck.yaml with two problems. */
function configError(): OpsError {
  try {
    parseConfig('version: 1\nname: x\nservices:\n  a:\n    command: [node]\n    tier: basement\n    restat: {}\n', '/tmp/x/opsdeck.yaml');
  } catch (e) {
    return e as OpsError;
  }
  throw new Error('the file should not load');
}

describe('engine connection: an engine opsdeck.yaml keeps from starting', () => {
  it('gives the views one short line pointing to Problems, logs the whole text at error level, raises no notification', async () => {
    const logged: [string, string][] = [];
    const failures: string[] = [];
    const connection = new EngineConnection({
      stackDir: '/tmp/x',
      mode: () => 'embedded',
      version: 'test',
      log: { info: (m) => logged.push(['info', m]), warn: (m) => logged.push(['warn', m]), error: (m) => logged.push(['error', m]) },
      readOwner: () => undefined,
      startHost: () => Promise.reject(configError()),
      timers: { setTimeout: () => assert.fail('a config error is not retried on a timer'), clearTimeout: () => undefined },
    });
    connection.onDidFail((p) => failures.push(p.message));
    await connection.connect();
    assert.equal(connection.info.problem, 'the engine could not start: opsdeck.yaml has 2 problems (see Problems)');
    assert.deepEqual(failures, []);
    assert.deepEqual(logged.map(([level]) => level), ['error']);
    assert.match(logged[0]![1], /opsdeck\.yaml:6:\d+\s+services\.a\.tier/);
    await connection.dispose();
  });
});
