import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Snapshot, SnapshotEntry } from '../../src/core/backup/repo';
import { diffSnapshots } from '../../src/core/backup/repo/repository';
import { checkRestoredFile } from '../../src/core/backup/repo/restored-file-check';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('backup repository: the check of a restored file (its chunks against their ids)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'opsdeck-restored-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // chunks of uneven sizes, one larger than the read size, so windows refill mid-chunk
  const pieces = [randomBytes(3000), randomBytes(70_000), randomBytes(10), randomBytes(4096), randomBytes(1)];
  const data = Buffer.concat(pieces);
  const chunks = pieces.map((p) => ({ id: sha(p), rawLength: p.length }));
  const lend = (n: number) => Buffer.alloc(n);

  it('a file equal to its chunks passes, read through a window smaller than the file', () => {
    const f = join(dir, 'ok');
    writeFileSync(f, data);
    assert.deepEqual(checkRestoredFile(f, { chunks }, lend, 8192), { size: data.length });
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    assert.deepEqual(checkRestoredFile(empty, { chunks: [] }, lend, 8192), { size: 0 });
  });

  it('a changed byte names the chunk it falls in; a short file names the first chunk it cannot hold', () => {
    for (const [at, bad] of [[0, 0], [3000, 1], [72_999, 1], [73_000, 2], [data.length - 1, 4]] as const) {
      const f = join(dir, `flip-${at}`);
      const b = Buffer.from(data);
      b[at] = b[at]! ^ 0x01;
      writeFileSync(f, b);
      assert.deepEqual(checkRestoredFile(f, { chunks }, lend, 8192), { size: data.length, badChunk: chunks[bad]!.id }, `byte ${at}`);
    }
    const short = join(dir, 'short');
    writeFileSync(short, data.subarray(0, 73_015));
    assert.deepEqual(checkRestoredFile(short, { chunks }, lend, 8192), { size: 73_015, badChunk: chunks[3]!.id });
  });

  it('bytes past the last chunk are left to the size (the caller compares it)', () => {
    const f = join(dir, 'long');
    writeFileSync(f, Buffer.concat([data, Buffer.from('x')]));
    assert.deepEqual(checkRestoredFile(f, { chunks }, lend, 8192), { size: data.length + 1 });
  });

  it('a file an older snapshot recorded with its SHA-256 is hashed whole instead', () => {
    const f = join(dir, 'old');
    writeFileSync(f, data);
    assert.deepEqual(checkRestoredFile(f, { sha256: sha(data), chunks }, lend, 8192), { size: data.length, sha256: sha(data) });
  });
});

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
