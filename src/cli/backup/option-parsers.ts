/** The value parsers of the backup commands' options: lists, retention counts, verify subsets, durations. */
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../../core/contract';

/** A repeatable option whose values may also be comma-separated: `-s a,b -s c` → [a, b, c]. */
export const collect = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

/** A repeatable option taken as given (a glob may hold commas). */
export const collectOne = (v: string, prev: string[] = []) => [...prev, v];

/** A `--keep-*` count: a whole number above 0, or -1 for unlimited. */
export const keepCount = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < -1 || n === 0) throw new InvalidArgumentError(`"${v}" is not a count: give a whole number greater than 0, or -1 for unlimited`);
  return n;
};

/** A `--read-data-subset`: N/T (the N-th of T parts) or P%. */
export const subsetArg = (v: string) => {
  if (!/^(\d+\/\d+|\d+(\.\d+)?%)$/.test(v)) throw new InvalidArgumentError(`"${v}" is not a subset: write N/T (e.g. 1/7) or P% (e.g. 5%)`);
  const m = /^(\d+)\/(\d+)$/.exec(v);
  if (m && (Number(m[1]) < 1 || Number(m[1]) > Number(m[2]))) throw new InvalidArgumentError(`"${v}": N must be between 1 and T`);
  return v;
};

/** A positive duration such as 30s or 2m, in milliseconds. */
export function durationArg(v: string): number {
  const ms = parseDuration(v);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError(`"${v}" is not a duration such as 30s or 2m`);
  return ms;
}
