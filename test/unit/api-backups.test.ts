import assert from 'node:assert/strict';
import { ApiClient } from '../../src/core/client/api-client';
import type { ServedEngine } from '../../src/core/api/served-engine';
import { createApi } from '../../src/core/api/routes/app';
import type { BackupProgress, BackupRunResult, BackupService, RestoreProgress, VerifyProgress } from '../../src/core/contract/backups';
import { OpsError } from '../../src/core/errors';
import { stubServedEngine } from '../helpers/served-engine-stub';
import { eventTypesOf, servesBackups } from '../../src/extension/engine-openapi';

const calls: unknown[][] = [];
const result = { dryRun: false, snapshot: 'abc', files: 2 } as unknown as BackupRunResult;
const backups: BackupService = {
  backup: async (req, opts) => {
    calls.push(['backup', req]);
    for (const filesDone of [0, 1, 2]) opts?.onProgress?.({ phase: 'backup', filesTotal: 2, filesDone, bytesTotal: 10, bytesDone: filesDone * 5, bytesRead: 0, bytesAdded: 0, elapsedMs: 1 });
    if (req.tags?.includes('fail')) throw new OpsError('BACKUP_SOURCE_FAILED', 'pg_dump failed', 'is postgres running?');
    return result;
  },
  list: async () => ({ snapshots: [], unreadable: [] }),
  show: async (id) => {
    throw new OpsError('BACKUP_SNAPSHOT_NOT_FOUND', `no snapshot ${id}`, 'see `opsdeck backups list`');
  },
  diff: async (a, b) => (calls.push(['diff', a, b]), { a, b, added: [], removed: [], changed: [], unchanged: 0, bytesAdded: 0, bytesRemoved: 0 }),
  forget: async (req) => (calls.push(['forget', req]), { dryRun: !!req.dryRun, time: 't', groups: [], keep: [], remove: [], policy: {} }),
  prune: async (o) => (calls.push(['prune', o]), { dryRun: !!o?.dryRun } as never),
  verify: async (req, opts) => {
    calls.push(['verify', req]);
    for (const packsDone of [0, 2]) opts?.onProgress?.({ phase: 'data', packsTotal: 2, packsDone, bytesTotal: 8, bytesDone: packsDone * 4, elapsedMs: 1 });
    if (req.readData === '9/9') throw new OpsError('BACKUP_REPO_LOCKED', 'the repository is locked', 'wait for the backup to end');
    return { ok: true } as never;
  },
  restore: async (id, req, opts) => {
    calls.push(['restore', id, req]);
    opts?.onProgress?.({ phase: 'restore', filesTotal: 1, filesDone: 1, bytesTotal: 3, bytesDone: 3, elapsedMs: 1 });
    return { snapshot: id } as never;
  },
  drill: async (req) => (calls.push(['drill', req]), { ok: true } as never),
  status: async () => ({ repository: '/r', exists: false, snapshots: 0, services: [], jobs: {}, recoveries: [] }),
};

const base: ServedEngine = stubServedEngine();

const clientOf = (engine: ServedEngine) => {
  const app = createApi(engine);
  return { app, api: new ApiClient('/nowhere.sock', { fetch: (input, init) => Promise.resolve(app.fetch(new Request(input, init))) }) };
};

