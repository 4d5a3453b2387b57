import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/core/config/load';
import { reloadPlan, runnerChanges } from '../../src/core/config-reload';
import { createApi } from '../../src/core/api/routes/app';
import { Engine } from '../../src/core/engine';
import { isOpsError } from '../../src/core/errors';
import { NODE, tempStack, type TempStack } from '../helpers/stack';

/** A process that stays up until stopped. */
const idle = [NODE, '-e', 'setInterval(() => {}, 1000)'];

const base = () => ({
  version: 1,
  name: 'reload',
  services: {
    db: { tier: 'storage', command: idle, env: { PORT: '5432' } },
    api: { command: idle, depends_on: { db: 'started' }, env: { LEVEL: 'info' } },
    web: { command: idle, depends_on: { api: 'started' } },
  },
});

const parse = (config: object) => parseConfig(stringify(config), '/tmp/reload/opsdeck.yaml');

describe('reload: the plan of reading opsdeck.yaml again', () => {
  it('unchanged file: nothing to do', () => {
    assert.deepEqual(reloadPlan(parse(base()), parse(base()), ['db', 'api', 'web']), []);
  });

  it('a changed env restarts the service, saying what changed; a changed tier restarts nothing', () => {
    const next = base();
    next.services.api.env.LEVEL = 'debug';
    (next.services.web as Record<string, unknown>).tier = 'worker';
    assert.deepEqual(reloadPlan(parse(base()), parse(next), ['db', 'api', 'web']), [
      { action: 'restart', service: 'api', wave: 0, reason: 'changed in opsdeck.yaml: env' },
    ]);
  });

  it('names every changed key (command, env, cwd, probes) in the reason', () => {
    const next = base();
    Object.assign(next.services.db, { command: [NODE, '-e', 'setInterval(() => {}, 500)'], env: { PORT: '5433' }, cwd: 'data', health: { readiness: { tcp: { port: 5433 } } } });
    assert.deepEqual(runnerChanges(parse(base()), parse(next), 'db'), ['command', 'env', 'cwd', 'probes']);
  });

  it('a removed service stops (dependents first); an added one starts while the stack runs', () => {
    const next = base() as { services: Record<string, object> };
    delete next.services.web;
    next.services.worker = { command: idle, depends_on: { api: 'started' } };
    assert.deepEqual(reloadPlan(parse(base()), parse(next), ['db', 'api', 'web']), [
      { action: 'stop', service: 'web', wave: 0, reason: 'removed from opsdeck.yaml' },
      { action: 'start', service: 'worker', wave: 0, reason: 'added to opsdeck.yaml' },
    ]);
  });

  it('an added service does not start while nothing runs', () => {
    const next = base() as { services: Record<string, object> };
    next.services.worker = { command: idle };
    assert.deepEqual(reloadPlan(parse(base()), parse(next), []), []);
  });

  it('a service the profile no longer lists stops; one it adds starts', () => {
    const withProfiles = (services: string[]) => ({ ...base(), profiles: { dev: { services } }, active_profile: 'dev' });
    assert.deepEqual(reloadPlan(parse(withProfiles(['db', 'api'])), parse(withProfiles(['db', 'web', 'api'])), ['db', 'api']), [
      { action: 'start', service: 'web', wave: 0, reason: 'added to profile dev' },
    ]);
    assert.deepEqual(reloadPlan(parse(withProfiles(['db', 'api'])), parse(withProfiles(['db'])), ['db', 'api']), [
      { action: 'stop', service: 'api', wave: 0, reason: 'not in profile dev any more' },
    ]);
  });
});

