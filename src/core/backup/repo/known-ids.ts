/**
 * The ids of the blobs a repository has, as a backup's worker threads look them up: an
 * open-addressing table of 32-byte ids in one SharedArrayBuffer that every thread reads (no copy
 * per thread, no string or set entry per id), built in one pass from the index's binary ids (no
 * sort). Layout: count (Int32) ‖ slot → 1 + the id's place, 0 empty (Int32 × slots) ‖ ids (32 × count).
 * SHA-256 ids are uniform, so their first 4 bytes are the hash.
 */
export class KnownIds {
  private readonly slots: Int32Array;
  private readonly ids: Buffer;
  private readonly mask: number;
  readonly size: number;

  constructor(readonly shared: SharedArrayBuffer) {
    this.size = new Int32Array(shared, 0, 1)[0]!;
    const slots = slotsFor(this.size);
    this.slots = new Int32Array(shared, 4, slots);
    this.ids = Buffer.from(shared, 4 + 4 * slots, 32 * this.size);
    this.mask = slots - 1;
  }

  /** The table of `count` ids, 32 bytes each back to back in `ids` (no duplicates). */
  static fromIds(ids: Uint8Array, count: number): KnownIds {
    const slots = slotsFor(count);
    const shared = new SharedArrayBuffer(4 + 4 * slots + 32 * count);
    new Int32Array(shared, 0, 1)[0] = count;
    new Uint8Array(shared, 4 + 4 * slots, 32 * count).set(ids.subarray(0, 32 * count));
    const table = new KnownIds(shared);
    for (let k = 0; k < count; k++) table.slots[table.free(ids, 32 * k)] = k + 1;
    return table;
  }

  /** The table of `ids` (hex SHA-256s, any order). */
  static of(ids: Iterable<string>): KnownIds {
    const list = [...new Set(ids)];
    const bytes = Buffer.alloc(32 * list.length);
    list.forEach((id, i) => bytes.write(id, i * 32, 32, 'hex'));
    return KnownIds.fromIds(bytes, list.length);
  }

  /** Is the 32-byte id `digest` in the table? */
  has(digest: Uint8Array): boolean {
    for (let i = hash32(digest, 0) & this.mask; ; i = (i + 1) & this.mask) {
      const k = this.slots[i]!;
      if (k === 0) return false;
      if (sameId(this.ids, (k - 1) * 32, digest, 0)) return true;
    }
  }

  private free(ids: Uint8Array, at: number): number {
    let i = hash32(ids, at) & this.mask;
    while (this.slots[i] !== 0) i = (i + 1) & this.mask;
    return i;
  }
}

/** Slots for `n` ids: a power of two at least twice `n` (short probe runs). */
function slotsFor(n: number): number {
  let slots = 16;
  while (slots < 2 * n) slots *= 2;
  return slots;
}

/** The first 4 bytes of the id at `at` as an unsigned number (ids are SHA-256s: uniform). */
export function hash32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** Do the 32 bytes at `a`[`i`] and `b`[`j`] agree? */
export function sameId(a: Uint8Array, i: number, b: Uint8Array, j: number): boolean {
  for (let k = 0; k < 32; k++) if (a[i + k] !== b[j + k]) return false;
  return true;
}

/**
 * The new blobs of one backup, claimed by the worker threads as they meet them, so that two
 * threads reading the same content at once (a file and its copy, the same page in two segments)
 * store it once: an open-addressing table of 32-byte ids in one SharedArrayBuffer, a slot taken
 * with an atomic compare-and-swap of its state (0 empty, 1 being written, 2 full). Its size is
 * fixed when the backup starts; once a search finds no free slot, `claim` says so and the thread
 * decides alone (a duplicate is then possible: the index keeps one copy, prune drops the other).
 */
export class NewIds {
  private readonly state: Int32Array;
  private readonly ids: Uint8Array;
  private readonly mask: number;

  constructor(readonly shared: SharedArrayBuffer) {
    const slots = shared.byteLength / 36;
    this.state = new Int32Array(shared, 0, slots);
    this.ids = new Uint8Array(shared, 4 * slots, 32 * slots);
    this.mask = slots - 1;
  }

  /** A table of `slots` slots (rounded up to a power of two). */
  static create(slots: number): NewIds {
    let n = 1024;
    while (n < slots) n *= 2;
    return new NewIds(new SharedArrayBuffer(36 * n));
  }

  /** true: `digest` is this thread's to store now; false: another thread has it; undefined: the table is full. */
  claim(digest: Uint8Array): boolean | undefined {
    let i = (digest[0]! | (digest[1]! << 8) | (digest[2]! << 16) | (digest[3]! << 24)) & this.mask;
    for (let probes = 0; probes < 128; ) {
      const s = Atomics.load(this.state, i);
      if (s === 0) {
        if (Atomics.compareExchange(this.state, i, 0, 1) !== 0) continue; // taken meanwhile: look again
        this.ids.set(digest.subarray(0, 32), i * 32);
        Atomics.store(this.state, i, 2);
        return true;
      }
      while (Atomics.load(this.state, i) === 1); // another thread writes its 32 bytes
      if (Buffer.from(this.ids.buffer, this.ids.byteOffset + i * 32, 32).equals(digest.subarray(0, 32))) return false;
      i = (i + 1) & this.mask;
      probes++;
    }
    return undefined;
  }
}