describe('api: backup routes and client', () => {
  beforeEach(() => (calls.length = 0));

  it('the client sends each request in the API\'s spelling', async () => {
    const { api } = clientOf({ ...base, backups });
    assert.deepEqual(await api.backup({ services: ['db'], tags: ['t'], dryRun: true }), result);
    await api.diffSnapshots('a1', 'latest');
    await api.forget({ keepDaily: 7, keepWithin: '2d', prune: true, dryRun: true });
    await api.prune(true);
    await api.verify({ readData: '1/7' });
    await api.restore('abc', { services: ['db'], include: ['data/*'], inPlace: true, healthTimeoutMs: 5000 });
    await api.drill({ snapshot: 'abc', keep: true });
    assert.deepEqual(calls, [
      ['backup', { services: ['db'], tags: ['t'], dryRun: true }],
      ['diff', 'a1', 'latest'],
      ['forget', { keepDaily: 7, keepWithin: '2d', prune: true, dryRun: true }],
      ['prune', { dryRun: true }],
      ['verify', { readData: '1/7' }],
      ['restore', 'abc', { services: ['db'], include: ['data/*'], inPlace: true, healthTimeoutMs: 5000, dryRun: false }],
      ['drill', { snapshot: 'abc', keep: true }],
    ]);
    assert.deepEqual((await api.backupStatus()).snapshots, 0);
  });

  it('a backup streams its progress, then its result (or its error)', async () => {
    const { api } = clientOf({ ...base, backups });
    const seen: BackupProgress[] = [];
    assert.deepEqual(await api.backup({}, (p) => seen.push(p)), result);
    assert.deepEqual(seen.map((p) => p.filesDone), [0, 1, 2]);
    const err = await api.backup({ tags: ['fail'] }, () => undefined).catch((e: unknown) => e);
    assert.ok(err instanceof OpsError);
    assert.equal(err.code, 'BACKUP_SOURCE_FAILED');
    assert.equal(err.hint, 'is postgres running?');
  });

  it('a verify and a restore stream their progress too, then their result (or error)', async () => {
    const { api } = clientOf({ ...base, backups });
    const packs: VerifyProgress[] = [];
    assert.deepEqual(await api.verify({ readData: true }, (p) => packs.push(p)), { ok: true });
    assert.deepEqual(packs.map((p) => [p.phase, p.packsDone, p.bytesDone]), [['data', 0, 0], ['data', 2, 8]]);
    const err = await api.verify({ readData: '9/9' }, () => undefined).catch((e: unknown) => e);
    assert.ok(err instanceof OpsError && err.code === 'BACKUP_REPO_LOCKED' && err.hint === 'wait for the backup to end', String(err));
    const files: RestoreProgress[] = [];
    assert.deepEqual(await api.restore('abc', { target: '/tmp/x' }, (p) => files.push(p)), { snapshot: 'abc' });
    assert.deepEqual(files.map((p) => [p.phase, p.filesDone]), [['restore', 1]]);
    assert.deepEqual(calls, [['verify', { readData: true }], ['verify', { readData: '9/9' }], ['restore', 'abc', { target: '/tmp/x', dryRun: false }]], 'progress is not part of the request the engine gets');
    // without progress: JSON, as before
    assert.deepEqual(await api.verify({}), { ok: true });
  });

  it('errors keep their code and get the right status; bad bodies are 400s', async () => {
    const { app, api } = clientOf({ ...base, backups });
    const res = await app.fetch(new Request('http://x/v1/backups/nope'));
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'BACKUP_SNAPSHOT_NOT_FOUND');
    await assert.rejects(api.showSnapshot('nope'), (e: unknown) => e instanceof OpsError && e.code === 'BACKUP_SNAPSHOT_NOT_FOUND');
    const bad = await app.fetch(new Request('http://x/v1/backups/verify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ read_data: 'half' }) }));
    assert.equal(bad.status, 400);
    const badProgress = await app.fetch(new Request('http://x/v1/backups/verify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ progress: 'yes' }) }));
    assert.equal(badProgress.status, 400);
    assert.match(((await badProgress.json()) as { error: { message: string } }).error.message, /progress/);
    assert.deepEqual(calls, [], 'a bad request reaches no engine');
    const unknown = await app.fetch(new Request('http://x/v1/backups/abc/restore', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ in_place: true, force: true }) }));
    assert.equal(unknown.status, 400);
  });

  it('an engine without backups answers 501 NOT_AVAILABLE', async () => {
    const { api } = clientOf(base);
    await assert.rejects(api.listSnapshots(), (e: unknown) => e instanceof OpsError && e.code === 'NOT_AVAILABLE');
  });
});

describe('extension: what it reads from the engine\'s OpenAPI document', () => {
  const { app, api } = clientOf(base);
  let doc: { paths: Record<string, Record<string, unknown>> };
  before(async () => (doc = (await (await app.fetch(new Request('http://x/openapi.json'))).json()) as typeof doc));

  it('backups are served when the document lists the route the client posts a backup to', () => {
    assert.equal(servesBackups(doc, api), true);
    const { post: _backup, ...rest } = doc.paths['/v1/backups']!;
    assert.equal(servesBackups({ ...doc, paths: { ...doc.paths, '/v1/backups': rest } }, api), false, 'an engine without the backup route');
    assert.equal(servesBackups(undefined, api), false, 'no document');
  });

  it('the event types come from the EngineEvent schema', () => {
    const types = eventTypesOf(doc);
    for (const t of ['state', 'restart', 'backup', 'rpo', 'probe', 'log']) assert.ok(types?.includes(t), t);
    assert.equal(eventTypesOf({}), undefined);
  });
});
