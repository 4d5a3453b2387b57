/**
 * Pack files: many blobs in one file, so a repository holds thousands of files rather than
 * millions. Layout:
 *
 *   header   16 bytes   "OPDKPACK" ‖ version (1) ‖ 7 zero bytes
 *   blobs               stored blobs (see blob.ts), back to back
 *   trailer             the blob table, itself stored as a blob (so encrypted when the repo is):
 *                       per blob: type (1) ‖ id (32) ‖ offset u32 ‖ length u32 ‖ raw length u32
 *   footer   16 bytes   trailer length u32 ‖ first 8 bytes of SHA-256(trailer) ‖ "OPDK"
 *
 * A pack's name is 32 random bytes in hex, under data/<first two hex digits>/. The trailer makes
 * every pack self-describing: verify compares it with the index, and an index can be rebuilt
 * from the packs. The index also records the SHA-256 of the whole pack file (packs written
 * before that have none): `verify --read-data` re-hashes the file, so every byte is checked,
 * including those no blob check can see (the padding, the slack bits at the end of a deflate
 * stream). For every pack, with a hash or not, it also requires the padding to be zero and the
 * blobs to fill the space between header and trailer exactly (no gap, no overlap).
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { join } from 'node:path';
import { decodeBlob, encodeBlobSync, type EncodedBlob } from './blob';
import type { CompressionSetting } from './model';
import { fsyncDir, listDir, writeFileDurable } from './fsutil';

const HEX64 = /^[0-9a-f]{64}$/;

export const PACK_MAGIC = Buffer.from('OPDKPACK', 'latin1');
export const FOOTER_MAGIC = Buffer.from('OPDK', 'latin1');
export const HEADER_LEN = 16;
export const FOOTER_LEN = 16;
export const TRAILER_ENTRY_LEN = 1 + 32 + 4 + 4 + 4;
export const BLOB_DATA = 0;

export interface PackBlob {
  id: string;
  offset: number;
  length: number;
  rawLength: number;
}

export interface PackInfo {
  id: string;
  size: number;
  /** The blobs (made when asked, each time, where `table` holds them). */
  readonly blobs: PackBlob[];
  /**
   * A worker thread's pack (pack-file.ts): its blobs as its trailer holds them, TRAILER_ENTRY_LEN
   * bytes each, so that a backup keeps no object or string per new blob until it writes the
   * index (a 151 MiB database is ~38 000 of them).
   */
  table?: Buffer;
  /** SHA-256 of the whole pack file (hex): recorded where the codec needs it (packHashNeeded), absent for packs of older versions. */
  sha256?: string;
}

/** A pack whose blobs are a trailer's table (PackInfo.table), as a worker thread posts it. */
export function tablePack(p: { id: string; size: number; table: Uint8Array; sha256?: string }): PackInfo {
  const table = Buffer.from(p.table.buffer, p.table.byteOffset, p.table.byteLength);
  return {
    id: p.id,
    size: p.size,
    table,
    ...(p.sha256 ? { sha256: p.sha256 } : {}),
    get blobs() {
      return trailerBlobs(table, Infinity);
    },
  };
}

export const packPath = (repoDir: string, id: string) => join(repoDir, 'data', id.slice(0, 2), id);

/** A new pack's name: 32 random bytes in hex. */
export const newPackId = (): string => randomBytes(32).toString('hex');

/** The first bytes of every pack. */

export function header(): Buffer {
  const h = Buffer.alloc(HEADER_LEN);
  PACK_MAGIC.copy(h, 0);
  h[8] = 1;
  return h;
}

/** The plaintext of a pack's trailer: its blob table, TRAILER_ENTRY_LEN bytes a blob. */
export function trailerPlain(blobs: PackBlob[]): Buffer {
  const t = Buffer.alloc(blobs.length * TRAILER_ENTRY_LEN);
  blobs.forEach((b, i) => {
    const o = i * TRAILER_ENTRY_LEN;
    t[o] = BLOB_DATA;
    t.write(b.id, o + 1, 32, 'hex');
    t.writeUInt32LE(b.offset, o + 33);
    t.writeUInt32LE(b.length, o + 37);
    t.writeUInt32LE(b.rawLength, o + 41);
  });
  return t;
}

