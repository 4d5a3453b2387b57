/**
 * "Did you mean …?": the closest known word by edit distance, and the known keys at a path of
 * the zod schema (walking objects, records, lists, wrappers, pipes and unions).
 */
import { z } from 'zod';
import { DURATION_PATTERN } from '../duration';
import type { KeyPath } from './positions';

/**
 * Words longer than this get no suggestion: names and keys are at most 63 characters, and the
 * work of a comparison grows with the length, so a huge word (from a request, say) costs nothing.
 */
export const MAX_SUGGEST_LENGTH = 100;

/**
 * Edit distance counting insertions, deletions, substitutions and swaps of neighbours. With
 * `max`, only distances up to it are exact: anything farther is `max + 1`, found in time
 * proportional to the length times `max` (a band around the diagonal), with three rows of memory.
 */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (a.length > b.length) [a, b] = [b, a];
  const over = max + 1;
  if (b.length - a.length > max) return over;
  const band = Math.min(b.length, max);
  const width = b.length + 1;
  let prev2 = new Array<number>(width).fill(over);
  let prev = Array.from({ length: width }, (_, j) => (j <= band ? j : over));
  let row = new Array<number>(width).fill(over);
  for (let i = 1; i <= a.length; i++) {
    const from = Math.max(1, i - band);
    const to = Math.min(b.length, i + band);
    // Cells left of the band keep values from an earlier row: the one the band reads is reset.
    row[from - 1] = from === 1 && i <= band ? i : over;
    let rowBest = from === 1 ? row[0]! : over;
    for (let j = from; j <= to; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, prev2[j - 2]! + 1);
      row[j] = Math.min(best, over);
      rowBest = Math.min(rowBest, row[j]!);
    }
    if (rowBest > max) return over;
    [prev2, prev, row] = [prev, row, prev2];
  }
  return Math.min(prev[b.length]!, over);
}

/** How far a word may be from a candidate to count as a likely typo of it. */
const allowedDistance = (a: string, b: string) => Math.max(1, Math.floor(Math.max(a.length, b.length) / 3));

/**
 * The candidate closest to `word`, if it is close enough to be a likely typo (ties: the first).
 * Bounded work: a word or candidate over MAX_SUGGEST_LENGTH is skipped, and each comparison
 * stops as soon as the candidate is too far.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  if (word.length > MAX_SUGGEST_LENGTH) return undefined;
  const needle = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate.length > MAX_SUGGEST_LENGTH) continue;
    const limit = Math.min(allowedDistance(word, candidate), bestDistance - 1);
    if (limit < 0) break; // an exact match (distance 0) cannot be beaten
    const distance = editDistance(needle, candidate.toLowerCase(), limit);
    if (distance <= limit) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

/** The `did you mean` hint for `word`, or undefined when nothing is close. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const match = closest(word, candidates);
  return match === undefined ? undefined : `did you mean \`${match}\`?`;
}

/** The schemas that can describe the value at `path`, with wrappers, pipes and unions opened. */
export function schemasAt(root: z.ZodType, path: KeyPath): z.ZodType[] {
  let current = open(root);
  for (const segment of path) {
    current = current.flatMap((s) => {
      if (s instanceof z.ZodObject) {
        const field = (s.shape as Record<string, z.ZodType>)[String(segment)];
        return field ? open(field) : [];
      }
      if (s instanceof z.ZodRecord) return open(s.valueType as z.ZodType);
      if (s instanceof z.ZodArray && typeof segment === 'number') return open(s.element as z.ZodType);
      return [];
    });
  }
  return current;
}

/** The keys an object at `path` accepts. */
export function knownKeys(root: z.ZodType, path: KeyPath): string[] {
  const keys = schemasAt(root, path).flatMap((s) => (s instanceof z.ZodObject ? Object.keys(s.shape) : []));
  return [...new Set(keys)];
}

/** True when the value at `path` is a duration string (`500ms`, `2s`, …). */
export function isDurationAt(root: z.ZodType, path: KeyPath): boolean {
  return schemasAt(root, path).some(
    (s) => s instanceof z.ZodString && (s._zod.def.checks ?? []).some((c) => (c._zod.def as { pattern?: RegExp }).pattern?.source === DURATION_PATTERN),
  );
}

/** The concrete schemas behind optional/default wrappers, pipes (their input side) and unions. */
function open(schema: z.ZodType): z.ZodType[] {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) return open(schema.unwrap() as z.ZodType);
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault) return open(schema.unwrap() as z.ZodType);
  if (schema instanceof z.ZodPipe) return open(schema.in as z.ZodType);
  if (schema instanceof z.ZodUnion) return (schema.options as z.ZodType[]).flatMap(open);
  return [schema];
}
