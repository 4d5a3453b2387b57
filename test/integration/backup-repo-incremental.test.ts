import assert from 'node:assert/strict';
import { join } from 'node:path';
import { initRepository } from '../../src/core/backup/repo';
import { changeDataset, generateDataset } from '../fixtures/backup/dataset';
import { assertSameTree, META, tempDir } from '../fixtures/backup/helpers';

describe('backup repository: incremental backup of a ~50 MB data set (default chunker)', function () {
  this.timeout(120_000);
  let t: ReturnType<typeof tempDir>;
  after(() => t?.cleanup());

  it('after changing ~1 % of the data, stores roughly 1 % new bytes (< 5 %)', async () => {
    t = tempDir();
    const src = join(t.dir, 'src');
    const ds = generateDataset(src, { seed: 'incr', randomBytes: 28 << 20, randomFiles: 40, logBytes: 12 << 20, logFiles: 3, dbBytes: 12 << 20 });
    const repo = await initRepository(join(t.dir, 'repo'));
    const first = await repo.backup([{ service: 'app', root: src }], META);
    assert.equal(first.summary.bytesTotal, ds.bytes);

    const change = changeDataset(ds, 0.01);
    const ratioChanged = change.bytesChanged / ds.bytes;
    assert.ok(ratioChanged > 0.008 && ratioChanged < 0.013, `changed ${(ratioChanged * 100).toFixed(2)} %`);
    const second = await repo.backup([{ service: 'app', root: src }], META);
    const added = second.summary.bytesAdded / second.summary.bytesTotal;
    console.log(
      `      data set ${(ds.bytes / 1048576).toFixed(1)} MiB, changed ${(ratioChanged * 100).toFixed(2)} % → stored ${(second.summary.bytesAdded / 1048576).toFixed(2)} MiB new = ${(added * 100).toFixed(2)} % (read ${(second.summary.bytesRead / 1048576).toFixed(1)} MiB, ${second.summary.filesUnchanged} files unchanged)`,
    );
    assert.ok(added < 0.05, `incremental stored ${(added * 100).toFixed(2)} % of the data set`);
    assert.ok(second.summary.filesUnchanged > 30, 'unchanged files are skipped by size and mtime');
    assert.ok(second.summary.bytesRead < ds.bytes / 2, 'and not read');

    const out = join(t.dir, 'out');
    await repo.restore(second.snapshot.id, { target: out });
    assertSameTree(join(out, 'app'), src);
  });
});