/** A pack's trailer (its blob table, stored as a blob; `plain`: trailerPlain's bytes, made already) and footer. */
export function trailerAndFooter(blobs: PackBlob[], key?: Buffer, plain = trailerPlain(blobs)): Buffer[] {
  const trailer = encodeBlobSync(plain, { codec: 'none', level: 0 }, key).data;
  const footer = Buffer.alloc(FOOTER_LEN);
  footer.writeUInt32LE(trailer.length, 0);
  createHash('sha256').update(trailer).digest().copy(footer, 4, 0, 8);
  FOOTER_MAGIC.copy(footer, 12);
  return [trailer, footer];
}

export class PackFormatError extends Error {}

/** The blob table of a pack file, from its trailer. */
export async function readPackTrailer(fh: fs.FileHandle, size: number, key?: Buffer): Promise<PackBlob[]> {
  return (await readPackFrame(fh, size, key)).blobs;
}

/** A pack's trailer as it is decoded (TRAILER_ENTRY_LEN bytes a blob) and where it starts, without an object per blob. */
export async function readPackTable(fh: fs.FileHandle, size: number, key?: Buffer): Promise<{ plain: Buffer; dataEnd: number }> {
  const r = await readTrailerBytes(fh, size);
  return { plain: await decodeTrailer(r.trailer, r.footer, key), dataEnd: r.dataEnd };
}

/** A pack's header, its blob table, and where the trailer starts (the end of the blobs). */
export async function readPackFrame(fh: fs.FileHandle, size: number, key?: Buffer): Promise<{ head: Buffer; blobs: PackBlob[]; dataEnd: number }> {
  const r = await readTrailerBytes(fh, size);
  return { head: r.head, blobs: trailerBlobs(await decodeTrailer(r.trailer, r.footer, key), r.dataEnd), dataEnd: r.dataEnd };
}

async function readTrailerBytes(fh: fs.FileHandle, size: number): Promise<{ head: Buffer; trailer: Buffer; footer: Buffer; dataEnd: number }> {
  if (size < HEADER_LEN + FOOTER_LEN) throw new PackFormatError(`too short (${size} bytes)`);
  const head = Buffer.alloc(HEADER_LEN);
  await fh.read(head, 0, HEADER_LEN, 0);
  if (!head.subarray(0, 8).equals(PACK_MAGIC) || head[8] !== 1) throw new PackFormatError('bad header');
  const footer = Buffer.alloc(FOOTER_LEN);
  await fh.read(footer, 0, FOOTER_LEN, size - FOOTER_LEN);
  if (!footer.subarray(12).equals(FOOTER_MAGIC)) throw new PackFormatError('bad footer');
  const tlen = footer.readUInt32LE(0);
  if (tlen > size - HEADER_LEN - FOOTER_LEN) throw new PackFormatError('bad trailer length');
  const trailer = Buffer.alloc(tlen);
  await fh.read(trailer, 0, tlen, size - FOOTER_LEN - tlen);
  return { head, trailer, footer, dataEnd: size - FOOTER_LEN - tlen };
}

/**
 * What is wrong with a pack's framing beyond what reading it checks: the header's padding must
 * be zero, and the blobs must fill [header, trailer) exactly, back to back as they are written.
 */
export function packFrameProblems(head: Buffer, blobs: readonly PackBlob[], dataEnd: number): string[] {
  const out: string[] = [];
  const pad = head.subarray(9, HEADER_LEN);
  const bad = [...pad.keys()].filter((i) => pad[i] !== 0).map((i) => i + 9);
  if (bad.length) out.push(`header padding is not zero (byte${bad.length === 1 ? '' : 's'} ${bad.join(', ')})`);
  let at = HEADER_LEN;
  for (const b of [...blobs].sort((x, y) => x.offset - y.offset)) {
    if (b.offset > at) out.push(`${b.offset - at} byte${b.offset - at === 1 ? '' : 's'} at offset ${at} belong to no blob`);
    else if (b.offset < at) out.push(`blob ${b.id.slice(0, 12)} at offset ${b.offset} overlaps the blob before it`);
    at = Math.max(at, b.offset + b.length);
  }
  if (at < dataEnd) out.push(`${dataEnd - at} byte${dataEnd - at === 1 ? '' : 's'} at offset ${at} (before the trailer) belong to no blob`);
  return out;
}

