import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MasterIndex, writeIndexFile } from '../../src/core/backup/repo/index-store';
import { tablePack, trailerPlain, type PackBlob, type PackInfo } from '../../src/core/backup/repo/pack';

/**
 * A worker thread's pack reaches the main thread as its trailer's table (no object or string per
 * blob): the index file and the in-memory index made from it are the ones made from the same
 * pack's blob objects.
 */
describe('backup repository: a pack posted as its trailer table', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'opsdeck-table-pack-'));
    mkdirSync(join(dir, 'index'));
    mkdirSync(join(dir, 'tmp'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const id = (n: number) => createHash('sha256').update(String(n)).digest('hex');
  const blobs: PackBlob[] = Array.from({ length: 300 }, (_, i) => ({ id: id(i), offset: 16 + i * 5000, length: 4000 + i, rawLength: 4096 }));
  const asObjects: PackInfo = { id: id(-1), size: 2_000_000, blobs };
  const asTable = tablePack({ id: id(-1), size: 2_000_000, table: trailerPlain(blobs) });

  it('its blobs, made when asked, are the pack\'s', () => {
    assert.deepEqual(asTable.blobs, blobs);
    assert.notEqual(asTable.blobs, asTable.blobs, 'made each time, not kept');
  });

  it('writes the same index file, byte for byte, as the blob objects do', async () => {
    const a = await writeIndexFile(dir, [asObjects]);
    const b = await writeIndexFile(dir, [asTable]);
    assert.equal(b, a, 'the same name (the SHA-256 of the same bytes)');
    assert.ok(readFileSync(join(dir, 'index', a)).length > blobs.length * 44);
    const mixed = await writeIndexFile(dir, [asTable, { id: id(-2), size: 100, blobs: [{ id: id(1000), offset: 16, length: 10, rawLength: 10 }] }]);
    const loaded = await MasterIndex.load(dir);
    assert.ok(loaded.files.includes(mixed));
    assert.deepEqual(loaded.get(id(1000)), { pack: id(-2), offset: 16, length: 10, rawLength: 10 });
  });

  it('adds the same entries to the index as the blob objects do', () => {
    const x = new MasterIndex();
    const y = new MasterIndex();
    x.addPack(asObjects, 'f');
    y.addPack(asTable, 'f');
    for (const b of blobs) {
      assert.deepEqual(y.get(b.id), { pack: asObjects.id, offset: b.offset, length: b.length, rawLength: b.rawLength });
      assert.deepEqual(y.get(b.id), x.get(b.id));
    }
    assert.equal(y.get(id(5000)), undefined);
    assert.deepEqual(y.packs.get(asObjects.id)!.blobs, blobs);
  });
});
