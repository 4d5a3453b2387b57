/**
 * The index files' two versions (index-store.ts): version 2 (binary, written now) and version 1
 * (brotli JSON, written by older versions) are both read, alone and side by side, plain and
 * encrypted; a damaged version 2 file is unreadable with a reason, and verify says so.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initRepository, openRepository, type BackupRepository } from '../../src/core/backup/repo';
import { decodeBlob } from '../../src/core/backup/repo/blob';
import { writeIndexFile, writeIndexFileV1, type MasterIndex } from '../../src/core/backup/repo/index-store';
import type { Repository } from '../../src/core/backup/repo/repository';
import { Rng } from '../fixtures/backup/dataset';
import { assertSameTree, META, tempDir } from '../fixtures/backup/helpers';

describe('backup repository: index file versions', function () {
  this.timeout(120_000);
  let t: ReturnType<typeof tempDir>;
  let src: string;

  beforeEach(() => {
    t = tempDir();
    src = join(t.dir, 'src');
    mkdirSync(join(src, 'sub'), { recursive: true });
    const rng = new Rng('index-format');
    writeFileSync(join(src, 'a.bin'), rng.bytes(3 << 20));
    writeFileSync(join(src, 'sub', 'b.txt'), 'some text '.repeat(5000));
  });
  afterEach(() => t.cleanup());

  const indexFiles = (repo: BackupRepository) => readdirSync(join(repo.dir, 'index'));
  const freshIndex = async (dir: string, key?: string) => (await openRepository(dir, key ? { key } : {})) as Repository;

  /** Every blob's location, as a comparable list. */
  function locations(index: MasterIndex): string[] {
    const out: string[] = [];
    for (const p of index.packs.values()) for (const b of p.blobs) out.push(JSON.stringify([b.id, index.get(b.id)]));
    return out.sort();
  }

  /** Replace the repository's index files by one version 1 file of the same packs. */
  async function downgrade(repo: Repository): Promise<string> {
    const index = await (await freshIndex(repo.dir)).loadIndex();
    const packs = [...index.packs.values()].map((p) => ({ id: p.id, size: p.size, blobs: p.blobs, ...(p.sha256 ? { sha256: p.sha256 } : {}) }));
    const name = await writeIndexFileV1(repo.dir, packs);
    for (const f of index.files) rmSync(join(repo.dir, 'index', f));
    return name;
  }

  it('a backup writes a version 2 file (binary, stored as is); the same packs in a version 1 file read the same', async () => {
    const repo = (await initRepository(join(t.dir, 'repo'))) as Repository;
    const first = await repo.backup([{ service: 'files', root: src }], META);
    const [name] = indexFiles(repo);
    const doc = await decodeBlob(readFileSync(join(repo.dir, 'index', name!)));
    assert.equal(doc.subarray(0, 16).toString('latin1'), 'opsdeck-index-2\n');
    assert.equal(readFileSync(join(repo.dir, 'index', name!))[0], 0, 'codec byte 0: stored as is');
    const v2 = await (await freshIndex(repo.dir)).loadIndex();
    assert.ok(v2.blobCount > 3);
    // a pack's blob list is made from the table when asked, not kept for the index's life
    const pack = [...v2.packs.values()][0]!;
    assert.notEqual(pack.blobs, pack.blobs, 'a new list each time');
    assert.deepEqual(pack.blobs, pack.blobs, 'the same blobs');

    await downgrade(repo);
    const v1 = await (await freshIndex(repo.dir)).loadIndex();
    assert.deepEqual(v1.unreadable, new Map());
    assert.equal(v1.blobCount, v2.blobCount);
    assert.deepEqual(locations(v1), locations(v2));
    assert.deepEqual(v1.totals(), v2.totals());

    // a backup on top of a version 1 index dedups against it and adds a version 2 file beside it
    const again = await freshIndex(repo.dir);
    const second = await again.backup([{ service: 'files', root: src }], META);
    assert.equal(second.summary.bytesAdded, 0, 'nothing new: every chunk was found in the version 1 file');
    writeFileSync(join(src, 'c.bin'), new Rng('more').bytes(1 << 20));
    const third = await again.backup([{ service: 'files', root: src }], META);
    assert.ok(third.summary.bytesAdded > 0);
    const mixed = await freshIndex(repo.dir);
    assert.equal((await mixed.loadIndex()).files.length, 2);
    const report = await mixed.verify({ readData: true });
    assert.ok(report.ok, JSON.stringify(report.problems));
    const out = join(t.dir, 'out');
    await mixed.restore(first.snapshot.id, { target: out });
    rmSync(join(src, 'c.bin'));
    assertSameTree(join(out, 'files'), src);
  });

  it('encrypted: the version 2 file is sealed, read back with the key, and a version 1 file beside it too', async () => {
    const key = 'index format key';
    const repo = (await initRepository(join(t.dir, 'repo'), { encryption: key, kdfCost: 12 })) as Repository;
    const r = await repo.backup([{ service: 'files', root: src }], META);
    const [name] = indexFiles(repo);
    assert.ok(!readFileSync(join(repo.dir, 'index', name!)).includes('opsdeck-index-2'), 'the header is not readable on disk');
    const opened = await freshIndex(repo.dir, key);
    const index = await opened.loadIndex();
    const packs = [...index.packs.values()].map((p) => ({ id: p.id, size: p.size, blobs: p.blobs }));
    await writeIndexFileV1(repo.dir, packs, opened.key);
    const both = await freshIndex(repo.dir, key);
    const again = await both.loadIndex();
    assert.equal(again.files.length, 2);
    assert.deepEqual(again.unreadable, new Map());
    assert.equal(again.blobCount, index.blobCount);
    const out = join(t.dir, 'out');
    await both.restore(r.snapshot.id, { target: out });
    assertSameTree(join(out, 'files'), src);
  });

  it('a damaged version 2 file (its entries cut short) is unreadable with a reason; verify names it', async () => {
    const repo = (await initRepository(join(t.dir, 'repo'))) as Repository;
    await repo.backup([{ service: 'files', root: src }], META);
    const index = await (await freshIndex(repo.dir)).loadIndex();
    const packs = [...index.packs.values()].map((p) => ({ id: p.id, size: p.size, blobs: p.blobs }));
    // a well-formed file, then the same bytes with its last entry cut off, stored under its true name
    const good = await writeIndexFile(repo.dir, packs);
    const stored = readFileSync(join(repo.dir, 'index', good));
    const cut = stored.subarray(0, stored.length - 44);
    const cutName = createHash('sha256').update(cut).digest('hex');
    writeFileSync(join(repo.dir, 'index', cutName), cut);
    const loaded = await (await freshIndex(repo.dir)).loadIndex();
    assert.match(loaded.unreadable.get(cutName) ?? '', /not an index document \(\d+ bytes of entries for \d+ blobs\)/);
    assert.equal(loaded.blobCount, index.blobCount, 'the readable files still give every blob');
    const report = await (await freshIndex(repo.dir)).verify();
    assert.ok(report.problems.some((p) => p.severity === 'error' && p.message.includes(cutName.slice(0, 12))), JSON.stringify(report.problems));
  });

  it('writing refuses a blob id that is not a SHA-256, and writes nothing', async () => {
    const repo = (await initRepository(join(t.dir, 'repo'))) as Repository;
    const before = indexFiles(repo);
    await assert.rejects(writeIndexFile(repo.dir, [{ id: 'ab'.repeat(32), size: 100, blobs: [{ id: 'not-hex', offset: 0, length: 1, rawLength: 1 }] }]), /blob id "not-hex" is not a SHA-256/);
    assert.deepEqual(indexFiles(repo), before);
  });
});
