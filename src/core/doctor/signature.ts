/**
 * An error line's signature: the message with what varies between two occurrences of the same
 * error masked — times, UUIDs, hex ids and addresses, IP addresses, paths, quoted values after
 * `=`, numbers — so that `timeout after 3012ms on /srv/a/17.db` and `timeout after 95ms on
 * /srv/b/3.db` count as one.
 */

const MASKS: [RegExp, string][] = [
  [/\b\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?\b/g, '<time>'],
  [/\b\d\d:\d\d:\d\d(\.\d+)?\b/g, '<time>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  [/\b0x[0-9a-f]+\b/gi, '<hex>'],
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, '<hex>'],
  [/\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b/g, '<ip>'],
  [/(^|[\s("'=:])((?:[A-Za-z]:)?(?:\/|\\|\.\.?\/)[^\s"'),:;]+)/g, '$1<path>'],
  [/\b\d+(\.\d+)?/g, '<n>'],
];

/** The line's signature (at most 200 characters). */
export function errorSignature(line: string): string {
  let s = line.trim();
  for (const [re, mask] of MASKS) s = s.replace(re, mask);
  s = s.replace(/\s+/g, ' ');
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

const ERROR_WORDS = /\b(error|errors|exception|fatal|panic|failed|failure|traceback|critical|uncaught|unhandled|refused|denied|timeout|timed out)\b|\bERR\b/i;
const ERRNO = /\bE(ACCES|ADDRINUSE|CONNREFUSED|CONNRESET|NOENT|PIPE|TIMEDOUT|NOTFOUND|PERM|NOSPC|MFILE|NOMEM)\b/;

/** Whether a service's log line reports an error. */
export const isErrorLine = (line: string) => ERROR_WORDS.test(line) || ERRNO.test(line);
