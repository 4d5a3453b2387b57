/**
 * The zod schema of opsdeck.yaml. It is the single source of truth: the loader validates with
 * it, the JSON Schema in docs/ is generated from it, and the engine's types are inferred from it.
 * Every object is strict (unknown keys are errors) and every default is written here.
 */
import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from '../duration';

export const TIERS = ['storage', 'messaging', 'server', 'worker'] as const;
export type Tier = (typeof TIERS)[number];
export const DEPENDENCY_CONDITIONS = ['started', 'healthy', 'completed'] as const;
export type DependencyCondition = (typeof DEPENDENCY_CONDITIONS)[number];

const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const name = () =>
  z.string().regex(NAME_RE, {
    error: 'must be 1-63 lower-case letters, digits, "-" or "_", starting with a letter or digit',
  });

/** A duration string such as `500ms`, `2s`, `10m`, turned into milliseconds. */
export const duration = () =>
  z
    .string({ error: 'must be a duration string such as "500ms", "2s" or "10m"' })
    .regex(new RegExp(DURATION_PATTERN), { error: 'must be a duration such as "500ms", "2s", "10m" or "1h30m"' })
    .transform((s) => parseDuration(s) as number)
    .meta({ description: 'A duration: a number followed by ms, s, m, h or d (e.g. "500ms", "2s", "1h30m").' });

const argv = () =>
  z
    .array(z.string().min(1, { error: 'must not be an empty string' }), { error: 'must be a list of strings (argv), e.g. [node, server.js]' })
    .min(1, { error: 'must not be empty: give the program and its arguments, e.g. [node, server.js]' });

const envValue = z
  .union([z.string(), z.number(), z.boolean()], { error: 'must be a string, number or boolean' })
  .transform((v) => String(v));
const envMap = () => z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'is not a valid environment variable name' }), envValue);

const positiveInt = () => z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).positive({ error: 'must be greater than 0' });

// ---------------------------------------------------------------- probes

const httpProbe = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
  method: z.enum(['GET', 'HEAD', 'POST']).default('GET'),
  /** Expected status: one code, a list of codes, or absent for any 2xx/3xx. */
  status: z.union([positiveInt(), z.array(positiveInt()).min(1)]).optional(),
});
const tcpProbe = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: positiveInt().max(65535, { error: 'must be a port number (1-65535)' }),
});
const execProbe = z.union([argv(), z.strictObject({ command: argv() })]).transform((v) => (Array.isArray(v) ? v : v.command));
const logProbe = z.union([z.string(), z.strictObject({ pattern: z.string() })]).transform((v, ctx) => {
  const pattern = typeof v === 'string' ? v : v.pattern;
  try {
    new RegExp(pattern);
  } catch (e) {
    ctx.issues.push({ code: 'custom', message: `is not a valid regular expression (${(e as Error).message})`, input: v });
    return z.NEVER;
  }
  return pattern;
});

const probeTiming = {
  interval: duration().optional(),
  timeout: duration().optional(),
  failure_threshold: positiveInt().optional(),
  start_period: duration().optional(),
};

const probe = z
  .strictObject({
    http: httpProbe.optional(),
    tcp: tcpProbe.optional(),
    exec: execProbe.optional(),
    log: logProbe.optional(),
    ...probeTiming,
  })
  .superRefine((p, ctx) => {
    const kinds = (['http', 'tcp', 'exec', 'log'] as const).filter((k) => p[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: kinds.length === 0 ? 'a probe needs one of http, tcp, exec or log' : `a probe has exactly one kind, found ${kinds.join(' and ')}`,
        input: p,
      });
    }
  });

const check = z.strictObject({
  exec: execProbe,
  timeout: duration().default(30_000),
  /** Run the check periodically; absent means on demand only. */
  interval: duration().optional(),
});

const health = z.strictObject({
  readiness: probe.optional(),
  liveness: probe.optional(),
  check: check.optional(),
});

// ---------------------------------------------------------------- restart, limits

const backoff = z.strictObject({
  initial: duration().default(500),
  factor: z.number({ error: 'must be a number' }).min(1, { error: 'must be at least 1' }).default(2),
  max: duration().default(30_000),
  jitter: z.number({ error: 'must be a number' }).min(0, { error: 'must be between 0 and 1' }).max(1, { error: 'must be between 0 and 1' }).default(0.1),
  reset_after: duration().default(60_000),
});

