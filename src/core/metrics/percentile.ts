/**
 * Percentiles by the **nearest-rank** method: the p-th percentile of n values is the value at
 * rank ⌈p/100 × n⌉ (1-based) of the sorted list. It is always one of the observed values (a p95
 * probe latency is a latency some probe really had, never an interpolation between two), which
 * is what a latency budget is compared against. p = 0 gives the smallest value, p = 100 the
 * largest. Non-finite values (NaN, ±Infinity) are ignored; an empty list has no percentile.
 */

export function percentile(values: readonly number[], p: number): number | undefined {
  return percentiles(values, [p])[0];
}

/** Several percentiles of the same values, sorting once. */
export function percentiles(values: readonly number[], ps: readonly number[]): (number | undefined)[] {
  for (const p of ps) if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be between 0 and 100, got ${p}`);
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return ps.map(() => undefined);
  return ps.map((p) => sorted[Math.max(0, Math.ceil((p * sorted.length) / 100) - 1)]);
}
