/**
 * Silences: matchers over an alert's labels (`rule`, `service`, `severity`, `stack`, and the
 * rule's own labels), an end time and a comment. A silenced alert still fires and is listed,
 * with `silencedBy`, but sends nothing until the silence ends (or is removed).
 */
import { OpsError } from '../errors';
import type { Alert, Silence, SilenceMatcher, SilenceRequest } from '../contract/alerts';

/** `name=value`, `name!=value` or `name=~regex`, as the CLI and the API take them. */
export function parseMatcher(text: string): SilenceMatcher {
  const m = /^\s*([a-z_][a-z0-9_]*)\s*(=~|!=|=)\s*(.*?)\s*$/.exec(text);
  if (!m || m[3] === '') {
    throw new OpsError('BAD_REQUEST', `"${text}" is not a matcher`, 'write NAME=VALUE, NAME!=VALUE or NAME=~REGEX, e.g. service=storage or rule=~ipc_.*; names: rule, service, severity, stack, or a rule label');
  }
  const op = m[2] as SilenceMatcher['op'];
  if (op === '=~') regexOf(m[3]!);
  return { name: m[1]!, op, value: m[3]! };
}

function regexOf(source: string): RegExp {
  try {
    return new RegExp(`^(?:${source})$`);
  } catch (e) {
    throw new OpsError('BAD_REQUEST', `matcher regex "${source}" is invalid: ${(e as Error).message}`, 'fix the regular expression, e.g. rule=~ipc_.*');
  }
}

export const formatMatcher = (m: SilenceMatcher) => `${m.name}${m.op}${m.value}`;

/** The labels a matcher can name. */
export function alertLabels(a: Pick<Alert, 'rule' | 'service' | 'severity' | 'labels'>, stack: string): Record<string, string> {
  return { ...a.labels, rule: a.rule, alertname: a.rule, service: a.service, severity: a.severity, stack };
}

export function matches(s: Silence, labels: Record<string, string>): boolean {
  return s.matchers.every((m) => {
    const v = labels[m.name] ?? '';
    return m.op === '=' ? v === m.value : m.op === '!=' ? v !== m.value : regexOf(m.value).test(v);
  });
}

/** A new silence from a request, checked: at least one matcher, an end in the future, a comment. */
export function newSilence(req: SilenceRequest, now: number): Silence {
  if (!req.matchers.length) throw new OpsError('BAD_REQUEST', 'a silence needs at least one matcher', 'e.g. --matcher service=storage');
  for (const m of req.matchers) if (m.op === '=~') regexOf(m.value);
  const endsAt = req.endsAt ?? (req.durationMs !== undefined ? now + req.durationMs : undefined);
  if (endsAt === undefined) throw new OpsError('BAD_REQUEST', 'a silence needs an end: a duration or an end time', 'e.g. --for 1h');
  if (endsAt <= now) throw new OpsError('BAD_REQUEST', 'the silence would end before it starts', 'give a duration greater than 0, e.g. --for 1h');
  if (!req.comment?.trim()) throw new OpsError('BAD_REQUEST', 'a silence needs a comment (why, and who)', 'e.g. --comment "storage migration, back at 3pm"');
  return { id: `s-${shortRandomId(8)}`, matchers: req.matchers, startsAt: now, endsAt, comment: req.comment.trim(), ...(req.by ? { by: req.by } : {}) };
}

/** `n` hex digits, for the ids of incidents and silences (unique enough within one stack; no node:crypto, which an idle daemon does not load). */
export const shortRandomId = (n: number) =>
  Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');
