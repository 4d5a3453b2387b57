/**
 * The ids of the blobs a repository has, as a backup's worker threads look them up: 32 bytes
 * each, sorted, back to back in one SharedArrayBuffer that every thread reads (no copy per thread,
 * no string or set entry per id: 32 bytes an id instead of ~150), searched by bisection.
 */
export class KnownIds {
  private readonly table: Buffer;

  constructor(readonly shared: SharedArrayBuffer) {
    this.table = Buffer.from(shared);
  }

  /** The table of `ids` (hex SHA-256s, any order). */
  static of(ids: Iterable<string>): KnownIds {
    const sorted = [...ids].sort(); // hex order is byte order
    const shared = new SharedArrayBuffer(sorted.length * 32);
    const table = Buffer.from(shared);
    sorted.forEach((id, i) => table.write(id, i * 32, 32, 'hex'));
    return new KnownIds(shared);
  }

  get size(): number {
    return this.table.length / 32;
  }

  /** Is the 32-byte id `digest` in the table? */
  has(digest: Uint8Array): boolean {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.table.compare(digest, 0, 32, mid * 32, mid * 32 + 32);
      if (c === 0) return true;
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return false;
  }
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
