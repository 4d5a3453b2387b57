/**
 * The index in memory (index-store.ts loads it): every blob entry of the loaded index files in one
 * table of binary ids and numbers, and each pack as a run of its entries.
 */
import { hash32, sameId } from './known-ids';
import { BLOB_DATA, HEADER_LEN, TRAILER_ENTRY_LEN, type PackBlob } from './pack';

export interface IndexedPack {
  id: string;
  size: number;
  /**
   * Its blobs, in the order its index lists them: a new list each time, made from the table (a
   * list kept per pack held an object and a hex string per blob of the repository for as long as
   * the index lived, ~6 MiB of a verify's heap for 1 GiB); take it once where it is used twice.
   */
  readonly blobs: PackBlob[];
  /** SHA-256 of the whole pack file, when the index records it. */
  sha256?: string;
  /** Index files listing this pack. */
  indexFiles: string[];
  /**
   * Does the pack's decoded trailer (pack.ts readPackTable) list its blobs as the index does, in
   * the same order (more after them allowed), each inside [header, dataEnd)? Compared as bytes.
   */
  matchesTrailer(plain: Buffer, dataEnd: number): boolean;
}

/**
 * Every blob entry of the loaded index files (a blob in two packs has two), with an
 * open-addressing table from id to its first entry: ids 32 bytes each back to back, and
 * pack number, offset, length, raw length as four u32 per entry.
 */
export class BlobTable {
  ids = Buffer.alloc(32 * 1024);
  nums = new Uint32Array(4 * 1024);
  entries = 0;
  /** Distinct ids. */
  unique = 0;
  private slots = new Int32Array(4096);
  private mask = 4095;

  reserve(more: number): void {
    const need = this.entries + more;
    if (need * 32 > this.ids.length) {
      const n = Math.max(need, this.entries * 2);
      const ids = Buffer.alloc(32 * n);
      this.ids.copy(ids, 0, 0, 32 * this.entries);
      this.ids = ids;
      const nums = new Uint32Array(4 * n);
      nums.set(this.nums.subarray(0, 4 * this.entries));
      this.nums = nums;
    }
    if (2 * need > this.slots.length) {
      let size = this.slots.length;
      while (size < 2 * need) size *= 2;
      this.slots = new Int32Array(size);
      this.mask = size - 1;
      this.unique = 0;
      for (let e = 0; e < this.entries; e++) this.place(e);
    }
  }

  /** Appends an entry (call reserve first); returns false when its id was already known. */
  push(id: Uint8Array, at: number, pack: number, offset: number, length: number, rawLength: number): boolean {
    const e = this.entries++;
    for (let k = 0; k < 32; k++) this.ids[32 * e + k] = id[at + k]!;
    this.nums[4 * e] = pack;
    this.nums[4 * e + 1] = offset;
    this.nums[4 * e + 2] = length;
    this.nums[4 * e + 3] = rawLength;
    return this.place(e);
  }

  /** The first entry of the 32-byte id at `id`[`at`], or -1. */
  find(id: Uint8Array, at: number): number {
    for (let i = hash32(id, at) & this.mask; ; i = (i + 1) & this.mask) {
      const k = this.slots[i]!;
      if (k === 0) return -1;
      if (sameId(this.ids, 32 * (k - 1), id, at)) return k - 1;
    }
  }

  /** The entries the table points at: the first of each id. */
  *firsts(): Generator<number> {
    for (const k of this.slots) if (k !== 0) yield k - 1;
  }

  private place(e: number): boolean {
    for (let i = hash32(this.ids, 32 * e) & this.mask; ; i = (i + 1) & this.mask) {
      const k = this.slots[i]!;
      if (k === 0) {
        this.slots[i] = e + 1;
        this.unique++;
        return true;
      }
      if (k - 1 === e || sameId(this.ids, 32 * (k - 1), this.ids, 32 * e)) return false;
    }
  }
}

/** One pack of the index: a run of entries of the blob table. */
export class PackEntry implements IndexedPack {
  sha256?: string;
  readonly indexFiles: string[];

  constructor(
    private readonly table: BlobTable,
    readonly id: string,
    readonly size: number,
    private readonly first: number,
    private readonly count: number,
    sha256: string | undefined,
    indexFile: string,
  ) {
    if (sha256) this.sha256 = sha256;
    this.indexFiles = [indexFile];
  }

  matchesTrailer(plain: Buffer, dataEnd: number): boolean {
    if (plain.length < this.count * TRAILER_ENTRY_LEN) return false;
    const { ids, nums } = this.table;
    for (let k = 0, e = this.first, o = 0; k < this.count; k++, e++, o += TRAILER_ENTRY_LEN) {
      const offset = plain.readUInt32LE(o + 33);
      const length = plain.readUInt32LE(o + 37);
      if (plain[o] !== BLOB_DATA || offset !== nums[4 * e + 1] || length !== nums[4 * e + 2] || plain.readUInt32LE(o + 41) !== nums[4 * e + 3]) return false;
      if (offset < HEADER_LEN || offset + length > dataEnd || !sameId(ids, 32 * e, plain, o + 1)) return false;
    }
    return true;
  }

  get blobs(): PackBlob[] {
    const { ids, nums } = this.table;
    const list: PackBlob[] = [];
    for (let e = this.first; e < this.first + this.count; e++) {
      list.push({ id: ids.toString('hex', 32 * e, 32 * e + 32), offset: nums[4 * e + 1]!, length: nums[4 * e + 2]!, rawLength: nums[4 * e + 3]! });
    }
    return list;
  }
}
