/**
 * The index: files under index/ that map blob id → pack, offset, length. Each backup adds one
 * (after its packs are durable); prune replaces them all with one (after its new packs are
 * durable, and before it deletes anything). An index file is a JSON document stored as a blob
 * (brotli, sealed when the repository is encrypted), named by the SHA-256 of its stored bytes.
 *
 *   { "version": 1, "packs": [ { "id": "…", "size": 16800000, "sha256": "…", "blobs": [[id, offset, length, rawLength], …] } ] }
 *
 * `sha256` (of the whole pack file) is absent for packs written before it was recorded; readers
 * that do not know it ignore it.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { join } from 'node:path';
import { decodeBlob, encodeDocument } from './blob';
import { listDir, writeFileDurable } from './fsutil';
import type { PackBlob, PackInfo } from './pack';

export interface BlobLocation {
  pack: string;
  offset: number;
  length: number;
  rawLength: number;
}

export interface IndexedPack {
  id: string;
  size: number;
  blobs: PackBlob[];
  /** SHA-256 of the whole pack file, when the index records it. */
  sha256?: string;
  /** Index files listing this pack. */
  indexFiles: string[];
}

interface IndexDocument {
  version: 1;
  packs: { id: string; size: number; sha256?: string; blobs: [string, number, number, number][] }[];
}

const HEX64 = /^[0-9a-f]{64}$/;

export class MasterIndex {
  readonly blobs = new Map<string, BlobLocation>();
  readonly packs = new Map<string, IndexedPack>();
  readonly files: string[] = [];
  /** Index files that could not be read: name → reason. */
  readonly unreadable = new Map<string, string>();

  has(id: string): boolean {
    return this.blobs.has(id);
  }

  get(id: string): BlobLocation | undefined {
    return this.blobs.get(id);
  }

  addPack(p: PackInfo, indexFile: string): void {
    const known = this.packs.get(p.id);
    if (known) {
      if (!known.indexFiles.includes(indexFile)) known.indexFiles.push(indexFile);
      known.sha256 ??= p.sha256;
      return;
    }
    this.packs.set(p.id, { id: p.id, size: p.size, blobs: p.blobs, ...(p.sha256 ? { sha256: p.sha256 } : {}), indexFiles: [indexFile] });
    for (const b of p.blobs) {
      if (!this.blobs.has(b.id)) this.blobs.set(b.id, { pack: p.id, offset: b.offset, length: b.length, rawLength: b.rawLength });
    }
  }

  static async load(repoDir: string, key?: Buffer): Promise<MasterIndex> {
    const idx = new MasterIndex();
    const dir = join(repoDir, 'index');
    const names = (await listDir(dir)).filter((n) => HEX64.test(n)).sort();
    // one file at a time, each parsed document turned into the index's entries and let go at
    // once: the documents of all files at once would be the largest thing a load ever holds
    for (const name of names) {
      let doc: IndexDocument;
      try {
        const stored = await fs.readFile(join(dir, name));
        if (createHash('sha256').update(stored).digest('hex') !== name) throw new Error('content does not match its name (damaged)');
        doc = JSON.parse((await decodeBlob(stored, key)).toString('utf8')) as IndexDocument;
        if (doc.version !== 1 || !Array.isArray(doc.packs)) throw new Error('not an index document');
      } catch (e) {
        idx.unreadable.set(name, (e as Error).message ?? 'unreadable');
        continue;
      }
      idx.files.push(name);
      for (const p of doc.packs) {
        idx.addPack(
          { id: p.id, size: p.size, ...(typeof p.sha256 === 'string' && HEX64.test(p.sha256) ? { sha256: p.sha256 } : {}), blobs: p.blobs.map(([id, offset, length, rawLength]) => ({ id, offset, length, rawLength })) },
          name,
        );
      }
    }
    return idx;
  }
}

/** Write an index file listing `packs`, durably. Returns its name. */
export async function writeIndexFile(repoDir: string, packs: PackInfo[], key?: Buffer): Promise<string> {
  const doc: IndexDocument = {
    version: 1,
    packs: packs.map((p) => ({ id: p.id, size: p.size, ...(p.sha256 ? { sha256: p.sha256 } : {}), blobs: p.blobs.map((b) => [b.id, b.offset, b.length, b.rawLength]) })),
  };
  const stored = await encodeDocument(Buffer.from(JSON.stringify(doc)), key);
  const name = createHash('sha256').update(stored).digest('hex');
  await writeFileDurable(repoDir, join(repoDir, 'index', name), [stored]);
  return name;
}
