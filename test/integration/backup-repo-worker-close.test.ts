/**
 * How the repository's worker threads end (worker.ts close()): a job under way stops at its next
 * read and runs its cleanup before the thread is terminated, and each thread gives up the pack it
 * was filling. Terminating a thread in the middle of a job left that pack in tmp/ (until a prune)
 * and could abort the whole process (Node 20 asserts when a thread ends between making a brotli
 * stream and starting it: CI saw it once, on a backup stopped by a failed quick_check).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initRepository } from '../../src/core/backup/repo';
import { Rng } from '../fixtures/backup/dataset';
import { META, tempDir } from '../fixtures/backup/helpers';

/** The files this process holds open under `dir`. */
function openUnder(dir: string): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(`${dir}/`)) out.push(target);
    } catch {
      // closed meanwhile (the readdir's own descriptor)
    }
  }
  return out;
}

/** `mib` MiB that compress a little: text lines with random numbers, as logs are. */
function logLike(file: string, mib: number, seed: string): void {
  const random = new Rng(seed).bytes(mib << 18); // 8 random bytes a line of ~40
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < mib << 20; i++) {
    const line = `${i} GET /api/items/${random.toString('hex', 8 * i, 8 * i + 6)} 200 ${random.readUInt16LE(8 * i + 6)}ms\n`;
    lines.push(line);
    size += line.length;
  }
  writeFileSync(file, lines.join(''));
}

describe('backup repository: worker threads end cleanly (a cancelled backup)', function () {
  this.timeout(120_000);
  let t: ReturnType<typeof tempDir>;
  let src: string;
  before(() => {
    t = tempDir();
    src = join(t.dir, 'src');
    mkdirSync(src);
    for (let i = 0; i < 2; i++) logLike(join(src, `app-${i}.log`), 24, `log-${i}`);
  });
  after(() => t.cleanup());

  it('a backup cancelled while its threads read: each ends its job at its next read; no file stays open, no pack is left in tmp/', async () => {
    const dir = join(t.dir, 'repo-cancel');
    const repo = await initRepository(dir, { chunker: { minSize: 2 << 10, avgSize: 4 << 10, maxSize: 16 << 10 } });
    const ac = new AbortController();
    let readWhenCancelled = 0;
    await assert.rejects(
      repo.backup([{ service: 'app', root: src }], META, {
        threads: 2,
        signal: ac.signal,
        onProgress: (p) => {
          if (p.bytesRead > 0 && !ac.signal.aborted) {
            readWhenCancelled = p.bytesRead;
            ac.abort();
          }
        },
      }),
      (e: Error & { code?: string }) => e.code === 'BACKUP_ABORTED',
    );
    assert.ok(readWhenCancelled > 0 && readWhenCancelled < 48 << 20, `cancelled in the middle of the reads (${readWhenCancelled} of ${48 << 20} bytes read)`);
    assert.deepEqual(openUnder(src), [], 'no source file is left open by a thread');
    assert.deepEqual(openUnder(dir), [], 'no pack file is left open by a thread');
    assert.deepEqual(readdirSync(join(dir, 'tmp')), [], 'the packs the threads were filling are removed');
    assert.deepEqual(await repo.snapshots(), [], 'no snapshot');
  });
});
