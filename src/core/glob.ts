/**
 * The one glob dialect of Opsdeck: `backup.files` / `backup.exclude` (config and backup adapters)
 * and `restore --include` (the repository's entry selection). A small, strict dialect compiled to
 * regular expressions, matched against POSIX paths relative to a base folder.
 *
 *   *        any characters except `/`
 *   **       any number of whole path segments (`a/**` is everything under a, `**\/x` any x)
 *   ?        one character except `/`
 *   [abc]    one of the characters (ranges `a-z`; `[!abc]` or `[^abc]`: none of them)
 *   {a,b}    one of the alternatives (no nesting)
 *   dir/     a trailing slash: the folder and everything under it
 *
 * A pattern without wildcards that names a folder also means everything under it. Patterns are
 * relative; absolute paths and `..` segments that climb out of the base are refused (BAD_REQUEST
 * with the reason), as are unclosed `[` and `{`.
 */
import { OpsError } from './errors';

export interface Glob {
  /** The pattern as written. */
  source: string;
  /** The leading segments without wildcards: where a walk starts (`''` for the base; the path itself when literal). */
  base: string;
  /** True when the pattern has no wildcard at all (a file or folder named literally). */
  literal: boolean;
  /** The compiled expression: the path itself, or anything under it. */
  regex: RegExp;
  /** Does a relative POSIX path match (itself, or as a file under a matched folder)? */
  matches(path: string): boolean;
}

const SPECIAL = /[*?[{]/;

/** Compile one pattern; throws BAD_REQUEST saying what is wrong with it. */
export function compileGlob(pattern: string, what = 'glob'): Glob {
  const source = pattern;
  const fail = (why: string, hint = 'globs are relative paths with *, **, ?, [abc] and {a,b}, e.g. data/*.json or config/') => {
    throw new OpsError('BAD_REQUEST', `${what} "${source}" is invalid: ${why}`, hint);
  };
  if (typeof pattern !== 'string' || pattern.trim() === '') fail('it is empty');
  let p = pattern.replace(/\\/g, '/');
  if (p.startsWith('/') || /^[A-Za-z]:\//.test(p)) fail('it is an absolute path', 'write it relative to the service\'s folder (the stack folder unless the service sets cwd)');
  const dirOnly = p.endsWith('/');
  p = p.replace(/\/+$/, '').replace(/^(\.\/)+/, '');
  if (p === '' || p === '.') p = '**';
  const segments = p.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) fail('it has a ".." segment', 'backups and restores only reach inside the stack folder: write the path without ".."');

  let re = '';
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const last = i === segments.length - 1;
    if (seg === '**') {
      // Any number of segments, including none.
      re += last ? '(?:.*)' : '(?:[^/]+/)*';
      continue;
    }
    re += segmentRegex(seg, fail) + (last ? '' : '/');
  }
  const literal = !segments.some((s) => SPECIAL.test(s));
  const baseSegments: string[] = [];
  for (const s of segments) {
    if (SPECIAL.test(s)) break;
    baseSegments.push(s);
  }
  const base = baseSegments.join('/');
  // A match may be the path itself, or anything under it (a folder); `dir/` means only under it
  // or the folder itself.
  const full = new RegExp(`^${re}(?:/.*)?$`);
  const normalized = segments.join('/');
  return {
    source,
    base,
    literal,
    regex: full,
    matches: (path: string) => {
      const q = normalize(path);
      if (dirOnly && q === normalized) return true;
      return full.test(q);
    },
  };
}

/** The regular expression of one pattern (compileGlob's, which throws BAD_REQUEST for an invalid one). */
export function globToRegExp(pattern: string): RegExp {
  return compileGlob(pattern).regex;
}

/** A relative POSIX path without `./` and trailing slashes. */
export function normalize(path: string): string {
  return path.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

function segmentRegex(seg: string, fail: (why: string) => never): string {
  let out = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') {
      // `**` inside a segment (like a**b) is just two stars: no slash either way.
      while (seg[i + 1] === '*') i++;
      out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end < 0) fail(`"[" in "${seg}" has no closing "]"`);
      let body = seg.slice(i + 1, end);
      let negate = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      if (body === '') fail('"[]" is an empty character class');
      const cls = body.replace(/[\\\]^]/g, (m) => `\\${m}`);
      out += negate ? `[^/${cls}]` : `[${cls}]`;
      i = end;
    } else if (c === '{') {
      const end = seg.indexOf('}', i + 1);
      if (end < 0) fail(`"{" in "${seg}" has no closing "}"`);
      const body = seg.slice(i + 1, end);
      if (body.includes('{')) fail('nested "{" is not supported');
      const alts = body.split(',').map((a) => segmentRegex(a, fail));
      out += `(?:${alts.join('|')})`;
      i = end;
    } else if (c === ']' || c === '}') {
      out += `\\${c}`;
    } else out += c.replace(/[.+^$()|\\]/g, (m) => `\\${m}`);
  }
  return out;
}

/** Compile many patterns: `matches` is true when any of them matches. */
export function compileGlobs(patterns: readonly string[], what = 'glob'): { globs: Glob[]; matches(path: string): boolean } {
  const globs = patterns.map((p) => compileGlob(p, what));
  return { globs, matches: (path) => globs.some((g) => g.matches(path)) };
}
