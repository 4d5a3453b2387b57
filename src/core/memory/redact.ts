/**
 * Secrets out of what memory stores. Env values never reach events, but services print things
 * like `DB_PASSWORD=hunter2`, `"apiKey": "…"` or `postgres://app:s3cret@db/app` into their logs;
 * the value (never the key, so a search still shows that it was there) becomes `***`.
 */

/** Key names whose values are secret. */
export const SECRET_KEY = /(secret|token|password|passwd|api[_-]?key|private[_-]?key)/i;

// Cheap test first: most lines mention none of these, and they skip the real patterns entirely.
const MAYBE = /secret|token|passw|api[_-]?key|private[_-]?key|:\/\/[^\s/@]*:[^\s/@]*@/i;

// KEY=value, KEY: value, "key": "value", key='value'. The key is an identifier-like word holding
// one of the secret names (DB_PASSWORD, x-api-key, githubToken); the value is a quoted string or
// a run up to whitespace or a delimiter (so `?api_key=abc&page=2` keeps `&page=2`).
const KEY_VALUE =
  /(["']?)([A-Za-z0-9_.-]{0,40}?(?:secret|token|password|passwd|api[_-]?key|private[_-]?key)[A-Za-z0-9_.-]{0,40})\1(\s*[=:]\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,;&"'}\])]+)/gi;

// scheme://user:password@host
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)([^\s/@]+)(@)/gi;

export const REDACTED = '***';

export function redactSecrets(text: string): string {
  if (!MAYBE.test(text)) return text;
  return text
    .replace(KEY_VALUE, (_m, q: string, key: string, sep: string, value: string) => {
      const v = value.startsWith('"') ? `"${REDACTED}"` : value.startsWith("'") ? `'${REDACTED}'` : REDACTED;
      return `${q}${key}${q}${sep}${v}`;
    })
    .replace(URL_PASSWORD, `$1${REDACTED}$3`);
}

/**
 * A copy of a JSON-like value with every string (at any depth) redacted; also the value of an
 * object field whose name is a secret name, and the argument after `--password` / `--api-key`
 * style flags in an argv array.
 */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redactSecrets(value) as T;
  if (Array.isArray(value)) {
    return value.map((v, i) => (i > 0 && typeof v === 'string' && isSecretFlag(value[i - 1]) ? REDACTED : redactDeep(v))) as T;
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = typeof v === 'string' && SECRET_KEY.test(k) ? REDACTED : redactDeep(v);
    return out as T;
  }
  return value;
}

function isSecretFlag(arg: unknown): boolean {
  return typeof arg === 'string' && /^--?[A-Za-z0-9_.-]+$/.test(arg) && SECRET_KEY.test(arg);
}
