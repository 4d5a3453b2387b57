/**
 * The in-flight byte budget of a backup's worker threads: encoded blob bytes a worker has posted
 * to the main thread and that are not on disk yet (in a message, waiting for a pack, or in a pack
 * being written). A worker takes room before posting a batch and waits (Atomics.wait) while there
 * is none; the main thread gives it back when the pack holding the blobs is written. Shared by all
 * threads of a pool through a SharedArrayBuffer: [bytes in flight, highest ever seen].
 *
 * A batch larger than the whole budget still goes when nothing else is in flight, so work never
 * stops; the pool sizes the budget so that this cannot happen (worker.ts, effectiveBudget).
 */
const USED = 0;
const PEAK = 1;

export class InFlightBudget {
  private readonly cells: Int32Array;

  constructor(
    readonly shared: SharedArrayBuffer,
    readonly bytes: number,
  ) {
    this.cells = new Int32Array(shared);
  }

  static create(bytes: number): InFlightBudget {
    return new InFlightBudget(new SharedArrayBuffer(8), bytes);
  }

  /** Worker side: wait until `n` more bytes fit in the budget, then count them in. */
  acquire(n: number): void {
    const c = this.cells;
    for (;;) {
      const used = Atomics.load(c, USED);
      if (used === 0 || used + n <= this.bytes) {
        if (Atomics.compareExchange(c, USED, used, used + n) !== used) continue;
        const now = used + n;
        for (let peak = Atomics.load(c, PEAK); now > peak; peak = Atomics.load(c, PEAK)) {
          if (Atomics.compareExchange(c, PEAK, peak, now) === peak) break;
        }
        return;
      }
      Atomics.wait(c, USED, used, 200);
    }
  }

  /** Main-thread side: `n` bytes are on disk (or dropped): room for the workers again. */
  release(n: number): void {
    if (n <= 0) return;
    Atomics.sub(this.cells, USED, n);
    Atomics.notify(this.cells, USED);
  }

  get inFlight(): number {
    return Atomics.load(this.cells, USED);
  }

  /** The most bytes ever in flight at once (tests check it against the budget). */
  get peak(): number {
    return Atomics.load(this.cells, PEAK);
  }
}
