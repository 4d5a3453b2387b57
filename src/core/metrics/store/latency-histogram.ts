/**
 * A sparse log histogram of probe latencies: bucket k holds the latencies in
 * [FLOOR·GROWTH^k, FLOOR·GROWTH^(k+1)), so an hour's or a week's percentiles come from merged
 * minutes within 5 % (the bucket's geometric middle is reported) while a minute's stored buckets
 * take a few bytes (only the buckets with counts are kept, as `{ "k": count }`).
 */
const FLOOR_MS = 0.01;
const GROWTH = 1.05;
const LOG_GROWTH = Math.log(GROWTH);

export type Histogram = Record<string, number>;

export function bucketOf(ms: number): number {
  return ms <= FLOOR_MS ? 0 : Math.floor(Math.log(ms / FLOOR_MS) / LOG_GROWTH);
}

/** The middle of bucket `k` (what a percentile read from the histogram reports), ms. */
export const bucketMiddle = (k: number) => FLOOR_MS * GROWTH ** (k + 0.5);

export function addTo(h: Histogram, ms: number): void {
  const k = String(bucketOf(ms));
  h[k] = (h[k] ?? 0) + 1;
}

export function mergeInto(into: Histogram, from: Histogram): void {
  // for…in, not Object.entries: no array per bucket (a report merges thousands of histograms). `from` is a plain record.
  for (const k in from) into[k] = (into[k] ?? 0) + from[k]!;
}

/** Nearest-rank percentile `p` (0–100) of the histogram, rounded to 0.01 ms; undefined when empty. */
export function histogramPercentile(h: Histogram, p: number): number | undefined {
  const buckets = Object.entries(h)
    .map(([k, n]) => [Number(k), n] as const)
    .sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((a, [, n]) => a + n, 0);
  if (!total) return undefined;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const [k, n] of buckets) {
    seen += n;
    if (seen >= rank) return Math.round(bucketMiddle(k) * 100) / 100;
  }
  return undefined;
}

/** The histogram as bytes: LEB128 varints of (bucket − previous bucket, count), buckets ascending. A few bytes per bucket. */
export function encodeHistogram(h: Histogram): Uint8Array {
  const out: number[] = [];
  const varint = (n: number) => {
    for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n % 0x80) | 0x80);
    out.push(n);
  };
  let prev = 0;
  for (const [k, n] of Object.entries(h).map(([k, n]) => [Number(k), n] as const).sort((a, b) => a[0] - b[0])) {
    varint(k - prev);
    varint(n);
    prev = k;
  }
  return Uint8Array.from(out);
}

export function decodeHistogram(bytes: Uint8Array): Histogram {
  const h: Histogram = {};
  let i = 0;
  const varint = () => {
    let n = 0;
    for (let mul = 1; ; mul *= 0x80) {
      const b = bytes[i++]!;
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
    }
  };
  let k = 0;
  while (i < bytes.length) {
    k += varint();
    h[String(k)] = varint();
  }
  return h;
}