describe('Engine.reload', function () {
  this.timeout(30_000);
  let t: TempStack;
  let engine: Engine;
  const write = (config: object | string) => writeFileSync(join(t.dir, 'opsdeck.yaml'), typeof config === 'string' ? config : stringify(config));
  const states = () => Object.fromEntries(engine.status().services.map((s) => [s.name, s.state]));

  beforeEach(async () => {
    t = tempStack(base());
    engine = new Engine(t.stack);
    engine.up();
    await engine.supervisor.waitSettled();
  });
  afterEach(async () => {
    await engine.dispose();
    t.cleanup();
  });

  it('a dry run gives the plan and changes nothing', async () => {
    const next = base() as { services: Record<string, object> };
    next.services.worker = { command: idle };
    write(next);
    const pids = engine.status().services.map((s) => s.pid);
    const result = await engine.reload({ dryRun: true });
    assert.equal(result.dryRun, true);
    assert.deepEqual(result.plan, [{ action: 'start', service: 'worker', wave: 0, reason: 'added to opsdeck.yaml' }]);
    assert.deepEqual(Object.keys(states()), ['db', 'api', 'web']);
    assert.deepEqual(engine.status().services.map((s) => s.pid), pids);
    assert.equal(engine.stack.config.services.worker, undefined);
  });

  it('applies: the new service runs, the removed one is gone, the changed one runs with its new env, the others keep their process', async () => {
    const next = base();
    next.services.api.env.LEVEL = 'debug';
    const services: Record<string, object> = next.services;
    delete services.web;
    services.worker = { command: idle };
    write(next);
    const before = Object.fromEntries(engine.status().services.map((s) => [s.name, s.pid]));
    const result = await engine.reload();
    assert.equal(result.dryRun, false);
    assert.deepEqual(
      result.plan.map((p) => `${p.action} ${p.service}`),
      ['stop web', 'restart api', 'start worker'],
    );
    await engine.supervisor.waitSettled();
    assert.deepEqual(states(), { db: 'ready', api: 'ready', worker: 'ready' });
    const after = Object.fromEntries(engine.status().services.map((s) => [s.name, s.pid]));
    assert.equal(after.db, before.db, 'db is unchanged: same process');
    assert.notEqual(after.api, before.api, 'api restarted');
    assert.deepEqual(engine.stack.config.services.api?.env, { LEVEL: 'debug' });
    assert.deepEqual(await engine.reload({ dryRun: true }), { dryRun: true, plan: [] });
  });

  it('a file with errors is refused with CONFIG_INVALID (line:column) and nothing changes', async () => {
    write('version: 1\nname: reload\nservices:\n  db:\n    command: [true]\n    restart: { policy: sometimes }\n');
    const pids = engine.status().services.map((s) => s.pid);
    await assert.rejects(engine.reload(), (e: unknown) => {
      assert.ok(isOpsError(e));
      assert.equal(e.code, 'CONFIG_INVALID');
      assert.match(e.message, /opsdeck\.yaml:6:\d+/);
      return true;
    });
    assert.deepEqual(states(), { db: 'ready', api: 'ready', web: 'ready' });
    assert.deepEqual(engine.status().services.map((s) => s.pid), pids);
  });

  it('POST /v1/stack/reload: the plan (dry_run), and a 400 CONFIG_INVALID with one issue per problem at its line:column', async () => {
    const app = createApi(engine);
    const post = async (body: unknown) => {
      const res = await app.request('/v1/stack/reload', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const next = base() as { services: Record<string, object> };
    next.services.worker = { command: idle };
    write(next);
    assert.deepEqual(await post({ dry_run: true }), { status: 200, body: { dryRun: true, plan: [{ action: 'start', service: 'worker', wave: 0, reason: 'added to opsdeck.yaml' }] } });
    assert.equal((await post({ dry_run: 'yes' })).status, 400);

    write('version: 1\nname: reload\nservices:\n  db:\n    command: [node]\n    tier: basement\n');
    const refused = await post({});
    assert.equal(refused.status, 400);
    const error = refused.body.error as { code: string; issues: { path: string; message: string; code: string }[] };
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.deepEqual(error.issues.map((i) => [i.path, i.code]), [['services.db.tier', 'config']]);
    assert.match(error.issues[0]!.message, /^6:11 must be one of storage, messaging, server, worker \(hint: /);
    assert.deepEqual(Object.keys(states()), ['db', 'api', 'web']);
  });
});
