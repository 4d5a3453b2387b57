/**
 * "Did you mean …?": the closest known word by edit distance, and the known keys at a path of
 * the zod schema (walking objects, records, lists, wrappers, pipes and unions).
 */
import { z } from 'zod';
import { DURATION_PATTERN } from '../duration';
import type { KeyPath } from './positions';

/** Edit distance counting insertions, deletions, substitutions and swaps of neighbours. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The candidate closest to `word`, if it is close enough to be a likely typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const needle = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(needle, candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  const allowed = Math.max(1, Math.floor(Math.max(word.length, best?.length ?? 0) / 3));
  return best !== undefined && bestDistance <= allowed ? best : undefined;
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
