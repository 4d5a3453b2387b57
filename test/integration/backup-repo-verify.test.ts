import assert from 'node:assert/strict';
import { openSync, readSync, rmSync, statSync, writeSync, closeSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { initRepository, type BackupRepository, type Snapshot } from '../../src/core/backup/repo';
import { MasterIndex } from '../../src/core/backup/repo/index-store';
import { packPath } from '../../src/core/backup/repo/pack';
import { Rng } from '../fixtures/backup/dataset';
import { META, rejectsWith, tempDir } from '../fixtures/backup/helpers';

/** Flip one byte of a file in place. */
function flipByte(path: string, offset: number): void {
  const fd = openSync(path, 'r+');
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, offset);
  b[0] = b[0]! ^ 0x40;
  writeSync(fd, b, 0, 1, offset);
  closeSync(fd);
}

describe('backup repository: verify finds damage and names what it affects', function () {
  this.timeout(60_000);
  let t: ReturnType<typeof tempDir>;
  let repo: BackupRepository;
  let s1: Snapshot;
  let s2: Snapshot;
  let s3: Snapshot;
  const rng = new Rng('verify');
  const shared = rng.bytes(2_500_000);

  beforeEach(async () => {
    t = tempDir();
    const src = join(t.dir, 'src');
    mkdirSync(join(src, 'b'), { recursive: true });
    writeFileSync(join(src, 'shared.bin'), shared);
    writeFileSync(join(src, 'b/copy-of-shared.bin'), shared);
    writeFileSync(join(src, 'other.bin'), rng.bytes(1_500_000));
    // small packs: one pack per chunk or two, so damage stays local
    repo = await initRepository(join(t.dir, 'repo'), { packSize: 512 * 1024 });
    s1 = (await repo.backup([{ service: 'files', root: src }], META)).snapshot;
    writeFileSync(join(src, 'other.bin'), rng.bytes(1_500_000));
    s2 = (await repo.backup([{ service: 'files', root: src }], META)).snapshot;
    rmSync(join(src, 'shared.bin'));
    rmSync(join(src, 'b/copy-of-shared.bin'));
    s3 = (await repo.backup([{ service: 'files', root: src }], META)).snapshot;
  });
  afterEach(() => t.cleanup());

  it('is clean on an undamaged repository, with and without reading data, and on subsets', async () => {
    const v = await repo.verify();
    assert.ok(v.ok);
    assert.equal(v.snapshots, 3);
    assert.equal(v.packsRead, 0);
    const full = await repo.verify({ readData: true });
    assert.ok(full.ok);
    assert.equal(full.packsRead, full.packs);
    // N/T subsets cover every pack exactly once
    let read = 0;
    for (let n = 1; n <= 3; n++) read += (await repo.verify({ readData: { subset: `${n}/3` } })).packsRead;
    assert.equal(read, full.packs);
    const pct = await repo.verify({ readData: { subset: '50%' } });
    assert.equal(pct.packsRead, Math.ceil(full.packs / 2));
    await rejectsWith(() => repo.verify({ readData: { subset: '4/3' } }), 'BAD_REQUEST');
  });

  it('one flipped byte in a pack: found with --read-data, the affected snapshots and files named exactly', async () => {
    const index = await MasterIndex.load(join(t.dir, 'repo'));
    const sharedEntry = s1.entries.find((e) => e.path === 'shared.bin')!;
    const victim = sharedEntry.chunks![1]!;
    const loc = index.get(victim)!;
    flipByte(packPath(join(t.dir, 'repo'), loc.pack), loc.offset + Math.floor(loc.length / 2));

    const structural = await repo.verify();
    assert.ok(structural.ok, 'a flipped data byte is invisible without reading data');

    for (const threads of [0, 2]) {
      const v = await repo.verify({ readData: true, threads });
      assert.ok(!v.ok);
      assert.equal(v.damaged.length, 1, `threads ${threads}`);
      assert.equal(v.damaged[0]!.chunk, victim);
    }
    const v = await repo.verify({ readData: true });
    assert.ok(!v.ok);
    assert.equal(v.damaged.length, 1);
    const d = v.damaged[0]!;
    assert.equal(d.chunk, victim);
    assert.equal(d.pack, loc.pack);
    assert.equal(d.reason, 'corrupt');
    // the chunk is in shared.bin and its copy, in s1 and s2, and not in s3 (which deleted both)
    assert.deepEqual(d.snapshots.sort(), [s1.id, s2.id].sort());
    assert.deepEqual(
      v.affected.map((a) => [a.snapshot, a.files.map((f) => `${f.service}/${f.path}`)]).sort(),
      [
        [s1.id, ['files/b/copy-of-shared.bin', 'files/shared.bin']],
        [s2.id, ['files/b/copy-of-shared.bin', 'files/shared.bin']],
      ].sort(),
    );
    assert.ok(v.problems.some((p) => p.kind === 'blob-corrupt' && p.chunk === victim));
    assert.ok(!v.affected.some((a) => a.snapshot === s3.id));

    // restoring the damaged file fails clearly; the undamaged snapshot restores
    for (const threads of [0, 2]) {
      const e = await rejectsWith(() => repo.restore(s1.id, { target: join(t.dir, `out1-${threads}`), include: ['shared.bin'], threads }), 'BACKUP_DATA_CORRUPT');
      assert.match(e.message, /shared\.bin/);
      assert.match(e.message, new RegExp(victim.slice(0, 12)));
    }
    await repo.restore(s3.id, { target: join(t.dir, 'out3') });
  });

  it('a missing pack: found by the structure check, affected files named, restore refused before writing', async () => {
    const index = await MasterIndex.load(join(t.dir, 'repo'));
    const otherV1 = s1.entries.find((e) => e.path === 'other.bin')!;
    const loc = index.get(otherV1.chunks![0]!)!;
    rmSync(packPath(join(t.dir, 'repo'), loc.pack));
    const v = await repo.verify();
    assert.ok(!v.ok);
    assert.ok(v.problems.some((p) => p.kind === 'pack-missing' && p.pack === loc.pack));
    const hit = v.affected.find((a) => a.snapshot === s1.id)!;
    assert.ok(hit.files.some((f) => f.path === 'other.bin'));
    assert.ok(!v.affected.some((a) => a.snapshot === s3.id && a.files.some((f) => f.path === 'shared.bin')));
    await rejectsWith(() => repo.restore(s1.id, { target: join(t.dir, 'out') }), 'BACKUP_DATA_MISSING');
    await rejectsWith(() => repo.prune(), 'BACKUP_DATA_MISSING');
  });

  it('damage in a pack trailer, an index file or a manifest is reported', async () => {
    const repoDir = join(t.dir, 'repo');
    const index = await MasterIndex.load(repoDir);
    const pack = [...index.packs.values()][0]!;
    const p = packPath(repoDir, pack.id);
    flipByte(p, statSync(p).size - 20);
    let v = await repo.verify();
    assert.ok(v.problems.some((x) => x.kind === 'pack-header' && x.pack === pack.id), JSON.stringify(v.problems));
    // the blobs themselves are intact: read-data checks them where the index says
    v = await repo.verify({ readData: true });
    assert.deepEqual(v.damaged, []);

    writeFileSync(join(repoDir, 'snapshots', s2.id), '{"broken":');
    v = await repo.verify();
    assert.ok(v.problems.some((x) => x.kind === 'snapshot-unreadable' && x.snapshot === s2.id));
    await rejectsWith(() => repo.prune(), 'BACKUP_REPO_INVALID');

    const idx = index.files[0]!;
    flipByte(join(repoDir, 'index', idx), 10);
    v = await repo.verify();
    assert.ok(v.problems.some((x) => x.kind === 'index-unreadable'));
  });

  it('the check after a backup compares the trailers of the packs it wrote, not every pack (the others were compared when written)', async () => {
    const repoDir = join(t.dir, 'repo');
    const src = join(t.dir, 'src');
    const before = new Set((await MasterIndex.load(repoDir)).packs.keys());
    writeFileSync(join(src, 'new.bin'), rng.bytes(700_000));
    const r = await repo.backup([{ service: 'files', root: src }], META);
    const after = [...(await MasterIndex.load(repoDir)).packs.keys()];
    assert.deepEqual([...r.packs].sort(), after.filter((id) => !before.has(id)).sort(), 'the result names exactly the new packs');
    assert.ok(r.packs.length >= 1);
    // damage the trailer of an old pack and of a new one
    const old = [...before][0]!;
    for (const id of [old, r.packs[0]!]) flipByte(packPath(repoDir, id), statSync(packPath(repoDir, id)).size - 20);
    const check = await repo.verify({ snapshot: r.snapshot.id, packs: r.packs });
    assert.deepEqual(check.problems.filter((x) => x.kind === 'pack-header').map((x) => x.pack), [r.packs[0]], JSON.stringify(check.problems));
    const full = await repo.verify();
    assert.deepEqual(full.problems.filter((x) => x.kind === 'pack-header').map((x) => x.pack).sort(), [old, r.packs[0]!].sort(), '`backups verify` compares every pack');
    assert.deepEqual((await repo.backup([{ service: 'files', root: src }], META, { dryRun: true })).packs, [], 'a dry run writes none');
  });

  it('a damaged index file: backup refuses, prune rebuilds the index from the pack trailers, nothing is lost', async () => {
    const repoDir = join(t.dir, 'repo');
    const index = await MasterIndex.load(repoDir);
    assert.ok(index.files.length >= 2);
    flipByte(join(repoDir, 'index', index.files[0]!), 5);
    await repo.prepareBackup(META.stack); // reading ahead never fails: the backup says what is wrong
    await rejectsWith(() => repo.backup([{ service: 'files', root: join(t.dir, 'src') }], META), 'BACKUP_REPO_INVALID');
    await repo.prune();
    const v = await repo.verify({ readData: true });
    assert.ok(v.ok, JSON.stringify(v.problems));
    assert.deepEqual(v.problems, []);
    for (const s of [s1, s2, s3]) await repo.restore(s.id, { target: join(t.dir, `out-${s.id.slice(0, 6)}`) });
  });
});
