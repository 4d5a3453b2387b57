/**
 * The building blocks of the zod schemas of opsdeck.yaml (schema.ts and its schema-*.ts parts):
 * names, durations, argv, environment maps, whole-object checks and written defaults. Each block is
 * a function that makes a fresh schema, and no module keeps one: the schemas live only as long as
 * configSchemas() (schema.ts) lets them.
 */
import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from '../duration';

const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** A name of a stack, service or profile. */
export const name = () =>
  z.string().regex(NAME_RE, {
    error: 'must be 1-63 lower-case letters, digits, "-" or "_", starting with a letter or digit',
  });

/**
 * A duration string turned into milliseconds, at most `max` (written like a value, e.g. `'1h'`):
 * every duration key has a sensible range, and none reaches the ~24.8 days (2^31 ms) past which
 * Node's timers fire at once. `range` is how the message shows the range, e.g. `0s–1h`.
 */
const durationString = (max: string, range: string) => {
  const maxMs = parseDuration(max)!;
  return z
    .string({ error: 'must be a duration string such as "500ms", "2s" or "10m"' })
    .regex(new RegExp(DURATION_PATTERN), { error: 'must be a duration such as "500ms", "2s", "10m", "1h30m" or "1d"' })
    .transform((s, ctx) => {
      const ms = parseDuration(s) as number;
      if (ms > maxMs) {
        ctx.issues.push({ code: 'custom', message: `${s.trim()} is out of range (${range})`, input: s });
        return z.NEVER;
      }
      return ms;
    });
};

/** A duration string such as `500ms`, `2s`, `10m`, `1d`, from `0s` to `max`, turned into milliseconds. */
export const duration = (max: string) =>
  durationString(max, `0s–${max}`).meta({
    description: `A duration from 0s to ${max}: a number followed by ms, s, m, h or d (e.g. "500ms", "2s", "1h30m", "1d").`,
  });

/** A duration greater than 0 and at most `max` (intervals and timeouts). */
export const positiveDuration = (max: string) =>
  durationString(max, `1ms–${max}`)
    .pipe(z.number().positive({ error: 'must be greater than 0' }))
    .meta({ description: `A duration greater than 0, at most ${max}: a number followed by ms, s, m, h or d (e.g. "500ms", "2s", "1h30m", "1d").` });

/** A program and its arguments. */
export const argv = () =>
  z
    .array(z.string().min(1, { error: 'must not be an empty string' }), { error: 'must be a list of strings (argv), e.g. [node, server.js]' })
    .min(1, { error: 'must not be empty: give the program and its arguments, e.g. [node, server.js]' });

const envValue = () =>
  z.union([z.string(), z.number(), z.boolean()], { error: 'must be a string, number or boolean' }).transform((v) => String(v));

/** The name of an environment variable. */
export const envVarName = () => z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'is not a valid environment variable name' });

/** Environment variables, each value turned into a string. */
export const envMap = () => z.record(envVarName(), envValue());

/**
 * A path relative to a service's folder that stays inside the stack folder and names one thing
 * (no wildcards): `example` is what the type error shows, `what` what a wildcard message says it names.
 */
export const insidePath = (example: string, what: string) =>
  z.string({ error: `must be a relative path${example ? ` such as ${example}` : ''}` }).min(1, { error: 'must not be empty' }).superRefine((p, ctx) => {
    const n = p.replace(/\\/g, '/');
    if (n.startsWith('/') || /^[A-Za-z]:\//.test(n)) ctx.addIssue({ code: 'custom', message: 'must be relative to the service\'s folder, not absolute', input: p });
    else if (n.split('/').includes('..')) ctx.addIssue({ code: 'custom', message: 'must stay inside the stack folder (no "..")', input: p });
    else if (/[*?[{]/.test(n)) ctx.addIssue({ code: 'custom', message: `must name ${what} (no wildcards)`, input: p });
  });

export const positiveInt = () => z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).positive({ error: 'must be greater than 0' });

/** A port number (1-65535). */
export const port = () => positiveInt().max(65535, { error: 'must be a port number (1-65535)' });

/** A whole number, 0 or more. */
export const count = () => z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(0, { error: 'must be 0 or more' });

/** The value as a mapping, or undefined when it is not one. */
export const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

interface ObjectCheckContext {
  addIssue: z.core.$RefinementCtx['addIssue'];
  /** True when a key of the object already has a problem (its value is then the raw input). */
  hasIssueAt(key: string): boolean;
}

/**
 * A check of a whole object that runs even when other keys of the object have problems (zod
 * skips checks after any issue by default, so errors would hide each other). The object it gets
 * is only partly parsed: a key with a problem holds its raw value, a missing key may be absent,
 * so `fn` reads every key defensively. It does not run when the value is not a mapping at all.
 */
export function objectCheck(fn: (value: Record<string, unknown>, ctx: ObjectCheckContext) => void) {
  return z.superRefine<unknown>(
    (value, ctx) => {
      fn(value as Record<string, unknown>, {
        addIssue: (issue) => ctx.addIssue(issue),
        hasIssueAt: (key) => ctx.issues.some((i) => i.path?.[0] === key),
      });
    },
    { when: (payload) => asRecord(payload.value) !== undefined },
  );
}

/**
 * The defaults of an object's keys, in written form: what the object is when it is left out.
 * Its keys' defaults are prefaults (written form) or plain defaults of values that no transform
 * changes, so each one reads the same written or parsed.
 */
export function writtenDefaults<T extends z.ZodObject>(schema: T): z.input<T> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    if (field instanceof z.ZodDefault || field instanceof z.ZodPrefault) out[key] = field._zod.def.defaultValue;
  }
  return out as z.input<T>;
}

/** A duration from `min` to `max` (a retention), turned into milliseconds. */
export const durationBetween = (min: string, max: string) => {
  const minMs = parseDuration(min)!;
  return durationString(max, `${min}–${max}`)
    .pipe(z.number().min(minMs, { error: `must be at least ${min}` }))
    .meta({ description: `A duration from ${min} to ${max}: a number followed by ms, s, m, h or d (e.g. "48h", "90d").` });
};
