/** The workers' table of the ids a repository has (known-ids.ts): 32-byte ids in an open-addressing table. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { KnownIds, NewIds } from '../../src/core/backup/repo/known-ids';

const id = (n: number) => createHash('sha256').update(`blob ${n}`).digest();

describe('backup repository: the known-id table of the worker threads', () => {
  it('finds every id it was given and none other, in any order given, empty too', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => id(i));
    const table = KnownIds.of(ids.map((b) => b.toString('hex')).reverse());
    assert.equal(table.size, 1000);
    assert.equal(table.shared.byteLength, 4 + 4 * 2048 + 32 * 1000, 'a count, 2048 slots, 32 bytes an id');
    for (const b of ids) assert.ok(table.has(b), b.toString('hex'));
    for (let i = 1000; i < 2000; i++) assert.equal(table.has(id(i)), false);
    assert.equal(KnownIds.of([]).has(id(1)), false);
  });

  it('ids whose first 4 bytes agree (one slot) are told apart by the rest', () => {
    const a = id(1);
    const b = Buffer.from(a);
    b.writeUInt8(b[31]! ^ 1, 31);
    const c = Buffer.from(a);
    c.writeUInt8(c[5]! ^ 1, 5);
    const table = KnownIds.fromIds(Buffer.concat([a, b]), 2);
    assert.ok(table.has(a));
    assert.ok(table.has(b));
    assert.equal(table.has(c), false);
  });

  it('is read as it is from the shared buffer (what a worker thread gets)', () => {
    const table = KnownIds.of([id(1), id(2)].map((b) => b.toString('hex')));
    const seen = new KnownIds(table.shared);
    assert.ok(seen.has(id(2)));
    assert.equal(seen.has(id(3)), false);
  });
});

describe('backup repository: the new-blob table the worker threads claim in', () => {
  it('gives each id to the first claim only, seen through every view of the shared buffer', () => {
    const table = NewIds.create(100);
    const other = new NewIds(table.shared);
    for (let i = 0; i < 500; i++) assert.equal(table.claim(id(i)), true, `first claim of ${i}`);
    for (let i = 0; i < 500; i++) assert.equal(other.claim(id(i)), false, `second claim of ${i}, another thread's view`);
    assert.equal(table.shared.byteLength, 36 * 1024, 'at least 1024 slots, a power of two');
  });

  it('says when it is full instead of claiming (the thread then decides alone)', () => {
    const table = NewIds.create(1);
    let claimed = 0;
    for (let i = 0; i < 5000; i++) {
      const c = table.claim(id(i));
      if (c === undefined) break;
      assert.equal(c, true);
      claimed++;
    }
    assert.ok(claimed > 512 && claimed <= 1024, `${claimed} claims fit in 1024 slots, then it says it is full`);
    assert.equal(table.claim(id(claimed)), undefined, 'the same answer again');
    assert.equal(table.claim(id(3)), false, 'what it holds is still found');
  });
});
