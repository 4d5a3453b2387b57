import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { linkStack, portsOf, rewritePorts, sandboxStack } from '../../src/core/backup/sandbox';
import { eventText } from '../../src/core/memory/event-text';
import { tempStack, type TempStack } from '../helpers/stack';

describe('backup: the drill sandbox (ports, config, links)', () => {
  let t: TempStack | undefined;
  afterEach(() => t?.cleanup());

  const config = {
    version: 1,
    name: 'sb',
    profiles: { dev: { services: ['db', 'api'], env: { MODE: 'dev' } } },
    services: {
      db: {
        tier: 'storage',
        command: ['node', 'db.js', '--port', '7101'],
        env: { PORT: 7101, DB_PATH: 'data/db.sqlite', TIMEOUT: 5000 },
        health: { readiness: { http: { url: 'http://127.0.0.1:7101/health' } }, liveness: { tcp: { port: 7101 } }, check: { exec: ['node', 'check.js', 'http://127.0.0.1:7101/'] } },
        backup: { sqlite: ['data/db.sqlite'], files: ['conf/'] },
      },
      api: {
        command: ['node', 'api.js'],
        env: { API_PORT: 7103, DB_URL: 'http://127.0.0.1:7101/kv' },
        depends_on: ['db'],
        health: { readiness: { http: { url: 'http://127.0.0.1:7103/health' } } },
      },
    },
  };

  it('finds the ports a service is reached on', () => {
    t = tempStack(config);
    assert.deepEqual(portsOf(t.stack.config.services.db!).sort(), [7101]);
    assert.deepEqual(portsOf(t.stack.config.services.api!).sort(), [7103]);
  });

  it('rewrites whole-number mentions of mapped ports only', () => {
    const map = new Map([[7101, 40001]]);
    assert.equal(rewritePorts('http://127.0.0.1:7101/x', map), 'http://127.0.0.1:40001/x');
    assert.equal(rewritePorts('7101', map), '40001');
    assert.equal(rewritePorts('71010 17101 7101.5', map), '71010 17101 7101.5');
  });

  it('the drill config: sandbox folder, ports moved everywhere, profile env folded in, outside dependencies dropped', () => {
    t = tempStack(config, { profile: 'dev' });
    const ports = new Map([[7101, 40001], [7103, 40003]]);
    const s = sandboxStack(t.stack, '/tmp/sandbox', ['db'], ports);
    assert.equal(s.dir, '/tmp/sandbox');
    assert.deepEqual(s.services, ['db']);
    assert.deepEqual(Object.keys(s.config.services), ['db']);
    const db = s.config.services.db!;
    assert.deepEqual(db.env, { PORT: '40001', DB_PATH: 'data/db.sqlite', TIMEOUT: '5000', MODE: 'dev' });
    assert.deepEqual(db.command, ['node', 'db.js', '--port', '40001']);
    assert.equal(db.health.readiness!.http!.url, 'http://127.0.0.1:40001/health');
    assert.equal(db.health.liveness!.tcp!.port, 40001);
    assert.deepEqual(db.health.check!.exec, ['node', 'check.js', 'http://127.0.0.1:40001/']);
    // The live config is untouched.
    assert.equal(t.stack.config.services.db!.env.PORT, '7101');
    const both = sandboxStack(t.stack, '/tmp/sandbox', ['db', 'api'], ports);
    assert.equal(both.config.services.api!.env.DB_URL, 'http://127.0.0.1:40001/kv');
    assert.deepEqual(both.config.services.api!.depends_on, { db: 'healthy' });
  });

  it('links the stack\'s code file by file, never its data, run-time folders or .opsdeck', async () => {
    t = tempStack(config);
    const w = (rel: string, text = 'x') => {
      mkdirSync(join(t!.dir, rel, '..'), { recursive: true });
      writeFileSync(join(t!.dir, rel), text);
    };
    w('db.js');
    w('lib/util.js');
    w('conf/app.yaml');
    w('data/db.sqlite');
    w('data/other.bin');
    w('.opsdeck/backups/config');
    const sandbox = join(t.dir, '.opsdeck', 'drills', 'x');
    mkdirSync(join(sandbox, 'conf'), { recursive: true });
    writeFileSync(join(sandbox, 'conf', 'app.yaml'), 'restored');
    const r = await linkStack(t.stack, sandbox);
    assert.equal(r.mode, 'scan');
    assert.ok(lstatSync(join(sandbox, 'db.js')).isSymbolicLink());
    assert.equal(readlinkSync(join(sandbox, 'lib', 'util.js')), join(t.dir, 'lib', 'util.js'));
    assert.ok(!lstatSync(join(sandbox, 'lib')).isSymbolicLink(), 'folders are real');
    assert.ok(lstatSync(join(sandbox, 'opsdeck.yaml')).isSymbolicLink());
    assert.ok(!lstatSync(join(sandbox, 'conf', 'app.yaml')).isSymbolicLink(), 'the restored file wins');
    assert.ok(!existsSync(join(sandbox, 'data')), 'data/ is neither linked nor copied');
    assert.ok(!existsSync(join(sandbox, '.opsdeck', 'backups')));
  });

  it('backup events read as one line each', () => {
    const base = { at: 0, service: 'storage' };
    assert.equal(
      eventText({ ...base, type: 'restore', phase: 'rolled-back', snapshot: 'abc', mode: 'in-place', services: ['storage'], error: 'check failed', safetySnapshot: 'def' }),
      'restore of snapshot abc (in-place, storage) failed: check failed; rolled back to safety snapshot def',
    );
    assert.equal(
      eventText({ ...base, type: 'restore', phase: 'completed', snapshot: 'abc', mode: 'in-place', services: ['storage'], recoveryMs: 1500, rtoMs: 60_000, withinRto: true }),
      'restore of snapshot abc (in-place, storage) completed: recovery 1.5s (RTO 1m: met)',
    );
    assert.equal(
      eventText({ ...base, type: 'drill', phase: 'completed', snapshot: 'abc', services: ['storage'], recoveryMs: 2500, rtoMs: 2000, withinRto: false }),
      'recovery drill of snapshot abc (storage) passed: recovery 2.5s (RTO 2s: MISSED)',
    );
    assert.equal(
      eventText({ ...base, service: 'stack', type: 'verify', ok: false, trigger: 'manual', readData: true, errors: 1, warnings: 0, damagedSnapshots: ['abc'], durationMs: 30 }),
      'verify with data found damage: 1 error, 0 warnings in 30ms; damaged snapshots: abc',
    );
    assert.equal(
      eventText({ ...base, type: 'backup', phase: 'failed', trigger: 'manual', services: ['storage'], tags: [], error: 'pg_dump failed' }),
      'backup of storage failed: pg_dump failed',
    );
  });
});
