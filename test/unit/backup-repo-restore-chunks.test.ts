import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { RestoreChunkTable, restoreChunks, type ChunkPlace } from '../../src/core/backup/repo/restore-chunks';

const sha = (s: string) => createHash('sha256').update(s).digest();

describe('backup repository: a restore job\'s chunk table (restore-chunks.ts)', () => {
  it('holds each chunk\'s id, pack, offset and lengths; each pack once', () => {
    const ids = ['a', 'b', 'c', 'a'].map((s) => sha(s).toString('hex'));
    const places: Record<string, ChunkPlace> = {
      [ids[0]!]: { pack: '/repo/data/11/p1', offset: 5, length: 100, rawLength: 4096 },
      [ids[1]!]: { pack: '/repo/data/22/p2', offset: 2 ** 33 + 7, length: 0xffff_fff0, rawLength: 1 },
      [ids[2]!]: { pack: '/repo/data/11/p1', offset: 105, length: 3, rawLength: 3 },
    };
    const chunks = restoreChunks(ids, (id) => places[id]!);
    assert.deepEqual(chunks.packs, ['/repo/data/11/p1', '/repo/data/22/p2']);
    assert.equal(chunks.table.buffer.byteLength, chunks.table.length, 'a table of its own (cloned whole to the thread)');
    const t = new RestoreChunkTable(structuredClone(chunks));
    assert.equal(t.count, 4);
    ids.forEach((id, i) => {
      const p = places[id]!;
      assert.equal(t.id(i), id);
      assert.equal(t.pack(i), p.pack);
      assert.equal(t.offset(i), p.offset);
      assert.equal(t.length(i), p.length);
      assert.equal(t.rawLength(i), p.rawLength);
      assert.ok(t.is(i, Buffer.from(id, 'hex')));
      assert.ok(!t.is(i, sha('other')));
    });
    assert.equal(t.packNo(0), t.packNo(2));
    assert.notEqual(t.packNo(0), t.packNo(1));
  });

  it('refuses an id that is not 64 hex digits', () => {
    const place = (): ChunkPlace => ({ pack: 'p', offset: 0, length: 1, rawLength: 1 });
    assert.throws(() => restoreChunks(['abc'], place), /not a chunk id: abc/);
    assert.throws(() => restoreChunks(['zz'.repeat(32)], place), /not a chunk id/);
  });

  it('an empty file: no chunks, no packs', () => {
    const t = new RestoreChunkTable(restoreChunks([], () => assert.fail('no chunk to place')));
    assert.equal(t.count, 0);
  });
});
