import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initRepository, type BackupRepository, type VerifyReport } from '../../src/core/backup/repo';
import { writeIndexFile } from '../../src/core/backup/repo/index-store';
import { FOOTER_LEN, HEADER_LEN, packPath } from '../../src/core/backup/repo/pack';
import type { Repository } from '../../src/core/backup/repo/repository';
import { Rng } from '../fixtures/backup/dataset';
import { META, tempDir } from '../fixtures/backup/helpers';

/**
 * Every byte of a pack is covered by `verify --read-data`: the header (magic, version, the 7
 * padding bytes), each blob (codec byte and payload), the trailer and the footer. Flipping any
 * one of them is reported as an error naming the pack; a clean repository verifies clean.
 */
describe('backup repository: verify --read-data covers every byte of a pack', function () {
  this.timeout(180_000);
  let t: ReturnType<typeof tempDir>;
  const rng = new Rng('pack-coverage');

  beforeEach(() => {
    t = tempDir();
  });
  afterEach(() => t.cleanup());

  /** A repository with one pack of three blobs (compressible text, random bytes, text). */
  async function onePack(codec: 'brotli' | 'deflate'): Promise<{ repo: BackupRepository; id: string; file: string }> {
    const src = join(t.dir, 'src');
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'a.txt'), 'hello world '.repeat(60));
    writeFileSync(join(src, 'b.bin'), rng.bytes(300));
    writeFileSync(join(src, 'c.txt'), 'lorem ipsum dolor '.repeat(30));
    const repo = await initRepository(join(t.dir, 'repo'), { compression: { codec, level: 1 } });
    await repo.backup([{ service: 'files', root: src }], META);
    const index = await (repo as Repository).loadIndex();
    assert.equal(index.packs.size, 1);
    const id = [...index.packs.keys()][0]!;
    assert.equal(index.packs.get(id)!.blobs.length, 3);
    return { repo, id, file: packPath(repo.dir, id) };
  }

  /**
   * Rewrite the index with or without each pack's SHA-256: as a repository whose packs had none
   * recorded (older versions), or one whose brotli packs had it (versions before packHashNeeded).
   */
  async function rewritePackHashes(repo: BackupRepository, hashed: boolean): Promise<void> {
    const index = await (repo as Repository).loadIndex();
    const packs = [...index.packs.values()].map((p) => ({
      id: p.id,
      size: p.size,
      blobs: p.blobs,
      ...(hashed ? { sha256: createHash('sha256').update(readFileSync(packPath(repo.dir, p.id))).digest('hex') } : {}),
    }));
    const name = await writeIndexFile(repo.dir, packs, undefined);
    for (const f of index.files) if (f !== name) rmSync(join(repo.dir, 'index', f));
    const again = await (repo as Repository).loadIndex();
    assert.equal(again.packs.get(packs[0]!.id)!.sha256 !== undefined, hashed, `the index records ${hashed ? 'a' : 'no'} pack hash now`);
  }

  const names = (r: VerifyReport, pack: string) => r.problems.some((p) => p.severity === 'error' && p.pack === pack && p.message.includes(pack.slice(0, 12)));

  /** Flip each byte of the pack in turn (xor `mask`); the offsets verify did not report. */
  async function sweep(repo: BackupRepository, id: string, file: string, mask: number): Promise<number[]> {
    const orig = readFileSync(file);
    const missed: number[] = [];
    try {
      for (let i = 0; i < orig.length; i++) {
        const b = Buffer.from(orig);
        b[i] = b[i]! ^ mask;
        writeFileSync(file, b);
        const r = await repo.verify({ readData: true, threads: 0 });
        if (r.ok || !names(r, id)) missed.push(i);
      }
    } finally {
      writeFileSync(file, orig);
    }
    return missed;
  }

  it('a clean repository verifies clean, with and without worker threads; the index records a pack\'s SHA-256 for deflate only', async () => {
    for (const codec of ['brotli', 'deflate'] as const) {
      const { repo, id } = await onePack(codec);
      for (const threads of [0, 2]) {
        const r = await repo.verify({ readData: true, threads });
        assert.deepEqual(r.problems, [], `${codec}, threads ${threads}`);
        assert.equal(r.packsRead, 1);
      }
      const index = await (repo as Repository).loadIndex();
      if (codec === 'deflate') assert.match(index.packs.get(id)!.sha256 ?? '', /^[0-9a-f]{64}$/);
      else assert.equal(index.packs.get(id)!.sha256, undefined, 'brotli: every byte is covered without it');
      rmSync(repo.dir, { recursive: true });
      rmSync(join(t.dir, 'src'), { recursive: true });
    }
  });

  it('each region flipped (header magic, version, padding, blob codec byte, payload, trailer, footer) is reported, naming the pack (worker threads too)', async () => {
    const { repo, id, file } = await onePack('brotli');
    const orig = readFileSync(file);
    const index = await (repo as Repository).loadIndex();
    const blobs = [...index.packs.get(id)!.blobs].sort((a, b) => a.offset - b.offset);
    const regions: Record<string, number> = {
      'header magic': 0,
      'header version': 8,
      'header padding (first)': 9,
      'header padding (last)': HEADER_LEN - 1,
      'blob codec byte': blobs[1]!.offset,
      'blob payload': blobs[1]!.offset + 5,
      'last byte of a blob': blobs[0]!.offset + blobs[0]!.length - 1,
      trailer: blobs.at(-1)!.offset + blobs.at(-1)!.length + 2,
      'footer length': orig.length - FOOTER_LEN,
      'footer checksum': orig.length - FOOTER_LEN + 6,
      'footer magic': orig.length - 1,
    };
    for (const [what, at] of Object.entries(regions)) {
      for (const threads of [0, 2]) {
        const b = Buffer.from(orig);
        b[at] = b[at]! ^ 0x01;
        writeFileSync(file, b);
        const r = await repo.verify({ readData: true, threads });
        assert.equal(r.ok, false, `${what} (byte ${at}, threads ${threads}) not reported`);
        assert.ok(names(r, id), `${what} (threads ${threads}): no error names pack ${id.slice(0, 12)}: ${JSON.stringify(r.problems)}`);
      }
    }
    writeFileSync(file, orig);
    assert.equal((await repo.verify({ readData: true })).ok, true, 'clean again');
  });

  it('the padding of a pack with no SHA-256 in its index is checked too: it must be zero', async () => {
    const { repo, id, file } = await onePack('brotli');
    assert.equal((await repo.verify({ readData: true, threads: 0 })).ok, true, 'clean before');
    const orig = readFileSync(file);
    for (let at = 9; at < HEADER_LEN; at++) {
      const b = Buffer.from(orig);
      b[at] = 0x20;
      writeFileSync(file, b);
      const r = await repo.verify({ readData: true, threads: 2 });
      const p = r.problems.find((x) => x.pack === id);
      assert.ok(p, `padding byte ${at}: ${JSON.stringify(r.problems)}`);
      assert.match(p.message, /header padding .*not zero/);
    }
    writeFileSync(file, orig);
  });

  it('every byte, one at a time: brotli pack (no hash in the index: the blob checks cover every byte)', async () => {
    const { repo, id, file } = await onePack('brotli');
    assert.deepEqual(await sweep(repo, id, file, 0x01), []);
  });

  it('every byte, one at a time: deflate pack, top bits (the padding bits after a deflate stream are covered by the pack hash)', async () => {
    const { repo, id, file } = await onePack('deflate');
    assert.deepEqual(await sweep(repo, id, file, 0x80), []);
  });

  it('every byte, one at a time: brotli pack with a hash in the index (written by an earlier version)', async () => {
    const { repo, id, file } = await onePack('brotli');
    await rewritePackHashes(repo, true);
    assert.deepEqual(await sweep(repo, id, file, 0x01), []);
  });
});
