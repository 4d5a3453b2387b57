import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { Snapshot } from '../../src/core/backup/repo';
import { encodeDocument } from '../../src/core/backup/repo/blob';
import { Repository } from '../../src/core/backup/repo/repository';
import { parseSnapshot, snapshotId, writeSnapshot } from '../../src/core/backup/repo/snapshot';

function manifest(): Snapshot {
  const zero = { filesNew: 0, filesChanged: 0, filesUnchanged: 0, dirs: 0, symlinks: 0, bytesTotal: 0, bytesRead: 0, bytesAdded: 0, chunksNew: 0, chunksTotal: 0, packsWritten: 0, durationMs: 0 };
  const s = {
    format: 'opsdeck-snapshot' as const,
    version: 1 as const,
    id: '',
    time: '2026-11-27T00:00:00.000Z',
    stack: 'demo',
    profile: 'dev',
    services: ['app'],
    sources: [{ service: 'app' }],
    configHash: 'c0ffee',
    opsdeckVersion: '0.0.0',
    tags: [],
    hostname: 'host',
    entries: [],
    summary: zero,
  };
  return { ...s, id: snapshotId(s) };
}

describe('backup snapshot manifests (encrypted)', () => {
  const key = randomBytes(32);
  const s = manifest();
  const json = Buffer.from(JSON.stringify(s) + '\n');

  it('reads a sealed manifest whose random nonce starts with `{` (once in 256 manifests)', async () => {
    let stored: Buffer | undefined;
    for (let i = 0; i < 20_000 && !stored; i++) {
      const b = await encodeDocument(json, key);
      if (b[0] === 0x7b) stored = b;
    }
    assert.ok(stored, 'no sealed manifest starting with `{` in 20 000 tries');
    const read = await parseSnapshot(stored, s.id, key);
    assert.equal(read.id, s.id);
  });

  it('names an unencrypted manifest in an encrypted repository', async () => {
    await assert.rejects(() => parseSnapshot(json, s.id, key), /unencrypted manifest in an encrypted repository/);
  });

  it('a damaged sealed manifest fails authentication, not "unencrypted"', async () => {
    const stored = await encodeDocument(json, key);
    stored[0] = 0x7b;
    stored[20] = stored[20]! ^ 1;
    await assert.rejects(() => parseSnapshot(stored, s.id, key), (e: Error) => /authentication failed/.test(e.message) && !/unencrypted/.test(e.message));
  });
});

describe('backup snapshot manifests (listing a repository more than once)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(os.tmpdir(), 'opsdeck-snapshots-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('parses an unchanged manifest once, and reads a rewritten or removed one anew', async () => {
    const repo = await Repository.init(join(dir, 'repo'), {});
    const s = manifest();
    await writeSnapshot(repo.dir, s);
    const first = await repo.loadSnapshots();
    const again = await repo.loadSnapshots();
    assert.equal(again.snapshots[0], first.snapshots[0], 'the same bytes are not parsed again');

    writeFileSync(join(repo.dir, 'snapshots', s.id), '{"damaged": true}\n');
    const damaged = await repo.loadSnapshots();
    assert.deepEqual(damaged.snapshots, []);
    assert.match(damaged.unreadable.get(s.id) ?? '', /not a snapshot manifest/);

    rmSync(join(repo.dir, 'snapshots', s.id));
    assert.deepEqual(await repo.loadSnapshots(), { snapshots: [], unreadable: new Map() });
  });
});

describe('backup snapshot manifests: versions and chunk lists', () => {
  const file = { path: 'app.db', service: 'app', type: 'file' as const, mode: 0o644, mtime: 1, size: 4096, sha256: 'a'.repeat(64) };
  const parse = (s: Snapshot) => parseSnapshot(Buffer.from(JSON.stringify(s)), s.id);

  it('reads version 1 (chunks inline) and version 2 (chunk lists), and refuses lists in version 1, both forms at once, or version 3', async () => {
    const v1 = { ...manifest(), entries: [{ ...file, chunks: ['b'.repeat(64)] }] };
    assert.deepEqual((await parse(v1)).entries[0]!.chunks, ['b'.repeat(64)]);
    const v2 = { ...manifest(), version: 2 as const, entries: [{ ...file, chunkLists: ['c'.repeat(64)] }] };
    assert.deepEqual((await parse(v2)).entries[0]!.chunkLists, ['c'.repeat(64)]);
    await assert.rejects(parse({ ...v2, version: 1 }), /entries\.0\.chunkLists: chunk lists need a version 2 manifest/);
    await assert.rejects(parse({ ...v2, entries: [{ ...file, chunks: ['b'.repeat(64)], chunkLists: ['c'.repeat(64)] }] }), /chunks and chunkLists together/);
    await assert.rejects(parse({ ...v2, version: 3 as unknown as 2 }), /not a snapshot manifest \(version/);
  });

  it('stores a version 2 manifest without the expanded chunks, and its id covers what is stored', async () => {
    const dir = mkdtempSync(join(os.tmpdir(), 'opsdeck-snapshots-'));
    try {
      const body = { ...manifest(), version: 2 as const, entries: [{ ...file, chunks: ['b'.repeat(64)], chunkLists: ['c'.repeat(64)] }] };
      const s = { ...body, id: snapshotId(body) };
      const repo = await Repository.init(join(dir, 'repo'), {});
      await writeSnapshot(repo.dir, s);
      const stored = JSON.parse(readFileSync(join(repo.dir, 'snapshots', s.id), 'utf8')) as Snapshot;
      assert.equal(stored.entries[0]!.chunks, undefined);
      assert.deepEqual(stored.entries[0]!.chunkLists, ['c'.repeat(64)]);
      const { chunks: _c, ...entry } = body.entries[0]!;
      assert.equal(s.id, snapshotId({ ...body, entries: [entry] }), 'the same id with or without the expanded chunks');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
