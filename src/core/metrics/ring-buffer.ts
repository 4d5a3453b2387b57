/**
 * A fixed-capacity ring of timestamped numeric samples: the history behind every metric chart.
 * When full, each push overwrites the oldest sample, so memory stays constant however long the
 * engine runs. The default capacity holds one hour at the default 5 s sampling interval.
 */

/** One hour at one sample every 5 s. */
export const DEFAULT_HISTORY_CAPACITY = 720;

export interface Sample {
  /** When the value was sampled (ms since the epoch, from the engine's clock). */
  at: number;
  value: number;
}

export class RingBuffer {
  private readonly ats: Float64Array;
  private readonly vals: Float64Array;
  /** Index where the next sample goes. */
  private head = 0;
  private count = 0;

  constructor(readonly capacity = DEFAULT_HISTORY_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring buffer capacity must be a whole number >= 1, got ${capacity}`);
    this.ats = new Float64Array(capacity);
    this.vals = new Float64Array(capacity);
  }

  /** How many samples are held (at most `capacity`). */
  get size(): number {
    return this.count;
  }

  /** Add a sample, dropping the oldest one when full. Samples are expected in time order. */
  push(at: number, value: number): void {
    this.ats[this.head] = at;
    this.vals[this.head] = value;
    this.head = (this.head + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** The newest sample, if any. */
  get latest(): Sample | undefined {
    if (this.count === 0) return undefined;
    const i = (this.head - 1 + this.capacity) % this.capacity;
    return { at: this.ats[i]!, value: this.vals[i]! };
  }

  /** Samples oldest first; with `sinceMs` (a timestamp), only those taken at or after it. */
  values(sinceMs?: number): Sample[] {
    const out: Sample[] = [];
    const start = (this.head - this.count + this.capacity) % this.capacity;
    for (let k = 0; k < this.count; k++) {
      const i = (start + k) % this.capacity;
      const at = this.ats[i]!;
      if (sinceMs === undefined || at >= sinceMs) out.push({ at, value: this.vals[i]! });
    }
    return out;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }
}

/**
 * Several series sampled together (a service's metrics): one ring of timestamps shared by all
 * columns, and the values as 32-bit floats, a missing value as NaN. A service's hour of 9 metrics
 * takes 32 KB instead of the 104 KB of nine RingBuffers; 32-bit floats keep 7 significant
 * digits, and values read back are rounded to them, so 12.34 comes back as 12.34.
 */
export class ColumnRing {
  private readonly ats: Float64Array;
  private readonly vals: Float32Array;
  private head = 0;
  private count = 0;

  constructor(
    readonly columns: number,
    readonly capacity = DEFAULT_HISTORY_CAPACITY,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring buffer capacity must be a whole number >= 1, got ${capacity}`);
    if (!Number.isInteger(columns) || columns < 1) throw new RangeError(`a column ring needs a whole number >= 1 of columns, got ${columns}`);
    this.ats = new Float64Array(capacity);
    this.vals = new Float32Array(capacity * columns);
  }

  /** How many samples are held (at most `capacity`). */
  get size(): number {
    return this.count;
  }

  /** Add one sample of every column (undefined: no value this time), dropping the oldest when full. */
  push(at: number, values: readonly (number | undefined)[]): void {
    this.ats[this.head] = at;
    const base = this.head * this.columns;
    for (let c = 0; c < this.columns; c++) this.vals[base + c] = values[c] ?? NaN;
    this.head = (this.head + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** One column's samples oldest first, those without a value left out; with `sinceMs`, only those taken at or after it. */
  values(column: number, sinceMs?: number): Sample[] {
    const out: Sample[] = [];
    const start = (this.head - this.count + this.capacity) % this.capacity;
    for (let k = 0; k < this.count; k++) {
      const i = (start + k) % this.capacity;
      const at = this.ats[i]!;
      const v = this.vals[i * this.columns + column]!;
      if (Number.isNaN(v) || (sinceMs !== undefined && at < sinceMs)) continue;
      out.push({ at, value: Number(v.toPrecision(7)) });
    }
    return out;
  }
}
