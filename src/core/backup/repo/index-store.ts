/**
 * The index: files under index/ that map blob id → pack, offset, length. Each backup adds one
 * (after its packs are durable); prune replaces them all with one (after its new packs are
 * durable, and before it deletes anything). An index file is a document stored as a blob (sealed
 * when the repository is encrypted), named by the SHA-256 of its stored bytes. Two versions:
 *
 *   2 (written now; binary, stored as is: the ids are random, compression gains nothing):
 *     "opsdeck-index-2\n" (16 bytes) ‖ header length (u32le) ‖ header JSON
 *       { "packs": [ { "id": "…", "size": 16800000, "sha256": "…", "blobs": 1200 } ] }
 *     ‖ for each pack in order, `blobs` entries of 44 bytes: id (32) ‖ offset ‖ length ‖ rawLength (u32le)
 *   1 (read; written before): brotli JSON
 *     { "version": 1, "packs": [ { "id", "size", "sha256", "blobs": [[id, offset, length, rawLength], …] } ] }
 *
 * `sha256` (of the whole pack file) is absent for packs written before it was recorded. In
 * memory the blobs are one table of binary ids and numbers (BlobTable), not an object and a
 * string per blob: loading a repository's index costs a copy of its bytes, not a JSON parse and
 * tens of thousands of objects for the collector to move.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { join } from 'node:path';
import { decodeBlob, encodeDocument } from './blob';
import { listDir, writeFileDurable } from './fsutil';
import { BlobTable, PackEntry, type IndexedPack } from './index-table';
import { KnownIds } from './known-ids';
import { TRAILER_ENTRY_LEN, type PackInfo } from './pack';

export interface BlobLocation {
  pack: string;
  offset: number;
  length: number;
  rawLength: number;
}

export type { IndexedPack } from './index-table';

interface IndexDocumentV1 {
  version: 1;
  packs: { id: string; size: number; sha256?: string; blobs: [string, number, number, number][] }[];
}

interface IndexHeaderV2 {
  packs: { id: string; size: number; sha256?: string; blobs: number }[];
}

const HEX64 = /^[0-9a-f]{64}$/;
const MAGIC_V2 = Buffer.from('opsdeck-index-2\n', 'latin1');
const ENTRY = 44;
/** Pack offsets and lengths are u32 in version 2 (packs are ~16 MiB; a larger one is refused). */
const U32_MAX = 0xffffffff;

export class MasterIndex {
  readonly packs = new Map<string, IndexedPack>();
  readonly files: string[] = [];
  /** Index files that could not be read: name → reason. */
  readonly unreadable = new Map<string, string>();
  private readonly table = new BlobTable();
  /** Pack number (in the table) → pack id. */
  private readonly packIds: string[] = [];
  private readonly scratch = Buffer.alloc(32);

  /** Distinct blobs indexed. */
  get blobCount(): number {
    return this.table.unique;
  }

  has(id: string): boolean {
    return this.entryOf(id) >= 0;
  }

  /** Is the id of 32 bytes at `bytes[at]` indexed? (A chunk list's ids, without a hex string each.) */
  hasBytes(bytes: Uint8Array, at: number): boolean {
    return this.table.find(bytes, at) >= 0;
  }

  get(id: string): BlobLocation | undefined {
    const e = this.entryOf(id);
    if (e < 0) return undefined;
    const n = this.table.nums;
    return { pack: this.packIds[n[4 * e]!]!, offset: n[4 * e + 1]!, length: n[4 * e + 2]!, rawLength: n[4 * e + 3]! };
  }

  /** Stored and raw bytes of the distinct blobs. */
  totals(): { storedBytes: number; rawBytes: number } {
    let storedBytes = 0;
    let rawBytes = 0;
    const n = this.table.nums;
    for (const e of this.table.firsts()) {
      storedBytes += n[4 * e + 2]!;
      rawBytes += n[4 * e + 3]!;
    }
    return { storedBytes, rawBytes };
  }

  /** The distinct ids as the worker threads look them up. */
  knownIds(): KnownIds {
    const ids = Buffer.alloc(32 * this.table.unique);
    let k = 0;
    for (const e of this.table.firsts()) this.table.ids.copy(ids, 32 * k++, 32 * e, 32 * e + 32);
    return KnownIds.fromIds(ids, k);
  }

  /** Adds a pack and its blobs; throws, adding nothing, when a blob id is not a SHA-256. */
  addPack(p: PackInfo, indexFile: string): void {
    const t = p.table;
    if (t) {
      // a worker's pack: its ids are bytes already
      this.addRun(p.id, p.size, p.sha256, t.length / TRAILER_ENTRY_LEN, indexFile, (no, k) => {
        const e = k * TRAILER_ENTRY_LEN;
        this.table.push(t, e + 1, no, t.readUInt32LE(e + 33), t.readUInt32LE(e + 37), t.readUInt32LE(e + 41));
      });
      return;
    }
    assertIds([p]);
    this.addChecked(p, indexFile);
  }

