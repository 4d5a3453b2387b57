import assert from 'node:assert/strict';
import type { Snapshot, SnapshotEntry } from '../../src/core/backup/repo';
import { diffSnapshots } from '../../src/core/backup/repo/repository';

describe('backup repository: diff compares files by their chunks', () => {
  const file = (path: string, chunks: string[], sha256?: string): SnapshotEntry => ({ path, service: 's', type: 'file', mode: 0o644, mtime: 1, size: 10, chunks, ...(sha256 ? { sha256 } : {}) });
  const snap = (id: string, entries: SnapshotEntry[]) => ({ id, entries }) as unknown as Snapshot;
  const [c1, c2, h1, h2] = ['1', '2', 'a', 'b'].map((x) => x.repeat(64)) as [string, string, string, string];

  it('same chunks: unchanged; other chunks: content; a whole-file hash counts where both entries have one', () => {
    const d = diffSnapshots(
      snap('a', [file('same', [c1]), file('other', [c1]), file('old-new', [c1], h1), file('both-hashed', [c1], h1)]),
      snap('b', [file('same', [c1]), file('other', [c2]), file('old-new', [c1]), file('both-hashed', [c2], h1)]),
    );
    assert.deepEqual(d.changed.map((c) => [c.path, c.what]), [['other', ['content']]]);
    assert.equal(d.unchanged, 3);
    const e = diffSnapshots(snap('a', [file('f', [c1], h1)]), snap('b', [file('f', [c1], h2)]));
    assert.deepEqual(e.changed.map((c) => [c.path, c.what]), [['f', ['content']]]);
  });
});
