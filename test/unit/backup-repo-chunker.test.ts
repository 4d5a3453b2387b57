import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chunkLengths, chunkStream, DEFAULT_CHUNKER, fixedCutter, gearTable, makeCutter, sqliteChunkSize } from '../../src/core/backup/repo/chunker';
import { logText, Rng } from '../fixtures/backup/dataset';

const hashes = (data: Buffer, lengths: number[]) => {
  const out: string[] = [];
  let o = 0;
  for (const l of lengths) {
    out.push(createHash('sha256').update(data.subarray(o, o + l)).digest('hex'));
    o += l;
  }
  return out;
};

/** Chunks of `b` that `a` does not have. */
const newChunks = (a: string[], b: string[]) => {
  const have = new Set(a);
  return b.filter((h) => !have.has(h)).length;
};

describe('backup repository: content-defined chunking', function () {
  this.timeout(60_000);
  const cutter = makeCutter();
  const data = new Rng('chunker').bytes(48 << 20);
  const base = chunkLengths(data, cutter);
  const baseHashes = hashes(data, base);

  it('generates the gear table deterministically from its seed', () => {
    assert.deepEqual(gearTable(42), gearTable(42));
    assert.notDeepEqual(gearTable(42), gearTable(43));
    const t = gearTable(DEFAULT_CHUNKER.seed);
    assert.equal(new Set(t).size, 256, 'no repeated gear values');
  });

  it('keeps chunk sizes within bounds, averaging about 1 MiB', () => {
    const { minSize, maxSize } = DEFAULT_CHUNKER;
    assert.equal(base.reduce((a, b) => a + b, 0), data.length);
    for (const l of base.slice(0, -1)) assert.ok(l >= minSize && l <= maxSize, `chunk of ${l} bytes`);
    const mean = data.length / base.length;
    assert.ok(mean > 0.8 * 1048576 && mean < 1.4 * 1048576, `mean ${Math.round(mean / 1024)} KiB`);
  });

  it('cuts the same boundaries whatever the read sizes (streaming)', async () => {
    const small = makeCutter({ minSize: 1024, avgSize: 4096, maxSize: 16384, seed: 7 });
    const d = new Rng('stream').bytes(3 << 20);
    const whole = chunkLengths(d, small);
    const rng = new Rng('pieces');
    async function* pieces() {
      let o = 0;
      while (o < d.length) {
        const n = 1 + rng.int(40_000);
        const piece = Buffer.from(d.subarray(o, o + n));
        o += n;
        yield piece;
        piece.fill(0); // the chunker must have copied it already
      }
    }
    const streamed: number[] = [];
    for await (const c of chunkStream(pieces(), small)) streamed.push(c.length);
    assert.deepEqual(streamed, whole);
  });

  it('an insertion changes only the chunks around it', () => {
    for (const at of [5 << 20, 17_000_123, 40 << 20]) {
      const inserted = Buffer.concat([data.subarray(0, at), Buffer.from('a few bytes inserted here'), data.subarray(at)]);
      const h = hashes(inserted, chunkLengths(inserted, cutter));
      const fresh = newChunks(baseHashes, h);
      assert.ok(fresh >= 1 && fresh <= 2, `${fresh} new chunks after inserting at ${at}`);
      // the chunks before the insertion point are the same ones, in the same order
      let o = 0;
      let i = 0;
      while (o + base[i]! <= at) o += base[i++]!;
      assert.deepEqual(h.slice(0, i), baseHashes.slice(0, i));
    }
  });

  it('a deletion and an overwrite change only the chunks around them', () => {
    const del = Buffer.concat([data.subarray(0, 9_000_000), data.subarray(9_000_500)]);
    assert.ok(newChunks(baseHashes, hashes(del, chunkLengths(del, cutter))) <= 2);
    const over = Buffer.from(data);
    new Rng('over').bytes(64 * 1024).copy(over, 30 << 20);
    assert.ok(newChunks(baseHashes, hashes(over, chunkLengths(over, cutter))) <= 2);
  });

  it('shifting everything (a prefix added) keeps all chunks but the first', () => {
    const shifted = Buffer.concat([Buffer.from('header'), data]);
    assert.ok(newChunks(baseHashes, hashes(shifted, chunkLengths(shifted, cutter))) <= 2);
  });

  it('cuts at maxSize on data without natural boundaries, and handles tiny inputs', () => {
    const zeros = Buffer.alloc(10 << 20);
    const l = chunkLengths(zeros, cutter);
    assert.ok(l.slice(0, -1).every((x) => x === DEFAULT_CHUNKER.maxSize));
    assert.deepEqual(chunkLengths(Buffer.from('tiny'), cutter), [4]);
    assert.deepEqual(chunkLengths(Buffer.alloc(0), cutter), []);
  });

  it('refuses inconsistent sizes', () => {
    assert.throws(() => makeCutter({ minSize: 1 << 20, avgSize: 1 << 20, maxSize: 4 << 20, seed: 1 }), RangeError);
  });

  it('cuts a SQLite database on page boundaries (page size from its header, at least 4 KiB)', () => {
    const head = (page: number) => {
      const b = Buffer.alloc(100);
      b.write('SQLite format 3\0', 0, 'latin1');
      b.writeUInt16BE(page === 65536 ? 1 : page, 16);
      return b;
    };
    assert.equal(sqliteChunkSize(head(4096)), 4096);
    assert.equal(sqliteChunkSize(head(65536)), 65536);
    assert.equal(sqliteChunkSize(head(1024)), 4096, 'small pages are grouped');
    assert.equal(sqliteChunkSize(head(3000)), undefined, 'not a power of two');
    assert.equal(sqliteChunkSize(data.subarray(0, 100)), undefined, 'not a SQLite file');
    assert.equal(sqliteChunkSize(head(4096).subarray(0, 50)), undefined, 'too short to tell');
    const file = Buffer.concat([head(4096), data.subarray(100, 10 * 4096 + 123)]);
    assert.deepEqual(chunkLengths(file, fixedCutter(DEFAULT_CHUNKER, 4096)), [...Array(10).fill(4096), 123]);
  });

  it('cuts exactly where the gear hash of one byte at a time says (the boundaries of every existing repository)', () => {
    // the definition, byte by byte: the boundaries of every existing repository depend on it
    const reference = (G: Int32Array, p: { minSize: number; avgSize: number; maxSize: number }, buf: Uint8Array): number[] => {
      const bits = Math.round(Math.log2(p.avgSize));
      const top = (n: number) => (0xffffffff << (32 - n)) | 0;
      const out: number[] = [];
      for (let start = 0; start < buf.length; ) {
        const avail = buf.length - start;
        let len = Math.min(avail, p.maxSize);
        if (avail > p.minSize) {
          let h = 0;
          for (let i = start + p.minSize - 32; i < start + len; i++) {
            h = ((h << 1) + G[buf[i]!]!) | 0;
            const mask = i < start + Math.min(len, p.avgSize) ? top(bits + 2) : top(bits - 2);
            if (i >= start + p.minSize && (h & mask) === 0) {
              len = i + 1 - start;
              break;
            }
          }
        }
        out.push(len);
        start += len;
      }
      return out;
    };
    const rng = new Rng('chunker-reference');
    const data = Buffer.concat([logText(rng, 3 << 20), rng.bytes(2 << 20), Buffer.alloc(1 << 20, 7), logText(rng, 1 << 20)]);
    for (const p of [DEFAULT_CHUNKER, { minSize: 2048, avgSize: 8192, maxSize: 32768, seed: 7 }, { minSize: 64, avgSize: 256, maxSize: 1024, seed: 1 }]) {
      const lengths = chunkLengths(data, makeCutter(p));
      assert.deepEqual(lengths, reference(gearTable(p.seed), p, data), `sizes ${p.minSize}/${p.avgSize}/${p.maxSize}`);
      assert.ok(lengths.length > 5, `${lengths.length} chunks`);
    }
  });
});