  static async load(repoDir: string, key?: Buffer): Promise<MasterIndex> {
    const idx = new MasterIndex();
    const dir = join(repoDir, 'index');
    const names = (await listDir(dir)).filter((n) => HEX64.test(n)).sort();
    // every file read and checked first, so that the table is sized once for all their blobs
    const docs: { name: string; doc: Buffer; v2?: ReturnType<typeof parseV2> }[] = [];
    let blobs = 0;
    for (const name of names) {
      try {
        const stored = await fs.readFile(join(dir, name));
        if (createHash('sha256').update(stored).digest('hex') !== name) throw new Error('content does not match its name (damaged)');
        const doc = await decodeBlob(stored, key);
        const v2 = doc.subarray(0, MAGIC_V2.length).equals(MAGIC_V2) ? parseV2(doc) : undefined;
        blobs += v2?.count ?? 0;
        docs.push({ name, doc, ...(v2 ? { v2 } : {}) });
      } catch (e) {
        idx.unreadable.set(name, (e as Error).message ?? 'unreadable');
      }
    }
    idx.table.reserve(blobs);
    for (const { name, doc, v2 } of docs) {
      try {
        if (v2) idx.addV2(doc, v2, name);
        else idx.addV1(doc, name);
      } catch (e) {
        idx.unreadable.set(name, (e as Error).message ?? 'unreadable');
        continue;
      }
      idx.files.push(name);
    }
    return idx;
  }

  /** A version 2 document's packs (parseV2 checked it holds together). */
  private addV2(doc: Buffer, { header, entries }: ReturnType<typeof parseV2>, name: string): void {
    let at = entries;
    for (const p of header.packs) {
      const from = at;
      this.addRun(p.id, p.size, p.sha256, p.blobs, name, (no, k) => {
        const e = from + k * ENTRY;
        this.table.push(doc, e, no, doc.readUInt32LE(e + 32), doc.readUInt32LE(e + 36), doc.readUInt32LE(e + 40));
      });
      at += p.blobs * ENTRY;
    }
  }

  /** A version 1 document's packs; throws, adding nothing, when it is not one. */
  private addV1(doc: Buffer, name: string): void {
    const v1 = JSON.parse(doc.toString('utf8')) as IndexDocumentV1;
    if (v1.version !== 1 || !Array.isArray(v1.packs) || v1.packs.some((p) => !Array.isArray(p.blobs))) throw new Error('not an index document');
    const packs: PackInfo[] = v1.packs.map((p) => ({
      id: p.id,
      size: p.size,
      ...(typeof p.sha256 === 'string' && HEX64.test(p.sha256) ? { sha256: p.sha256 } : {}),
      blobs: p.blobs.map(([id, offset, length, rawLength]) => ({ id: String(id), offset, length, rawLength })),
    }));
    assertIds(packs);
    for (const p of packs) this.addChecked(p, name);
  }

  /** A pack whose blob ids are known to be SHA-256s. */
  private addChecked(p: PackInfo, indexFile: string): void {
    const blobs = p.blobs;
    this.addRun(p.id, p.size, p.sha256, blobs.length, indexFile, (no, k) => {
      const b = blobs[k]!;
      this.scratch.write(b.id, 0, 32, 'hex');
      this.table.push(this.scratch, 0, no, b.offset, b.length, b.rawLength);
    });
  }

  /**
   * Pack `id` as a run of `count` entries of the table, each pushed by `push(pack number, k)`;
   * a pack already indexed only gets `indexFile` (and a hash it lacked) added.
   */
  private addRun(id: string, size: number, sha256: string | undefined, count: number, indexFile: string, push: (no: number, k: number) => void): void {
    const known = this.packs.get(id);
    if (known) {
      if (!known.indexFiles.includes(indexFile)) known.indexFiles.push(indexFile);
      known.sha256 ??= sha256;
      return;
    }
    const no = this.packIds.push(id) - 1;
    this.table.reserve(count);
    const first = this.table.entries;
    for (let k = 0; k < count; k++) push(no, k);
    this.packs.set(id, new PackEntry(this.table, id, size, first, count, sha256, indexFile));
  }

  private entryOf(id: string): number {
    // decoded here rather than with Buffer#write: a verify looks up every chunk of every
    // snapshot, and the call into C++ per id cost twice the lookup itself
    if (id.length !== 64) return -1;
    const out = this.scratch;
    for (let k = 0; k < 32; k++) {
      const hi = HEX_VALUE[id.charCodeAt(2 * k)] ?? -1;
      const lo = HEX_VALUE[id.charCodeAt(2 * k + 1)] ?? -1;
      if ((hi | lo) < 0) return -1;
      out[k] = (hi << 4) | lo;
    }
    return this.table.find(out, 0);
  }
}

