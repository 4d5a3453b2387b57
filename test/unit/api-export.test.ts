/**
 * POST /v1/export (src/core/api/routes/export.ts) on the real app, for examples/default: the files
 * and the report come back and nothing is written without out_dir; with out_dir they are written;
 * bad input answers 400 with the error's code and writes nothing; an API served without its
 * stack folder answers 501.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ServedEngine } from '../../src/core/api/served-engine';
import { createApi } from '../../src/core/api/routes/app';
import type { ExportResult } from '../../src/core/contract/export';
import { EventBus } from '../../src/core/events';

const STACK = resolve(import.meta.dirname, '../../examples/default');
// The export route reads only the stack folder: the engine is never asked anything.
const engine = { bus: new EventBus() } as unknown as ServedEngine;

async function post(app: ReturnType<typeof createApi>, body: unknown) {
  const res = await app.request('/v1/export', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: res.status, body: (await res.json()) as ExportResult & { error?: { code: string; message: string; hint?: string } } };
}

describe('api: POST /v1/export', function () {
  this.timeout(30_000);
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'opsdeck-api-export-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));
  const app = () => createApi(engine, { stackDir: STACK });
  const images = { default: 'node:20-bookworm-slim', opsdeck: 'opsdeck:0.1' };

  it('answers the files and the report, and writes nothing without out_dir', async () => {
    const r = await post(app(), { target: 'kubernetes', image_map: images, check: true });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.files.map((f) => f.path), ['storage.yaml', 'messaging.yaml', 'api.yaml', 'stack.yaml', 'kustomization.yaml']);
    assert.equal(r.body.check?.ok, true);
    assert.deepEqual(r.body.written, []);
    assert.ok(r.body.lines.some((l) => l.key === 'services.<name>.tier' && l.status === 'not-mapped'));
    assert.ok(!existsSync(join(STACK, '.opsdeck/export/kubernetes/storage.yaml')));
  });

  it('writes into out_dir', async () => {
    const r = await post(app(), { target: 'compose', base_image: 'node:20', out_dir: join(tmp, 'out') });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(readdirSync(join(tmp, 'out')).sort(), ['.env', 'compose.yaml']);
  });

  it('bad input is a 400 with the code, and nothing is written', async () => {
    const missing = await post(app(), { target: 'compose', out_dir: join(tmp, 'a') });
    assert.equal(missing.status, 400, JSON.stringify(missing.body));
    assert.equal(missing.body.error?.code, 'EXPORT_IMAGE_MISSING');
    const target = await post(app(), { target: 'nomad', base_image: 'node:20', out_dir: join(tmp, 'b') });
    assert.equal(target.status, 400);
    assert.match(target.body.error?.message ?? '', /unknown export target "nomad"/);
    const profile = await post(app(), { target: 'compose', base_image: 'node:20', profile: 'prod', out_dir: join(tmp, 'c') });
    assert.equal(profile.status, 404);
    assert.equal(profile.body.error?.code, 'PROFILE_UNKNOWN');
    const map = await post(app(), { target: 'compose', image_map: { services: { nope: 'x:1' } }, out_dir: join(tmp, 'd') });
    assert.equal(map.status, 400);
    assert.equal(map.body.error?.code, 'EXPORT_IMAGE_MAP_INVALID');
    assert.deepEqual(readdirSync(tmp), []);
  });

  it('answers 501 from an API served without its stack folder', async () => {
    const r = await post(createApi(engine), { target: 'compose', base_image: 'node:20' });
    assert.equal(r.status, 501);
  });
});
