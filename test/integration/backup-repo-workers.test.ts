/**
 * The backup's worker threads: a large SQLite database read in page segments on every thread with
 * new blobs coming back in batches gives the same chunk ids as reading it page by page on the
 * calling thread; the in-flight byte budget holds for a file many times its size; files of many
 * chunks name them through chunk lists (version 2 manifests), and a manifest of the old shape
 * (version 1, every chunk inline) still restores, verifies and serves as a parent.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import sqlite3 from 'node-sqlite3-wasm';
import { initRepository, openRepository, type Snapshot } from '../../src/core/backup/repo';
import { LIST_IDS } from '../../src/core/backup/repo/chunk-lists';
import { MasterIndex } from '../../src/core/backup/repo/index-store';
import { packPath } from '../../src/core/backup/repo/pack';
import { snapshotId } from '../../src/core/backup/repo/snapshot';
import { Rng } from '../fixtures/backup/dataset';
import { assertSameTree, META, tempDir } from '../fixtures/backup/helpers';

const { Database } = sqlite3;

/** A real SQLite database of about `mib` MiB (4 KiB pages, rollback journal). */
function sqliteDb(file: string, mib: number): void {
  const db = new Database(file);
  try {
    db.exec('PRAGMA page_size=4096; PRAGMA journal_mode=DELETE; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    db.exec('BEGIN');
    const rows = Math.ceil((mib * 2 ** 20) / 230);
    for (let i = 1; i <= rows; i++) db.run('INSERT INTO t VALUES (?, ?)', [i, `${i} ${createHash('sha256').update(String(i)).digest('hex')}`.repeat(3)]);
    db.exec('COMMIT');
  } finally {
    db.close();
  }
}

const pageIds = (data: Buffer, page = 4096): string[] => {
  const ids: string[] = [];
  for (let o = 0; o < data.length; o += page) ids.push(createHash('sha256').update(data.subarray(o, o + page)).digest('hex'));
  return ids;
};

describe('backup repository: worker threads, their own packs, chunk lists (real files, real SQLite)', function () {
  this.timeout(120_000);
  let t: ReturnType<typeof tempDir>;
  let src: string;
  let dbFile: string;
  before(() => {
    t = tempDir();
    src = join(t.dir, 'src');
    mkdirSync(src);
    dbFile = join(src, 'app.db');
    sqliteDb(dbFile, 20); // over 16 MiB: read in segments on two threads
  });
  after(() => t.cleanup());

  it('a SQLite database read in segments on two threads, blobs batched, has the chunk ids of reading it page by page', async () => {
    const data = readFileSync(dbFile);
    assert.ok(data.length > 16 << 20, `the database is large enough to be split (${data.length} bytes)`);
    const onWorkers = await initRepository(join(t.dir, 'repo-workers'));
    const here = await initRepository(join(t.dir, 'repo-here'));
    const a = await onWorkers.backup([{ service: 'db', root: src }], META, { threads: 2 });
    const b = await here.backup([{ service: 'db', root: src }], META, { threads: 0 });
    assert.ok(a.workers, 'the first backup ran on worker threads');
    assert.equal(b.workers, undefined, 'the second on the calling thread');
    const ea = (await onWorkers.snapshot(a.snapshot.id)).entries.find((e) => e.path === 'app.db')!;
    const eb = (await here.snapshot(b.snapshot.id)).entries.find((e) => e.path === 'app.db')!;
    const expected = pageIds(data);
    assert.equal(ea.chunks!.length, expected.length, 'one chunk per page');
    assert.deepEqual(ea.chunks, expected, 'the ids are the SHA-256 of each page, in order');
    assert.deepEqual(eb.chunks, expected, 'the same on the calling thread');
    assert.equal(ea.sha256, undefined, 'no whole-file hash: the file is known by its chunks');
    assert.equal(eb.sha256, undefined);
    assert.deepEqual(ea.chunkLists, eb.chunkLists, 'the same chunk lists');
    assert.equal(a.summary.chunksNew, b.summary.chunksNew, 'as many new blobs either way');
    const out = join(t.dir, 'out-workers');
    await onWorkers.restore(a.snapshot.id, { target: out, threads: 2 });
    assert.deepEqual(readFileSync(join(out, 'db', 'app.db')), data);
  });

  it('restore reads pages that lie back to back in a pack together: one damaged page among them is still named', async () => {
    const repoDir = join(t.dir, 'repo-damaged');
    const repo = await initRepository(repoDir);
    const r = await repo.backup([{ service: 'db', root: src }], META, { threads: 2 });
    const chunks = (await repo.snapshot(r.snapshot.id)).entries.find((e) => e.path === 'app.db')!.chunks!;
    const index = await MasterIndex.load(repoDir);
    // a page in the middle of the file whose neighbours sit right before and after it in its pack
    const i = chunks.findIndex((c, k) => {
      if (k < 100) return false;
      if (k + 1 >= chunks.length) return false;
      const p = index.get(chunks[k - 1]!)!;
      const h = index.get(c)!;
      const n = index.get(chunks[k + 1]!)!;
      return p.pack === h.pack && h.pack === n.pack && p.offset + p.length === h.offset && h.offset + h.length === n.offset && new Set([chunks[k - 1], c, chunks[k + 1]]).size === 3;
    });
    assert.ok(i > 0, 'the pages are stored back to back');
    const victim = chunks[i]!;
    const loc = index.get(victim)!;
    const fd = openSync(packPath(repoDir, loc.pack), 'r+');
    writeSync(fd, Buffer.from([0xff, 0x00, 0xff]), 0, 3, loc.offset + Math.floor(loc.length / 2));
    closeSync(fd);
    await assert.rejects(repo.restore(r.snapshot.id, { target: join(t.dir, 'out-damaged'), threads: 2 }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'BACKUP_DATA_CORRUPT');
      assert.match(e.message, /app\.db/);
      assert.match(e.message, new RegExp(victim.slice(0, 12)), 'the damaged page is named, not its run');
      return true;
    });
  });

  it('worker threads write their own packs: every pack on disk is indexed and checks out, none is left in tmp/, the restore is exact', async () => {
    const big = join(t.dir, 'big');
    mkdirSync(big);
    const rng = new Rng('packs');
    for (let i = 0; i < 6; i++) writeFileSync(join(big, `blob-${i}`), rng.bytes(8 << 20)); // random: nothing compresses
    const dir = join(t.dir, 'repo-packs');
    const repo = await initRepository(dir, { packSize: 1 << 20, chunker: { minSize: 64 << 10, avgSize: 256 << 10, maxSize: 1 << 20 } });
    const r = await repo.backup([{ service: 'big', root: big }], META, { threads: 2 });
    assert.equal(r.workers?.threads, 2, 'worker threads read the files');
    assert.ok(r.summary.bytesAdded >= 48 << 20, `48 MiB stored (${r.summary.bytesAdded})`);
    const onDisk = readdirSync(join(dir, 'data'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    assert.equal(onDisk.length, r.summary.packsWritten, `${onDisk.length} pack files, ${r.summary.packsWritten} packs written`);
    assert.ok(r.summary.packsWritten >= 20, `packs of 1-2 MiB (${r.summary.packsWritten})`);
    assert.deepEqual(readdirSync(join(dir, 'tmp')), [], 'no pack left half written');
    const report = await repo.verify({ readData: true });
    assert.ok(report.ok, JSON.stringify(report.problems.slice(0, 3)));
    assert.equal(report.packs, r.summary.packsWritten, 'the index names every pack');
    const out = join(t.dir, 'out-packs');
    await repo.restore(r.snapshot.id, { target: out, threads: 2 });
    assertSameTree(join(out, 'big'), big);
    rmSync(out, { recursive: true });
  });

  it('a file of many chunks is named through chunk lists (version 2); an unchanged re-run stores nothing and writes a small manifest', async () => {
    const repo = await initRepository(join(t.dir, 'repo-lists'));
    const first = await repo.backup([{ service: 'db', root: src }], META, { threads: 2 });
    assert.equal(first.snapshot.version, 2);
    const manifests = () => readdirSync(join(t.dir, 'repo-lists', 'snapshots'));
    const stored = JSON.parse(readFileSync(join(t.dir, 'repo-lists', 'snapshots', manifests()[0]!), 'utf8')) as Snapshot;
    const e = stored.entries.find((x) => x.path === 'app.db')!;
    assert.equal(e.chunks, undefined, 'the stored entry has no inline chunk ids');
    assert.equal(e.chunkLists!.length, Math.ceil(first.snapshot.entries.find((x) => x.path === 'app.db')!.chunks!.length / LIST_IDS));
    const again = await repo.backup([{ service: 'db', root: src }], META);
    assert.equal(again.summary.bytesAdded, 0, 'nothing new: the lists are the same blobs');
    const size = readFileSync(join(t.dir, 'repo-lists', 'snapshots', again.snapshot.id)).length;
    assert.ok(size < 16 * 1024, `the manifest of a 20 MiB database is small (${size} bytes)`);
    const v = await repo.verify({ readData: true });
    assert.equal(v.ok, true, JSON.stringify(v.problems));
    // prune keeps the lists (they are used), and the snapshot still restores
    await repo.prune();
    const out = join(t.dir, 'out-lists');
    await repo.restore('latest', { target: out });
    assert.deepEqual(readFileSync(join(out, 'db', 'app.db')), readFileSync(dbFile));
    // a small file keeps its chunks inline and its manifest version 1 (readable by older Opsdeck)
    const small = join(t.dir, 'small');
    mkdirSync(small);
    writeFileSync(join(small, 'a.txt'), 'hello\n');
    const s = await repo.backup([{ service: 'small', root: small }], { ...META, stack: 'small' });
    assert.equal(s.snapshot.version, 1);
  });

  it('verify with chunk lists (their ids looked up as bytes): a lost data pack names the database affected; a lost list makes its snapshot unreadable, and the next backup fails saying so', async () => {
    const lost = async (name: string, which: (e: Snapshot['entries'][number], index: MasterIndex) => string) => {
      const dir = join(t.dir, name);
      const repo = await initRepository(dir);
      const { snapshot } = await repo.backup([{ service: 'db', root: src }], META, { threads: 2 });
      const e = (await repo.snapshot(snapshot.id)).entries.find((x) => x.path === 'app.db')!;
      const index = await MasterIndex.load(dir);
      const pack = which(e, index);
      rmSync(packPath(dir, pack));
      return { snapshot, pack, report: await (await openRepository(dir)).verify() };
    };
    // a pack of pages only (the lists are in packs of their own, written by the main thread)
    const data = await lost('repo-lost-data', (e, index) => {
      const listPacks = new Set(e.chunkLists!.map((l) => index.get(l)!.pack));
      return e.chunks!.map((c) => index.get(c)!.pack).find((p) => !listPacks.has(p))!;
    });
    assert.equal(data.report.ok, false);
    assert.deepEqual(data.report.problems.filter((p) => p.severity === 'error').map((p) => p.kind), ['pack-missing']);
    assert.deepEqual(data.report.affected.map((a) => [a.snapshot, a.files.map((f) => f.path)]), [[data.snapshot.id, ['app.db']]]);
    // the pack of the first list blob
    const list = await lost('repo-lost-list', (e, index) => index.get(e.chunkLists![0]!)!.pack);
    const unreadable = list.report.problems.find((p) => p.kind === 'snapshot-unreadable');
    assert.ok(unreadable, JSON.stringify(list.report.problems));
    assert.equal(unreadable.snapshot, list.snapshot.id);
    assert.match(unreadable.message, /a chunk list cannot be read/);
    assert.equal(list.report.snapshots, 1);
    // the next backup of the unchanged database cannot take its entry from that snapshot: it says
    // why and writes nothing (a new snapshot would name the same lost list)
    const again = await openRepository(join(t.dir, 'repo-lost-list'));
    await assert.rejects(again.backup([{ service: 'db', root: src }], META), /a chunk list cannot be read/);
    assert.equal((await again.snapshots()).length, 1);
  });

  it('a version 1 manifest (every chunk inline, as written before chunk lists) restores, verifies, and is a parent', async () => {
    const dir = join(t.dir, 'repo-old');
    let repo = await initRepository(dir);
    const r = await repo.backup([{ service: 'db', root: src }], META, { threads: 2 });
    // the same snapshot in the old shape: version 1, chunk ids inline, no lists
    const full = await repo.snapshot(r.snapshot.id);
    const { id: _id, ...body } = full;
    const old = { ...body, version: 1 as const, entries: full.entries.map(({ chunkLists: _l, ...rest }) => rest) };
    const oldId = snapshotId(old);
    const oldManifest = { format: old.format, version: old.version, id: oldId, ...Object.fromEntries(Object.entries(old).filter(([k]) => k !== 'format' && k !== 'version')) };
    rmSync(join(dir, 'snapshots', r.snapshot.id));
    writeFileSync(join(dir, 'snapshots', oldId), JSON.stringify(oldManifest) + '\n');
    repo = await openRepository(dir);

    const s = await repo.snapshot('latest');
    assert.equal(s.id, oldId);
    assert.equal(s.version, 1);
    assert.equal(s.entries.find((e) => e.path === 'app.db')!.chunks!.length, Math.ceil(readFileSync(dbFile).length / 4096));
    const out = join(t.dir, 'out-old');
    const rr = await repo.restore(oldId, { target: out });
    assert.equal(rr.verified, 1);
    assert.deepEqual(readFileSync(join(out, 'db', 'app.db')), readFileSync(dbFile));
    const v = await repo.verify();
    assert.equal(v.ok, true, JSON.stringify(v.problems));

    // the next backup takes the unchanged database from the old-shape parent and writes version 2
    const next = await repo.backup([{ service: 'db', root: src }], META);
    assert.equal(next.summary.filesUnchanged, 1);
    assert.equal(next.summary.bytesRead, 0);
    assert.equal(next.snapshot.version, 2);
    const out2 = join(t.dir, 'out-next');
    await repo.restore(next.snapshot.id, { target: out2 });
    assert.deepEqual(readFileSync(join(out2, 'db', 'app.db')), readFileSync(dbFile));
  });

  it('a file an older snapshot recorded with its whole SHA-256 restores against it, on threads and on the calling thread; a recorded SHA-256 its chunks disagree with is refused, naming the file', async () => {
    const dir = join(t.dir, 'repo-sha');
    let repo = await initRepository(dir);
    const r = await repo.backup([{ service: 'db', root: src }], META, { threads: 2 });
    const full = await repo.snapshot(r.snapshot.id);
    const whole = createHash('sha256').update(readFileSync(dbFile)).digest('hex');
    // the manifest as earlier versions wrote it: version 1, chunks inline, the file's SHA-256 beside them
    const withHash = (sha256: string) => {
      const { id: _id, ...body } = full;
      const old = { ...body, version: 1 as const, entries: full.entries.map(({ chunkLists: _l, ...rest }) => (rest.path === 'app.db' ? { ...rest, sha256 } : rest)) };
      const id = snapshotId(old);
      writeFileSync(join(dir, 'snapshots', id), JSON.stringify({ format: old.format, version: old.version, id, ...Object.fromEntries(Object.entries(old).filter(([k]) => k !== 'format' && k !== 'version')) }) + '\n');
      return id;
    };
    const good = withHash(whole);
    const bad = withHash('0'.repeat(64));
    repo = await openRepository(dir);
    for (const threads of [0, 2]) {
      const out = join(t.dir, `out-sha-${threads}`);
      const rr = await repo.restore(good, { target: out, threads });
      assert.equal(rr.verified, 1, `threads ${threads}`);
      assert.deepEqual(readFileSync(join(out, 'db', 'app.db')), readFileSync(dbFile));
      await assert.rejects(repo.restore(bad, { target: join(t.dir, `out-bad-${threads}`), threads }), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'BACKUP_RESTORE_FAILED', `threads ${threads}: ${e.message}`);
        assert.match(e.message, /^db\/app\.db does not match the snapshot after restoring \(size \d+\/\d+, sha256 [0-9a-f]{12}\/000000000000\)/);
        return true;
      });
    }
  });
});