export async function parseTrailer(trailer: Buffer, footer: Buffer, size: number, key?: Buffer): Promise<PackBlob[]> {
  return trailerBlobs(await decodeTrailer(trailer, footer, key), size - FOOTER_LEN - trailer.length);
}

/** The decoded trailer (its checksum checked first). */
async function decodeTrailer(trailer: Buffer, footer: Buffer, key?: Buffer): Promise<Buffer> {
  const sum = createHash('sha256').update(trailer).digest().subarray(0, 8);
  if (!sum.equals(footer.subarray(4, 12))) throw new PackFormatError('trailer checksum mismatch');
  let plain: Buffer;
  try {
    plain = await decodeBlob(trailer, key);
  } catch (e) {
    throw new PackFormatError(`trailer: ${(e as Error).message}`);
  }
  if (plain.length % TRAILER_ENTRY_LEN !== 0) throw new PackFormatError('trailer length');
  return plain;
}

/** The blobs of a decoded trailer (readPackTable), each inside [header, dataEnd). */
export function trailerBlobs(plain: Buffer, dataEnd: number): PackBlob[] {
  const blobs: PackBlob[] = [];
  for (let o = 0; o < plain.length; o += TRAILER_ENTRY_LEN) {
    const b = {
      id: plain.toString('hex', o + 1, o + 33),
      offset: plain.readUInt32LE(o + 33),
      length: plain.readUInt32LE(o + 37),
      rawLength: plain.readUInt32LE(o + 41),
    };
    if (b.offset < HEADER_LEN || b.offset + b.length > dataEnd) throw new PackFormatError(`blob ${b.id.slice(0, 12)} out of bounds`);
    blobs.push(b);
  }
  return blobs;
}

/** Read a whole pack file and split it: its blob table and each blob's stored bytes. */
export async function readWholePack(path: string, key?: Buffer): Promise<{ data: Buffer; blobs: PackBlob[] }> {
  const data = await fs.readFile(path);
  const size = data.length;
  if (size < HEADER_LEN + FOOTER_LEN) throw new PackFormatError(`too short (${size} bytes)`);
  if (!data.subarray(0, 8).equals(PACK_MAGIC) || data[8] !== 1) throw new PackFormatError('bad header');
  const footer = data.subarray(size - FOOTER_LEN);
  if (!footer.subarray(12).equals(FOOTER_MAGIC)) throw new PackFormatError('bad footer');
  const tlen = footer.readUInt32LE(0);
  if (tlen > size - HEADER_LEN - FOOTER_LEN) throw new PackFormatError('bad trailer length');
  const trailer = data.subarray(size - FOOTER_LEN - tlen, size - FOOTER_LEN);
  return { data, blobs: await parseTrailer(trailer, footer, size, key) };
}

/**
 * Collects encoded blobs into packs of about `packSize` bytes and writes each one durably
 * (tmp file, fsync, rename). `finish()` also fsyncs the data/ subfolders it wrote into, after
 * which every pack it reported is durable and can be referenced from an index.
 */
/**
 * Whether a pack's own SHA-256 is worth recording in the index: only where verify's checks of
 * its blobs leave bits unseen, the unused bits at the end of a deflate stream. Brotli and stored
 * blobs are covered byte for byte without it (test/integration/backup-repo-pack-coverage.test.ts),
 * so a repository of the default codec does not hash its packs a second time (~4 % of a backup's CPU).
 */
export const packHashNeeded = (c: CompressionSetting): boolean => c.codec === 'deflate';

export class PackWriter {
  private parts: Buffer[] = [];
  private blobs: PackBlob[] = [];
  private size = HEADER_LEN;
  private writing: Promise<void>[] = [];
  private failed: unknown;
  readonly written: PackInfo[] = [];
  bytesWritten = 0;

  constructor(
    private readonly repoDir: string,
    private readonly packSize: number,
    private readonly key: Buffer | undefined,
    private readonly dryRun = false,
    private readonly onPack?: (p: PackInfo) => void,
    /** Record each pack's SHA-256 (packHashNeeded). */
    private readonly hashed = true,
  ) {}

