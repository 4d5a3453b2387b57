/**
 * What a user types into "search memory", turned into an FTS5 query that cannot surprise them.
 *
 * Every word is quoted, so punctuation, `exit code 1`, `127.0.0.1:7101`, `api_key` or a stray
 * quote are just text. What stays syntax: `"a phrase"` (an unclosed quote closes at the end),
 * `word*` / `"a phr"*` for a prefix, `AND` / `OR` / `NOT` in capitals, parentheses (unbalanced ones
 * are closed or dropped), and `text:` / `service:` / `kind:` in front of a word, phrase or group
 * to search one field only. Terms next to each other must all match. An operator with nothing to
 * act on (`crash OR`, `NOT storage`) is the one mistake left, and it is an OpsError with a hint;
 * so is a query over QUERY_LIMITS (characters, terms, nesting).
 */
import { OpsError } from '../errors';

/**
 * The most a query may hold: every term is a lookup in the index and every group a level of
 * FTS5's parser, so a pasted page of text would make one search slow (or overflow the parser).
 */
export const QUERY_LIMITS = { length: 1000, terms: 32, depth: 8 } as const;

/** The indexed fields a query may name with `field:`. */
export const SEARCH_FIELDS = ['text', 'service', 'kind'] as const;

export const QUERY_HINT =
  'Plain words find events holding all of them. Use "quotes" for a phrase, word* for a prefix, ' +
  'OR / AND / NOT in capitals between two terms (NOT means "but not": crash NOT storage), ' +
  'parentheses to group, and service:name or kind:restart to search one field. ' +
  'Put an operator in quotes ("OR") to search for the word itself.';

type Item =
  | { t: 'term'; text: string; prefix: boolean; field?: string }
  | { t: 'op'; op: 'AND' | 'OR' | 'NOT' }
  | { t: 'open'; field?: string }
  | { t: 'close' };

/**
 * The FTS5 MATCH expression for `text`, or undefined when it holds nothing searchable (only
 * punctuation, say), which matches no event. Throws OpsError MEMORY_QUERY_INVALID when an
 * operator has no term on one side.
 */
export function toFtsQuery(text: string): string | undefined {
  if (text.length > QUERY_LIMITS.length) {
    throw new OpsError('MEMORY_QUERY_INVALID', `cannot search for a text of ${text.length} characters: a query holds at most ${QUERY_LIMITS.length}`, QUERY_HINT);
  }
  const items = normalize(scan(text));
  check(items, text);
  const out: string[] = [];
  let prev: Item | undefined;
  for (const it of items) {
    // FTS5 only ANDs neighbouring phrases by itself; next to a parenthesis it needs the AND spelled out.
    if (prev && ((prev.t === 'close' && it.t === 'term') || ((prev.t === 'term' || prev.t === 'close') && it.t === 'open'))) out.push('AND');
    out.push(render(it));
    prev = it;
  }
  return out.length ? out.join(' ') : undefined;
}

function render(it: Item): string {
  const field = (f: string | undefined) => (f ? `${f} : ` : '');
  switch (it.t) {
    case 'term':
      return `${field(it.field)}"${it.text.replace(/"/g, '""')}"${it.prefix ? '*' : ''}`;
    case 'op':
      return it.op;
    case 'open':
      return `${field(it.field)}(`;
    case 'close':
      return ')';
  }
}

const FIELD = new RegExp(`^(${SEARCH_FIELDS.join('|')}):(.*)$`, 'is');
const SEARCHABLE = /[\p{L}\p{N}]/u;

/** Split into terms, operators and parentheses. */
function scan(input: string): Item[] {
  const items: Item[] = [];
  let field: string | undefined; // a bare `service:` waiting for the term or group after it
  let i = 0;
  const take = (it: Item) => {
    if (field !== undefined && (it.t === 'term' || it.t === 'open')) it.field = field;
    field = undefined;
    items.push(it);
  };
  while (i < input.length) {
    const c = input[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"') {
      const end = input.indexOf('"', i + 1);
      const stop = end === -1 ? input.length : end;
      const phrase = input.slice(i + 1, stop);
      i = stop + 1;
      const stars = /^\*+/.exec(input.slice(i))?.[0].length ?? 0;
      i += stars;
      take({ t: 'term', text: phrase, prefix: stars > 0 });
    } else if (c === '(') {
      take({ t: 'open' });
      i++;
    } else if (c === ')') {
      take({ t: 'close' });
      i++;
    } else {
      let j = i;
      while (j < input.length && !/[\s"()]/.test(input[j]!)) j++;
      const word = input.slice(i, j);
      i = j;
      if (word === 'AND' || word === 'OR' || word === 'NOT') {
        take({ t: 'op', op: word });
        continue;
      }
      const f = FIELD.exec(word);
      if (f) {
        field = f[1]!.toLowerCase();
        if (f[2] === '') continue; // `service: storage`, `service:"a b"`, `service:(…)`
        const rest = f[2]!;
        take({ t: 'term', text: rest.replace(/\*+$/, ''), prefix: rest.endsWith('*') });
        continue;
      }
      const prefix = word.endsWith('*');
      take({ t: 'term', text: word.replace(/\*+$/, ''), prefix });
    }
  }
  return items;
}

/** Drop unsearchable terms and empty groups, balance parentheses. */
function normalize(items: Item[]): Item[] {
  const out: Item[] = [];
  let depth = 0;
  for (const it of items) {
    if (it.t === 'term' && !SEARCHABLE.test(it.text)) continue;
    if (it.t === 'close') {
      if (depth === 0) continue; // a stray ")"
      if (out.at(-1)?.t === 'open') {
        out.pop(); // "()"
        depth--;
        continue;
      }
      depth--;
    }
    if (it.t === 'open') depth++;
    out.push(it);
  }
  while (depth > 0) {
    if (out.at(-1)?.t === 'open') out.pop();
    else out.push({ t: 'close' });
    depth--;
  }
  return out;
}

/** Every operator needs a term (or group) on both sides. */
function check(items: Item[], input: string): void {
  const shown = input.trim().length > 80 ? `${input.trim().slice(0, 80)}…` : input.trim();
  const fail = (why: string) => {
    throw new OpsError('MEMORY_QUERY_INVALID', `cannot search for ${JSON.stringify(shown)}: ${why}`, QUERY_HINT);
  };
  const terms = items.filter((it) => it.t === 'term').length;
  if (terms > QUERY_LIMITS.terms) fail(`it has ${terms} terms, more than ${QUERY_LIMITS.terms} (search for the few words that matter)`);
  let depth = 0;
  for (const it of items) {
    depth += it.t === 'open' ? 1 : it.t === 'close' ? -1 : 0;
    if (depth > QUERY_LIMITS.depth) fail(`it nests parentheses deeper than ${QUERY_LIMITS.depth}`);
  }
  items.forEach((it, k) => {
    if (it.t !== 'op') return;
    const before = items[k - 1];
    const after = items[k + 1];
    if (!before || before.t === 'op' || before.t === 'open') fail(`${it.op} needs a search term before it`);
    if (!after || after.t === 'op' || after.t === 'close') fail(`${it.op} needs a search term after it`);
  });
}
