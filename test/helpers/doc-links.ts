/**
 * Links in Markdown (issue 17, docs that cannot rot): the links and images of a file (outside
 * code), and the anchors its headings get on GitHub. Pure: test/unit/docs-links.test.ts checks
 * them against the files.
 */

export interface DocLink {
  /** 1-based line. */
  line: number;
  /** The target as written (`../backup.md#restore`, `images/x.png`). */
  target: string;
  image: boolean;
}

/** The text outside fenced code blocks (same line numbers), inline code blanked unless `keepInline`. */
function prose(text: string, keepInline = false): string[] {
  let fence: string | undefined;
  return text.split('\n').map((l) => {
    const m = /^\s*(`{3,}|~{3,})/.exec(l);
    if (fence) {
      if (m && m[1]![0] === fence[0] && m[1]!.length >= fence.length && l.trim() === m[1]) fence = undefined;
      return '';
    }
    if (m) {
      fence = m[1];
      return '';
    }
    return keepInline ? l : l.replace(/(`+)[^`]*?\1/g, (s) => ' '.repeat(s.length));
  });
}

/** Every inline link, image and reference definition outside code. */
export function linksOf(text: string): DocLink[] {
  const out: DocLink[] = [];
  prose(text).forEach((l, i) => {
    for (const m of l.matchAll(/(!?)\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ line: i + 1, target: m[2]!, image: m[1] === '!' });
    const def = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(l);
    if (def) out.push({ line: i + 1, target: def[1]!, image: false });
    for (const m of l.matchAll(/<img\s[^>]*src="([^"]+)"/g)) out.push({ line: i + 1, target: m[1]!, image: true });
  });
  return out;
}

/** A link to another site or scheme (not checked here). */
export const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);

/** GitHub's anchor of a heading's text: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links: their text
    .replace(/<[^>]+>/g, '') // html tags
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '').replace(/\s/g, '-');
}

/** The anchors of a file's headings (`#` headings outside code; repeats get -1, -2, …). */
export function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const l of prose(text, true)) {
    const m = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(l);
    if (!m) continue;
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}
