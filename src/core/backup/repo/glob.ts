/**
 * Include globs for partial restores: `*` (any characters but `/`), `**` (anything, across
 * folders; `**\/` also matches no folder), `?` (one character but `/`), `[abc]`, `[a-z]`,
 * `[!abc]`. A pattern matches an entry when it matches its `path` or `service/path`, or one of
 * the entry's parent folders (so `db` brings everything below `db/`).
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else {
          re += '.*';
        }
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, close);
      let neg = false;
      if (body[0] === '!' || body[0] === '^') {
        neg = true;
        body = body.slice(1);
      }
      body = body.replace(/[\\\]^]/g, (m) => '\\' + m);
      re += neg ? `[^/${body}]` : `[${body}]`;
      i = close;
    } else {
      re += c.replace(/[.+^${}()|\\/]/g, (m) => '\\' + m);
    }
  }
  return new RegExp(`^${re}$`);
}

export function matchesInclude(entry: { service: string; path: string }, patterns: readonly string[] | readonly RegExp[]): boolean {
  if (patterns.length === 0) return true;
  const res = patterns.map((p) => (typeof p === 'string' ? globToRegExp(p.replace(/\/+$/, '')) : p));
  const segs = entry.path.split('/');
  for (let n = segs.length; n >= 1; n--) {
    const p = segs.slice(0, n).join('/');
    for (const re of res) if (re.test(p) || re.test(`${entry.service}/${p}`)) return true;
  }
  return false;
}