const restart = z.strictObject({
  policy: z.enum(['never', 'on-failure', 'always'], { error: 'must be one of never, on-failure, always' }).default('on-failure'),
  backoff: backoff.default(backoff.parse({})),
  max_retries: z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(0, { error: 'must be 0 or more' }).default(5),
  window: duration().default(600_000),
});

const limits = z.strictObject({
  memory_mb: positiveInt().optional(),
  open_files: positiveInt().optional(),
  /** How often RSS is sampled. */
  sample_interval: duration().default(2000),
});

const dependsOn = z
  .union([
    z.array(name()),
    z.record(name(), z.enum(DEPENDENCY_CONDITIONS, { error: 'must be one of started, healthy, completed' })),
  ], { error: 'must be a list of service names or a map of service name to started | healthy | completed' })
  .transform((v): Record<string, DependencyCondition> =>
    Array.isArray(v) ? Object.fromEntries(v.map((d) => [d, 'healthy' as const])) : v,
  );

// ---------------------------------------------------------------- service, profile, stack

export const serviceSchema = z
  .strictObject({
    description: z.string().optional(),
    tier: z.enum(TIERS, { error: 'must be one of storage, messaging, server, worker' }).default('server'),
    command: z.union([argv(), z.string().min(1, { error: 'must not be empty' })]),
    cwd: z.string().min(1).optional(),
    env: envMap().default({}),
    shell: z.boolean({ error: 'must be true or false' }).default(false),
    depends_on: dependsOn.default({}),
    health: health.default({}),
    restart: restart.default(restart.parse({})),
    stop_signal: z.enum(['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2']).default('SIGTERM'),
    stop_grace: duration().default(10_000),
    limits: limits.default(limits.parse({})),
  })
  .superRefine((s, ctx) => {
    if (typeof s.command === 'string' && !s.shell) {
      ctx.addIssue({ code: 'custom', path: ['command'], message: 'is a string but shell is false', input: s.command });
    }
    if (s.health.liveness?.log !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['health', 'liveness', 'log'], message: 'a log probe can only be a readiness probe', input: s.health.liveness.log });
    }
  });

const ipcThresholds = z
  .strictObject({
    warn: z.number().min(0).max(100).default(70),
    critical: z.number().min(0).max(100).default(90),
  })
  .refine((t) => t.warn <= t.critical, { error: 'warn must not be above critical' });

export const profileSchema = z.strictObject({
  description: z.string().optional(),
  /** Services this profile runs; absent means all. */
  services: z.array(name()).optional(),
  /** Environment added to every service of the profile. */
  env: envMap().default({}),
  /** Per-service environment overrides, applied after `env`. */
  overrides: z.record(name(), z.strictObject({ env: envMap().default({}) })).default({}),
  ipc: ipcThresholds.default({ warn: 70, critical: 90 }),
});

export const logsSchema = z.strictObject({
  max_size_mb: z.number().positive().default(10),
  keep: z.number().int().min(0).default(3),
});

export const stackSchema = z.strictObject({
  version: z.literal(1, { error: 'must be 1 (the only version of this file format)' }),
  name: name(),
  description: z.string().optional(),
  active_profile: name().optional(),
  profiles: z.record(name(), profileSchema).default({}),
  logs: logsSchema.default({ max_size_mb: 10, keep: 3 }),
  services: z.record(name(), serviceSchema).refine((s) => Object.keys(s).length > 0, { error: 'must declare at least one service' }),
});

export type StackConfig = z.output<typeof stackSchema>;
export type ServiceConfig = z.output<typeof serviceSchema>;
export type ProfileConfig = z.output<typeof profileSchema>;
export type ProbeConfig = NonNullable<ServiceConfig['health']['readiness']>;
export type CheckConfig = NonNullable<ServiceConfig['health']['check']>;
export type RestartConfig = ServiceConfig['restart'];
export type BackoffConfig = RestartConfig['backoff'];

/** Probe timing defaults, by probe role. */
export const PROBE_DEFAULTS = {
  readiness: { interval: 1000, timeout: 1000, failure_threshold: 3, start_period: 0 },
  liveness: { interval: 5000, timeout: 1000, failure_threshold: 3, start_period: 10_000 },
} as const;
