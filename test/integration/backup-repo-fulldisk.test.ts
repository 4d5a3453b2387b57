import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initRepository, openRepository } from '../../src/core/backup/repo';
import { Rng } from '../fixtures/backup/dataset';
import { assertSameTree, META, rejectsWith, tempDir, treeOf } from '../fixtures/backup/helpers';

/**
 * A real full disk: the repository lives on an 8 MiB tmpfs. Needs root to mount it, as `.ci/run`
 * has; where mounting is not permitted the suite fails and says why (it is never skipped).
 */
describe('backup repository: full disk (8 MiB tmpfs)', function () {
  this.timeout(60_000);
  let t: ReturnType<typeof tempDir>;
  let mnt: string;
  let mounted = false;

  before(function () {
    t = tempDir();
    mnt = join(t.dir, 'mnt');
    mkdirSync(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt], { stdio: 'pipe' });
      mounted = true;
    } catch (e) {
      throw new Error(`cannot mount an 8 MiB tmpfs for the full-disk test (run as root, as .ci/run does): ${String((e as Error).message).split('\n')[0]}`);
    }
  });
  after(() => {
    if (mounted) execFileSync('umount', [mnt]);
    t?.cleanup();
  });

  it('a backup that does not fit fails with BACKUP_NO_SPACE and a hint (on the calling thread and on worker threads); the repository still verifies and restores', async () => {
    const rng = new Rng('full');
    const src = join(t.dir, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'small.bin'), rng.bytes(2 << 20));
    writeFileSync(join(src, 'notes.txt'), 'hello\n'.repeat(1000));
    const repoDir = join(mnt, 'repo');
    const repo = await initRepository(repoDir, { packSize: 1 << 20 });
    const first = await repo.backup([{ service: 'files', root: src }], META);
    const before = treeOf(src);

    writeFileSync(join(src, 'big.bin'), rng.bytes(12 << 20));
    const e = await rejectsWith(() => repo.backup([{ service: 'files', root: src }], META), 'BACKUP_NO_SPACE');
    assert.match(e.message, /no space left/);
    assert.match(e.hint!, /free space/);
    // the same on worker threads, which write their packs themselves
    const onThreads = await rejectsWith(() => repo.backup([{ service: 'files', root: src }], META, { threads: 2 }), 'BACKUP_NO_SPACE');
    assert.match(onThreads.message, /no space left/);
    assert.equal(await repo.lockHolder(), undefined, 'lock released');

    const again = await openRepository(repoDir);
    assert.deepEqual((await again.snapshots()).map((s) => s.id), [first.snapshot.id]);
    const v = await again.verify({ readData: true });
    assert.ok(v.ok, JSON.stringify(v.problems));
    const out = join(t.dir, 'out');
    await again.restore(first.snapshot.id, { target: out });
    assertSameTree(join(out, 'files'), before);

    // prune frees what the failed backup left, and the next backup that fits succeeds
    await again.prune();
    assert.deepEqual(readdirSync(join(repoDir, 'tmp')), []);
    writeFileSync(join(src, 'big.bin'), rng.bytes(1 << 20));
    const ok = await again.backup([{ service: 'files', root: src }], META);
    assert.ok((await again.verify({ readData: true })).ok);
    assert.equal(ok.summary.filesNew, 1);
  });
});
