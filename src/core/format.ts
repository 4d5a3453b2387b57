/** Sizes, counts and rates as people read them: 1536 → "1.5 KiB", "1 file" / "2 files", and short snapshot ids. */
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return `${n} B`;
  let i = 0;
  let v = n;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${UNITS[i]}`;
}

/** The first 8 characters of a snapshot id, as listings show it (any unique prefix is accepted back). */
export const shortId = (id: string) => id.slice(0, 8);

/** A count with its noun: `count(1, 'file')` → "1 file", `count(2, 'file')` → "2 files". */
export const count = (n: number, noun: string, plural = `${noun}s`) => `${n} ${n === 1 ? noun : plural}`;
