/**
 * Secrets out of everything Opsdeck writes: service logs (.opsdeck/logs), the memory journal and
 * memory.db, events on the bus (so over the API too) and status. One table of patterns
 * (SECRET_PATTERNS), one function for text (redactSecrets) and one for values (redactDeep). The
 * value, never the key or flag (so a search still shows that it was there), becomes `***`.
 * docs/memory.md ("No secrets") lists what is hidden.
 */

export const REDACTED = '***';

/** Words that make a key, field or flag name secret, in any case. */
const NAMES = 'secret|token|password|passwd|api[_-]?key|private[_-]?key';

/**
 * A field or variable name whose value is secret: it holds one of NAMES (any case), is
 * `authorization`, or is an environment variable named `*_KEY` (STRIPE_KEY; upper case only, so
 * `sort_key` stays readable).
 */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) || ENV_KEY_NAME.test(name);
}
const SECRET_NAME = new RegExp(`${NAMES}|^authorization$`, 'i');
const ENV_KEY_NAME = /^[A-Z][A-Z0-9_]*_KEY$/;

// A value: a quoted string, or a run up to whitespace or a delimiter (so `?password=abc&page=2`
// keeps `&page=2`).
const VALUE = `("(?:[^"\\\\]|\\\\.)*"|'[^']*'|[^\\s,;&"'}\\])]+)`;

const quoted = (value: string) => (value.startsWith('"') ? `"${REDACTED}"` : value.startsWith("'") ? `'${REDACTED}'` : REDACTED);

export interface SecretPattern {
  name: string;
  re: RegExp;
  replace: (match: string, ...groups: string[]) => string;
  /** What it does: [input, output]; test/unit/redact.test.ts checks every one. */
  examples: readonly (readonly [string, string])[];
}

/** The patterns, applied in this order to every text. */
export const SECRET_PATTERNS: readonly SecretPattern[] = [
  {
    name: 'Authorization header',
    re: /(authorization["']?\s*[:=]\s*["']?)(?:(bearer|basic|token|digest|negotiate)\s+)?([^\s"',;&}\])]+)/gi,
    replace: (_m, head: string, scheme: string | undefined) => `${head}${scheme ? `${scheme} ` : ''}${REDACTED}`,
    examples: [
      ['Authorization: Bearer eyJh.bGc', 'Authorization: Bearer ***'],
      ['authorization=abc123', 'authorization=***'],
    ],
  },
  {
    name: 'bearer token',
    re: /\b(bearer)\s+([A-Za-z0-9._~+/-]{8,}=*)/gi,
    replace: (_m, word: string) => `${word} ${REDACTED}`,
    examples: [['-H "Bearer 0123456789abcdef"', '-H "Bearer ***"']],
  },
  {
    name: 'secret flag and its argument',
    re: new RegExp(`(^|[\\s"'])(--?[A-Za-z0-9_.-]*(?:${NAMES})[A-Za-z0-9_.-]*)(\\s+)(?!--)("[^"]*"|'[^']*'|[^\\s"']+)`, 'gi'),
    replace: (_m, before: string, flag: string, space: string, value: string) => `${before}${flag}${space}${quoted(value)}`,
    examples: [
      ['node app.js --password hunter2 --port 80', 'node app.js --password *** --port 80'],
      ['app --api-token abc', 'app --api-token ***'],
    ],
  },
  {
    // KEY=value, KEY: value, "key": "value", key='value', ?password=…: the key is an
    // identifier-like word holding one of NAMES (DB_PASSWORD, x-api-key, githubToken).
    name: 'secret key and its value',
    re: new RegExp(`(["']?)([A-Za-z0-9_.-]{0,40}?(?:${NAMES})[A-Za-z0-9_.-]{0,40})\\1(\\s*[=:]\\s*)${VALUE}`, 'gi'),
    replace: (_m, q: string, key: string, sep: string, value: string) => `${q}${key}${q}${sep}${quoted(value)}`,
    examples: [
      ['DB_PASSWORD=hunter2 host=db', 'DB_PASSWORD=*** host=db'],
      ['GET /x?user=bob&password=hunter2&page=2', 'GET /x?user=bob&password=***&page=2'],
      ['{"apiKey": "sk-123", "user": "bob"}', '{"apiKey": "***", "user": "bob"}'],
      ['API_TOKEN=t1 AWS_SECRET=s2', 'API_TOKEN=*** AWS_SECRET=***'],
    ],
  },
  {
    name: 'environment variable *_KEY and its value',
    re: new RegExp(`(["']?)\\b([A-Z][A-Z0-9_]*_KEY)\\1(\\s*[=:]\\s*)${VALUE}`, 'g'),
    replace: (_m, q: string, key: string, sep: string, value: string) => `${q}${key}${q}${sep}${quoted(value)}`,
    examples: [['STRIPE_KEY=sk_live_1 MODE=x', 'STRIPE_KEY=*** MODE=x']],
  },
  {
    name: 'password in a URL (scheme://user:password@host)',
    re: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)([^\s/@]+)(@)/gi,
    replace: (_m, head: string, _pw: string, at: string) => `${head}${REDACTED}${at}`,
    examples: [['postgres://app:s3cret@db/app', 'postgres://app:***@db/app']],
  },
];

// Cheap test first: most lines mention none of these, and they skip the real patterns entirely.
const MAYBE = new RegExp(`${NAMES}|_KEY|bearer|authorization|:\\/\\/[^\\s/@]*:[^\\s/@]*@`, 'i');

/** `text` with the value of every secret SECRET_PATTERNS finds replaced by `***`. */
export function redactSecrets(text: string): string {
  if (!MAYBE.test(text)) return text;
  let out = text;
  for (const p of SECRET_PATTERNS) out = out.replace(p.re, p.replace as (m: string, ...g: string[]) => string);
  return out;
}

/**
 * `value` with every string (at any depth) redacted, the value of a field with a secret name
 * (isSecretName) replaced, and in an argv array the argument after a flag like `--password`.
 * Returns `value` itself when nothing in it is secret (no copy).
 */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redactSecrets(value) as T;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const r = i > 0 && typeof v === 'string' && isSecretFlag(value[i - 1]) && !v.startsWith('--') ? REDACTED : redactDeep(v);
      if (r !== v) (out ??= value.slice())[i] = r;
    }
    return (out ?? value) as T;
  }
  if (value && typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return value; // plain JSON-like objects only
    let out: Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(value)) {
      const r = typeof v === 'string' && isSecretName(k) ? REDACTED : redactDeep(v);
      if (r !== v) (out ??= { ...(value as Record<string, unknown>) })[k] = r;
    }
    return (out ?? value) as T;
  }
  return value;
}

function isSecretFlag(arg: unknown): boolean {
  return typeof arg === 'string' && /^--?[A-Za-z0-9_.-]+$/.test(arg) && isSecretName(arg);
}