  /** Add an encoded blob; may start writing a full pack. Resolves once the number of packs being written is bounded. */
  async add(id: string, blob: EncodedBlob): Promise<void> {
    if (this.failed) throw this.failed;
    if (this.parts.length === 0) this.parts.push(header());
    this.blobs.push({ id, offset: this.size, length: blob.length, rawLength: blob.rawLength });
    for (const p of blob.parts) this.parts.push(p);
    this.size += blob.length;
    if (this.size >= this.packSize) await this.flush();
  }

  get pendingBytes(): number {
    return this.blobs.length ? this.size : 0;
  }

  private async flush(): Promise<void> {
    if (this.blobs.length === 0) return;
    const parts = this.parts;
    const blobs = this.blobs;
    this.parts = [];
    this.blobs = [];
    this.size = HEADER_LEN;
    const job = this.writePack(parts, blobs).catch((e) => {
      this.failed ??= e;
    });
    this.writing.push(job);
    // at most two packs in flight
    while (this.writing.length > 2) await this.writing.shift();
    if (this.failed) throw this.failed;
  }

  private async writePack(parts: Buffer[], blobs: PackBlob[]): Promise<void> {
    const tail = trailerAndFooter(blobs, this.key);
    parts.push(...tail);
    let size = 0;
    for (const p of parts) size += p.length;
    const id = newPackId();
    let sha256: string | undefined;
    if (this.hashed) {
      const hash = createHash('sha256');
      for (const p of parts) hash.update(p);
      sha256 = hash.digest('hex');
    }
    // the pack's folder is synced by checkpoint(), once for all packs written since the last one
    if (!this.dryRun) await writeFileDurable(this.repoDir, packPath(this.repoDir, id), parts, { syncDir: false, tmpName: 'pack' });
    this.bytesWritten += size;
    const info: PackInfo = { id, size, blobs, ...(sha256 ? { sha256 } : {}) };
    this.written.push(info);
    this.onPack?.(info);
  }

  /**
   * A pack written elsewhere but not synced yet (a worker thread's, pack-file.ts): fsynced now,
   * beside the work, and returned with the others by checkpoint(), which waits for it.
   */
  adopt(p: PackInfo): void {
    this.bytesWritten += p.size;
    this.writing.push(
      (this.dryRun ? Promise.resolve() : syncFile(packPath(this.repoDir, p.id)))
        .then(() => {
          this.written.push(p);
          this.onPack?.(p);
        })
        .catch((e) => {
          this.failed ??= e;
        }),
    );
  }

  /**
   * Make every pack written so far durable (wait for writes in flight, fsync their folders) and
   * return them (those not returned before). With `flushPartial`, the pack being filled is
   * written first.
   */
  async checkpoint(flushPartial: boolean): Promise<PackInfo[]> {
    if (flushPartial) await this.flush();
    while (this.writing.length) await this.writing.shift();
    if (this.failed) throw this.failed;
    const done = this.written.splice(0);
    if (!this.dryRun) for (const d of new Set(done.map((p) => join(this.repoDir, 'data', p.id.slice(0, 2))))) await fsyncDir(d);
    return done;
  }

  finish(): Promise<PackInfo[]> {
    return this.checkpoint(true);
  }

  /** Wait for writes in flight, ignoring their errors (used on abort). */
  async settle(): Promise<void> {
    await Promise.allSettled(this.writing);
  }
}

async function syncFile(path: string): Promise<void> {
  const fh = await fs.open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * The pack files in the repository's data/ folder (well-named, regular files), with their sizes.
 * The 256 folders are listed and the packs stat'ed all at once: one after the other, each call
 * waited its turn on the thread pool (~30 ms for a repository of 40 packs).
 */
export async function packsOnDisk(repoDir: string): Promise<Map<string, number>> {
  const dataDir = join(repoDir, 'data');
  const names = await Promise.all((await listDir(dataDir)).map(async (sub) => (await listDir(join(dataDir, sub))).filter((name) => HEX64.test(name) && name.slice(0, 2) === sub)));
  const sizes = await Promise.all(names.flat().map(async (name) => [name, await fs.stat(join(dataDir, name.slice(0, 2), name)).catch(() => undefined)] as const));
  const onDisk = new Map<string, number>();
  for (const [name, st] of sizes) if (st?.isFile()) onDisk.set(name, st.size);
  return onDisk;
}
