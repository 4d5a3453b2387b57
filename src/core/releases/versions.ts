/**
 * Comparing release versions and checking a version against a range (`>=0.2.0 <1`, `^0.3`,
 * `~1.2`): dotted numbers compared as numbers, a leading `v` ignored, anything after a `-` a
 * pre-release that sorts before the release itself. Enough for releases and `requires.opsdeck`.
 */

interface Parsed {
  nums: number[];
  pre: string;
  text: string;
}

function parse(v: string): Parsed {
  const text = v.trim().replace(/^v/i, '');
  const [main = '', ...pre] = text.split('-');
  const nums = main.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  return { nums, pre: pre.join('-'), text };
}

/** < 0 when a is older than b, 0 when equal, > 0 when newer. Non-numeric parts compare as text. */
export function compareVersions(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  if (pa.nums.some(Number.isNaN) || pb.nums.some(Number.isNaN)) return pa.text.localeCompare(pb.text, 'en', { numeric: true });
  for (let i = 0; i < Math.max(pa.nums.length, pb.nums.length); i++) {
    const d = (pa.nums[i] ?? 0) - (pb.nums[i] ?? 0);
    if (d !== 0) return d;
  }
  if (pa.pre === pb.pre) return 0;
  if (!pa.pre) return 1;
  if (!pb.pre) return -1;
  return pa.pre.localeCompare(pb.pre, 'en', { numeric: true });
}

/** Versions sorted oldest first. */
export const sortVersions = (versions: Iterable<string>): string[] => [...versions].sort(compareVersions);

/** The next version above `v` at the place `^` or `~` allow (the upper bound of the range). */
function caretUpper(v: string, tilde: boolean): string {
  const n = parse(v).nums;
  const at = tilde ? Math.min(1, n.length - 1) : Math.max(0, n.findIndex((x) => x !== 0) === -1 ? n.length - 1 : n.findIndex((x) => x !== 0));
  const up = n.slice(0, at + 1);
  up[at] = (up[at] ?? 0) + 1;
  return up.join('.');
}

/** True when `version` (its pre-release part ignored) is inside `range`: space-separated comparisons, all must hold. */
export function satisfiesRange(version: string, range: string): boolean {
  const v = parse(version).nums.join('.');
  for (const m of range.matchAll(/(>=|<=|>|<|=|\^|~)?\s*(v?\d+(?:\.\d+)*)/g)) {
    const [, op = '=', bound = ''] = m;
    const c = compareVersions(v, bound);
    const ok =
      op === '>=' ? c >= 0
      : op === '>' ? c > 0
      : op === '<=' ? c <= 0
      : op === '<' ? c < 0
      : op === '^' || op === '~' ? c >= 0 && compareVersions(v, caretUpper(bound, op === '~')) < 0
      : c === 0 || (op === '=' && !m[1] && v.startsWith(`${parse(bound).nums.join('.')}.`));
    if (!ok) return false;
  }
  return true;
}
