import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { initRepository, openRepository } from '../../src/core/backup/repo';
import { changeDataset, generateDataset, type Dataset } from '../fixtures/backup/dataset';
import { assertSameTree, META, runChild, tempDir, treeOf } from '../fixtures/backup/helpers';

/** Crash safety: real processes, SIGKILLed in the middle of writing. */
describe('backup repository: kill -9 during backup and prune (child processes)', function () {
  this.timeout(180_000);
  let t: ReturnType<typeof tempDir>;
  afterEach(() => t?.cleanup());

  const gen = (root: string, seed: string): Dataset =>
    generateDataset(root, { seed, randomBytes: 40 << 20, randomFiles: 30, logBytes: 8 << 20, logFiles: 2, dbBytes: 16 << 20 });

  it('a backup killed mid-way leaves no snapshot and no damage; the previous snapshot restores byte for byte', async () => {
    t = tempDir();
    const src = join(t.dir, 'src');
    const ds = gen(src, 'crash-a');
    const repoDir = join(t.dir, 'repo');
    // small packs so the kill lands while packs are being written
    const repo = await initRepository(repoDir, { packSize: 2 << 20 });
    const first = await repo.backup([{ service: 'data', root: src }], META);
    const before = treeOf(src);

    // new content the killed backup was writing
    gen(join(src, 'more'), 'crash-b');
    changeDataset(ds, 0.05);
    for (const killAt of [0.2, 0.6]) {
      const child = runChild(['backup', repoDir, src]);
      const hit = await child.waitFor((l) => l.phase === 'backup' && Number(l.bytesAdded) > 4 << 20 && Number(l.bytesDone) > killAt * Number(l.bytesTotal));
      child.proc.kill('SIGKILL');
      const { signal } = await child.exited;
      assert.equal(signal, 'SIGKILL');
      assert.ok(!child.lines.some((l) => (l as { done?: string }).done), 'killed before it finished');
      assert.ok(Number(hit.bytesAdded) > 0);
    }

    const reopened = await openRepository(repoDir);
    const snaps = await reopened.snapshots();
    assert.deepEqual(snaps.map((s) => s.id), [first.snapshot.id], 'no half snapshot');
    const v = await reopened.verify({ readData: true });
    assert.ok(v.ok, JSON.stringify(v.problems.filter((p) => p.severity === 'error')));
    assert.deepEqual(v.damaged, []);
    // what the killed runs left: packs nobody references, maybe temp files; reported as warnings
    assert.ok(v.problems.every((p) => p.kind === 'pack-unindexed' || p.kind === 'temp-leftover'), JSON.stringify(v.problems));
    assert.ok(v.problems.some((p) => p.kind === 'pack-unindexed'), 'the killed backups had written packs');

    const out = join(t.dir, 'out');
    await reopened.restore(first.snapshot.id, { target: out });
    assertSameTree(join(out, 'data'), before);

    // the dead writer's lock is taken over; the next backup and prune complete; verify is clean
    const lock = await reopened.lockHolder();
    assert.ok(!lock || !lock.alive);
    const next = await reopened.backup([{ service: 'data', root: src }], META);
    const pr = await reopened.prune();
    assert.ok(pr.packsDeleted > 0, 'leftover packs removed');
    const v2 = await reopened.verify({ readData: true });
    assert.ok(v2.ok);
    assert.deepEqual(v2.problems, []);
    assert.deepEqual(readdirSync(join(repoDir, 'tmp')), []);
    const out2 = join(t.dir, 'out2');
    await reopened.restore(next.snapshot.id, { target: out2 });
    assertSameTree(join(out2, 'data'), src);
  });

  it('a prune killed mid-way leaves a repository that verifies and restores every snapshot', async () => {
    t = tempDir();
    const src = join(t.dir, 'src');
    const ds = gen(src, 'prune-a');
    const repoDir = join(t.dir, 'repo');
    const repo = await initRepository(repoDir, { packSize: 2 << 20 });
    const a = await repo.backup([{ service: 'data', root: src }], META);
    changeDataset(ds, 0.2, 'c1');
    const b = await repo.backup([{ service: 'data', root: src }], META);
    const treeB = treeOf(src);
    changeDataset(ds, 0.2, 'c2');
    const c = await repo.backup([{ service: 'data', root: src }], META);
    const treeC = treeOf(src);
    await repo.removeSnapshots([a.snapshot.id]);

    // kill once while repacking, once while deleting
    for (const phase of ['repack', 'delete']) {
      const child = runChild(['prune', repoDir]);
      await child.waitFor((l) => l.phase === phase && Number(l.packsDone) >= 1);
      child.proc.kill('SIGKILL');
      await child.exited;
      const v = await (await openRepository(repoDir)).verify({ readData: true });
      assert.ok(v.ok, `after a kill during ${phase}: ${JSON.stringify(v.problems.filter((p) => p.severity === 'error'))}`);
      for (const [snap, tree] of [[b, treeB], [c, treeC]] as const) {
        const out = join(t.dir, `out-${phase}-${snap.snapshot.id.slice(0, 6)}`);
        await repo.restore(snap.snapshot.id, { target: out });
        assertSameTree(join(out, 'data'), tree);
      }
    }
    const pr = await repo.prune();
    const v = await repo.verify({ readData: true });
    assert.ok(v.ok);
    assert.deepEqual(v.problems, []);
    assert.ok(pr.packsAfter > 0);
  });
});
