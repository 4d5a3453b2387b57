import assert from 'node:assert/strict';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initRepository } from '../../src/core/backup/repo';
import { changeDataset, generateDataset, Rng } from '../fixtures/backup/dataset';
import { assertSameTree, META, tempDir, treeOf, type TreeEntry } from '../fixtures/backup/helpers';

describe('backup repository: forget + prune', function () {
  this.timeout(120_000);
  let t: ReturnType<typeof tempDir>;
  afterEach(() => t?.cleanup());

  it('frees space, repacks partly used packs, and every remaining snapshot restores byte for byte', async () => {
    t = tempDir();
    const src = join(t.dir, 'src');
    const ds = generateDataset(src, { seed: 'prune', randomBytes: 12 << 20, randomFiles: 20, logBytes: 4 << 20, logFiles: 2, dbBytes: 6 << 20 });
    const repo = await initRepository(join(t.dir, 'repo'), { packSize: 4 << 20 });
    const trees = new Map<string, Map<string, TreeEntry>>();
    const rng = new Rng('prune-days');
    for (let day = 1; day <= 6; day++) {
      if (day > 1) changeDataset(ds, 0.15, `day${day}`);
      writeFileSync(join(src, `files/daily-${day}.bin`), rng.bytes(1 << 20));
      if (day > 2) rmSync(join(src, `files/daily-${day - 2}.bin`));
      const r = await repo.backup([{ service: 'app', root: src }], { ...META, time: Date.UTC(2026, 0, day, 3) });
      trees.set(r.snapshot.id, treeOf(src));
    }
    const f = await repo.forget({ last: 2 }, { timeZone: 'UTC' });
    assert.equal(f.remove.length, 4);
    const before = await repo.stats();
    const dry = await repo.prune({ dryRun: true });
    assert.ok(dry.bytesFreed > 0);
    assert.deepEqual(await repo.stats(), before, 'dry run changes nothing');

    const p = await repo.prune();
    assert.ok(p.packsDeleted + p.packsRepacked > 0);
    assert.ok(p.bytesFreed > 0);
    assert.ok(Math.abs(p.bytesFreed - dry.bytesFreed) < 1 << 20, `dry run estimate ${dry.bytesFreed} vs ${p.bytesFreed}`);
    const after = await repo.stats();
    assert.ok(after.diskBytes < before.diskBytes - p.bytesFreed + (1 << 20), `${after.diskBytes} on disk after, ${before.diskBytes} before`);
    assert.equal(after.indexFiles, 1, 'one consolidated index');
    assert.ok(after.storedBytes < before.storedBytes);
    console.log(`      prune: ${(before.diskBytes / 1048576).toFixed(1)} MiB → ${(after.diskBytes / 1048576).toFixed(1)} MiB (${p.packsDeleted} packs deleted, ${p.packsRepacked} repacked into ${p.packsWritten})`);

    const v = await repo.verify({ readData: true });
    assert.ok(v.ok);
    assert.deepEqual(v.problems, []);
    for (const s of await repo.snapshots()) {
      const out = join(t.dir, `out-${s.id.slice(0, 8)}`);
      await repo.restore(s.id, { target: out });
      assertSameTree(join(out, 'app'), trees.get(s.id)!);
    }
    // nothing left to do the second time
    const again = await repo.prune();
    assert.equal(again.packsDeleted + again.packsRepacked, 0);
    assert.deepEqual(readdirSync(join(t.dir, 'repo/tmp')), []);
  });
});
