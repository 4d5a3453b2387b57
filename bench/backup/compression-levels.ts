/**
 * The small measurement behind the repository's default compression (docs/backup-repository.md):
 * speed and ratio of deflate and brotli levels on 1 MiB chunks of the bench's three kinds of
 * data (text logs, SQLite-like pages, random bytes), one thread.
 *
 *   npx tsx bench/backup/compression-levels.ts [--mb 32]
 *
 * Prints a table; writes nothing.
 */
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import { dbPage, logText, Rng } from '../../test/fixtures/backup/dataset';
import { encodeBlobSync } from '../../src/core/backup/repo/blob';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '32' } } });
const MB = Math.max(4, Number(values.mb));
const rng = new Rng('compression-levels');
const data = {
  logs: logText(rng, MB << 20),
  pages: Buffer.concat(Array.from({ length: (MB << 20) / 4096 }, (_, i) => dbPage(rng, i))),
  random: rng.bytes(MB << 20),
};

const candidates: [string, (b: Buffer) => Buffer][] = [
  ['deflate 1', (b) => zlib.deflateRawSync(b, { level: 1 })],
  ['deflate 3', (b) => zlib.deflateRawSync(b, { level: 3 })],
  ['deflate 6', (b) => zlib.deflateRawSync(b, { level: 6 })],
  ...[0, 1, 2, 3, 4, 5].map((q): [string, (b: Buffer) => Buffer] => [
    `brotli ${q}`,
    (b) => zlib.brotliCompressSync(b, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: q, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: b.length, [zlib.constants.BROTLI_PARAM_LGWIN]: 22 } }),
  ]),
  // what the repository does: brotli 1 after a 32 KiB sample says the chunk is worth it
  ['repo default', (b) => encodeBlobSync(b, { codec: 'brotli', level: 1 }).data],
];

console.log(`1 MiB chunks, ${MB} MiB of each kind, one thread: MB/s and stored/original`);
console.log(`${'codec'.padEnd(14)}${Object.keys(data).map((k) => `${k.padStart(18)}`).join('')}`);
for (const [name, fn] of candidates) {
  const cells: string[] = [];
  for (const buf of Object.values(data)) {
    const t0 = performance.now();
    let out = 0;
    for (let o = 0; o < buf.length; o += 1 << 20) out += Math.min(fn(buf.subarray(o, o + (1 << 20))).length, 1 << 20);
    const s = (performance.now() - t0) / 1000;
    cells.push(`${(buf.length / 2 ** 20 / s).toFixed(0).padStart(7)} MB/s ${(out / buf.length).toFixed(3)}`);
  }
  console.log(`${name.padEnd(14)}${cells.map((c) => c.padStart(18)).join('')}`);
}
