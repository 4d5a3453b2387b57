import assert from 'node:assert/strict';
import { createApi } from '../../src/core/api/routes/app';
import { stubServedEngine } from '../helpers/served-engine-stub';
import type { StackHealth } from '../../src/core/contract/health';
import type { EngineStatus } from '../../src/core/contract/status';

const all: StackHealth = {
  level: 'CRITICAL',
  summary: '1/2 OK (api CRITICAL)',
  services: [
    { service: 'storage', level: 'OK', reason: 'ready' },
    { service: 'api', level: 'CRITICAL', reason: 'failed: exit code 1' },
  ],
};

function engine(checked: unknown[]) {
  return stubServedEngine({
    // the stack's services: worker is outside the active profile and not running, so not in `all`
    status: () => ({ services: ['storage', 'api', 'worker'].map((name) => ({ name })) }) as EngineStatus,
    health: () => all,
    checkAll: async (services?: readonly string[]) => (checked.push(services), all),
  });
}

describe('api: GET /v1/health?service=… (opsdeck health SERVICE)', () => {
  it('answers the health of only the named services, the level and summary from them alone', async () => {
    const app = createApi(engine([]));
    const one = (await (await app.request('/v1/health?service=storage')).json()) as StackHealth;
    assert.deepEqual(one, { level: 'OK', summary: '1/1 OK', services: [all.services[0]] });
    const both = (await (await app.request('/v1/health?service=api&service=storage')).json()) as StackHealth;
    assert.equal(both.level, 'CRITICAL');
    assert.deepEqual(both.services.map((s) => s.service), ['storage', 'api']);
    assert.deepEqual(await (await app.request('/v1/health')).json(), all);
  });

  it('a service outside the active profile, not running, is UNKNOWN (not an unknown name)', async () => {
    const app = createApi(engine([]));
    const res = await app.request('/v1/health?service=worker,storage');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      level: 'UNKNOWN',
      summary: '1/2 OK (worker UNKNOWN)',
      services: [all.services[0], { service: 'worker', level: 'UNKNOWN', reason: 'not running (outside the active profile)' }],
    });
  });

  it('with check=true runs only the named services\' checks', async () => {
    const checked: unknown[] = [];
    const app = createApi(engine(checked));
    assert.equal((await app.request('/v1/health?check=true&service=storage')).status, 200);
    assert.equal((await app.request('/v1/health?check=true')).status, 200);
    assert.deepEqual(checked, [['storage'], undefined]);
  });

  it('an unknown name is a 404 SERVICE_UNKNOWN with a did-you-mean hint, and runs no check', async () => {
    const checked: unknown[] = [];
    const res = await createApi(engine(checked)).request('/v1/health?check=true&service=stroage');
    assert.equal(res.status, 404);
    const { error } = (await res.json()) as { error: { code: string; message: string; hint: string } };
    assert.equal(error.code, 'SERVICE_UNKNOWN');
    assert.match(error.message, /no service named "stroage"/);
    assert.match(error.hint, /storage/);
    assert.deepEqual(checked, []);
  });
});