/** Throws when a blob id of `packs` is not a SHA-256 (lowercase hex). */
function assertIds(packs: PackInfo[]): void {
  for (const p of packs) {
    const bad = p.blobs.find((b) => !HEX64.test(b.id));
    if (bad) throw new Error(`blob id ${JSON.stringify(bad.id)} is not a SHA-256`);
  }
}

/** Character code → its value as a lowercase hex digit, -1 otherwise. */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let d = 0; d < 16; d++) HEX_VALUE['0123456789abcdef'.charCodeAt(d)] = d;

/** A version 2 document's header and where its entries start; throws when it does not hold together. */
function parseV2(doc: Buffer): { header: IndexHeaderV2; entries: number; count: number } {
  const at = MAGIC_V2.length;
  if (doc.length < at + 4) throw new Error('not an index document (truncated header)');
  const len = doc.readUInt32LE(at);
  const entries = at + 4 + len;
  if (entries > doc.length) throw new Error('not an index document (truncated header)');
  const header = JSON.parse(doc.toString('utf8', at + 4, entries)) as IndexHeaderV2;
  if (!Array.isArray(header.packs)) throw new Error('not an index document');
  let count = 0;
  for (const p of header.packs) {
    if (typeof p.id !== 'string' || !HEX64.test(p.id) || !Number.isSafeInteger(p.size) || !Number.isSafeInteger(p.blobs) || p.blobs < 0) throw new Error('not an index document (bad pack entry)');
    if (p.sha256 !== undefined && (typeof p.sha256 !== 'string' || !HEX64.test(p.sha256))) delete p.sha256;
    count += p.blobs;
  }
  if (doc.length !== entries + count * ENTRY) throw new Error(`not an index document (${doc.length - entries} bytes of entries for ${count} blobs)`);
  return { header, entries, count };
}

/** Write an index file listing `packs` (version 2), durably. Returns its name. */
export async function writeIndexFile(repoDir: string, packs: PackInfo[], key?: Buffer): Promise<string> {
  const counts = packs.map((p) => (p.table ? p.table.length / TRAILER_ENTRY_LEN : p.blobs.length));
  const header: IndexHeaderV2 = { packs: packs.map((p, i) => ({ id: p.id, size: p.size, ...(p.sha256 ? { sha256: p.sha256 } : {}), blobs: counts[i]! })) };
  const head = Buffer.from(JSON.stringify(header));
  const count = counts.reduce((n, c) => n + c, 0);
  const doc = Buffer.alloc(MAGIC_V2.length + 4 + head.length + count * ENTRY);
  MAGIC_V2.copy(doc, 0);
  doc.writeUInt32LE(head.length, MAGIC_V2.length);
  head.copy(doc, MAGIC_V2.length + 4);
  let at = MAGIC_V2.length + 4 + head.length;
  for (const p of packs) {
    if (p.table) {
      // a worker's pack: each entry is its trailer's, less the type byte
      for (let o = 0; o < p.table.length; o += TRAILER_ENTRY_LEN) {
        doc.set(p.table.subarray(o + 1, o + TRAILER_ENTRY_LEN), at);
        at += ENTRY;
      }
      continue;
    }
    for (const b of p.blobs) {
      if (doc.write(b.id, at, 32, 'hex') !== 32) throw new Error(`blob id ${JSON.stringify(b.id)} is not a SHA-256`);
      if (b.offset > U32_MAX || b.length > U32_MAX || b.rawLength > U32_MAX) throw new Error(`pack ${p.id} is larger than 4 GiB: not indexable`);
      doc.writeUInt32LE(b.offset, at + 32);
      doc.writeUInt32LE(b.length, at + 36);
      doc.writeUInt32LE(b.rawLength, at + 40);
      at += ENTRY;
    }
  }
  const bytes = await encodeDocument(doc, key, { codec: 'none', level: 0 });
  const name = createHash('sha256').update(bytes).digest('hex');
  await writeFileDurable(repoDir, join(repoDir, 'index', name), [bytes]);
  return name;
}

/** Write a version 1 index file (JSON, brotli): what older versions wrote; for tests of reading them. */
export async function writeIndexFileV1(repoDir: string, packs: PackInfo[], key?: Buffer): Promise<string> {
  const doc: IndexDocumentV1 = {
    version: 1,
    packs: packs.map((p) => ({ id: p.id, size: p.size, ...(p.sha256 ? { sha256: p.sha256 } : {}), blobs: p.blobs.map((b) => [b.id, b.offset, b.length, b.rawLength]) })),
  };
  const stored = await encodeDocument(Buffer.from(JSON.stringify(doc)), key);
  const name = createHash('sha256').update(stored).digest('hex');
  await writeFileDurable(repoDir, join(repoDir, 'index', name), [stored]);
  return name;
}
