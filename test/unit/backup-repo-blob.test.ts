import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decodeBlobSync, encodeBlobPartsSync, encodeBlobSync } from '../../src/core/backup/repo/blob';

const brotli0 = { codec: 'brotli', level: 0 } as const;
const deflate1 = { codec: 'deflate', level: 1 } as const;

/** Log-like text: compresses well everywhere. */
const logLines = (bytes: number): Buffer => {
  const lines: string[] = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const line = `2026-12-07T13:${String(i % 60).padStart(2, '0')}:00Z INFO request ${i} served in ${i % 97} ms\n`;
    lines.push(line);
    n += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, bytes);
};

describe('backup repository: blob encoding on a worker thread (encodeBlobPartsSync)', () => {
  for (const setting of [brotli0, deflate1]) {
    it(`${setting.codec}: the pieces joined are the one-buffer form, and decode to the plaintext`, () => {
      const plain = logLines(1 << 20);
      const { parts, codec } = encodeBlobPartsSync(plain, setting);
      assert.equal(codec, setting.codec);
      assert.equal(parts.length, 2); // the codec byte, the payload: no copy to join them
      assert.equal(parts[0]!.length, 1);
      const joined = Buffer.concat(parts);
      assert.ok(joined.equals(encodeBlobSync(plain, setting).data));
      assert.ok(joined.length < plain.length / 4, `${joined.length} bytes stored`);
      assert.ok(decodeBlobSync(joined, undefined, plain.length).equals(plain));
    });
  }

  it('a blob whose middle compresses far better than the rest (the output outgrows its sampled size) still round-trips', () => {
    // random bytes around a compressible middle: the sample predicts a small output, the blob's is large
    const plain = Buffer.concat([randomBytes(700 * 1024), Buffer.alloc(64 * 1024, 0x61), randomBytes(700 * 1024)]);
    for (const setting of [brotli0, deflate1]) {
      const { parts, codec } = encodeBlobPartsSync(plain, setting);
      assert.equal(codec, setting.codec);
      const stored = Buffer.concat(parts);
      assert.ok(stored.length > 1300 * 1024, `${stored.length} bytes stored`);
      assert.ok(decodeBlobSync(stored, undefined, plain.length).equals(plain));
    }
  });

  it('an incompressible blob is stored as is, its payload a view of the plaintext (no copy)', () => {
    const plain = randomBytes(512 * 1024);
    const { parts, codec } = encodeBlobPartsSync(plain, brotli0);
    assert.equal(codec, 'none');
    assert.equal(parts[1]!.buffer, plain.buffer);
    assert.ok(decodeBlobSync(Buffer.concat(parts), undefined, plain.length).equals(plain));
  });

  it('sealed with a key: one piece, opened only with that key', () => {
    const key = randomBytes(32);
    const plain = logLines(300 * 1024);
    const { parts } = encodeBlobPartsSync(plain, brotli0, key);
    assert.equal(parts.length, 1);
    assert.ok(decodeBlobSync(parts[0]!, key, plain.length).equals(plain));
    assert.throws(() => decodeBlobSync(parts[0]!, randomBytes(32), plain.length), /authentication failed/);
  });
});
