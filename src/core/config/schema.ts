/**
 * The zod schema of opsdeck.yaml. It is the single source of truth: the loader validates with
 * it, the JSON Schema in docs/ is generated from it, and the engine's types are inferred from it.
 * Every object is strict (unknown keys are errors) and every default is written here, in the
 * form a user writes it (`'10s'`, not 10000): defaults are prefaults, parsed like written values,
 * so the loaded config holds milliseconds and the JSON Schema shows `"default": "10s"`.
 *
 * The checks that look at a whole object (`objectCheck`) run even when other keys of the object
 * have problems, so that one mistake does not hide another.
 */
import { Cron } from 'croner';
import { z } from 'zod';
import { compileGlob } from '../glob';
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

const argv = () =>
  z
    .array(z.string().min(1, { error: 'must not be an empty string' }), { error: 'must be a list of strings (argv), e.g. [node, server.js]' })
    .min(1, { error: 'must not be empty: give the program and its arguments, e.g. [node, server.js]' });

const envValue = () =>
  z.union([z.string(), z.number(), z.boolean()], { error: 'must be a string, number or boolean' }).transform((v) => String(v));
const envMap = () => z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'is not a valid environment variable name' }), envValue());

const positiveInt = () => z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).positive({ error: 'must be greater than 0' });

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
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
function objectCheck(fn: (value: Record<string, unknown>, ctx: ObjectCheckContext) => void) {
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
function writtenDefaults<T extends z.ZodObject>(schema: T): z.input<T> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    if (field instanceof z.ZodDefault || field instanceof z.ZodPrefault) out[key] = field._zod.def.defaultValue;
  }
  return out as z.input<T>;
}

/**
 * Builds the schemas. They are ~1 MB of objects that an engine running for days needs only when
 * it reads its config, so configSchemas() builds them on demand and lets the GC take them back.
 */
function buildConfigSchemas() {
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

  /** Probe timing; the defaults depend on the probe's role (PROBE_DEFAULTS) and are the engine's. */
  const probeTiming = {
    interval: positiveDuration('1d').optional(),
    timeout: positiveDuration('1h').optional(),
    failure_threshold: positiveInt().optional(),
    start_period: duration('1d').optional(),
  };

  const PROBE_KINDS = ['http', 'tcp', 'exec', 'log'] as const;

  const probe = z
    .strictObject({
      http: httpProbe.optional(),
      tcp: tcpProbe.optional(),
      exec: execProbe.optional(),
      log: logProbe.optional(),
      ...probeTiming,
    })
    .check(
      objectCheck((p, ctx) => {
        // A kind written with a wrong value still counts: it is reported on its own.
        const kinds = PROBE_KINDS.filter((k) => p[k] !== undefined);
        if (kinds.length !== 1) {
          ctx.addIssue({
            code: 'custom',
            message: kinds.length === 0 ? 'a probe needs one of http, tcp, exec or log' : `a probe has exactly one kind, found ${kinds.join(' and ')}`,
            input: p,
          });
        }
      }),
    );

  const check = z.strictObject({
    exec: execProbe,
    timeout: positiveDuration('1h').prefault('30s'),
    /** Run the check periodically; absent means on demand only. */
    interval: positiveDuration('1d').optional(),
  });

  const health = z.strictObject({
    readiness: probe.optional(),
    liveness: probe.optional(),
    check: check.optional(),
  });

  // ---------------------------------------------------------------- restart, limits

  const backoff = z.strictObject({
    initial: duration('1h').prefault('500ms'),
    factor: z.number({ error: 'must be a number' }).min(1, { error: 'must be at least 1' }).default(2),
    max: duration('1d').prefault('30s'),
    jitter: z.number({ error: 'must be a number' }).min(0, { error: 'must be between 0 and 1' }).max(1, { error: 'must be between 0 and 1' }).default(0.1),
    reset_after: duration('1d').prefault('60s'),
  });

  const restart = z.strictObject({
    policy: z.enum(['never', 'on-failure', 'always'], { error: 'must be one of never, on-failure, always' }).default('on-failure'),
    backoff: backoff.prefault(writtenDefaults(backoff)),
    max_retries: z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(0, { error: 'must be 0 or more' }).default(5),
    window: duration('7d').prefault('10m'),
  });

  const limits = z.strictObject({
    memory_mb: positiveInt().optional(),
    open_files: positiveInt().optional(),
    /** How often RSS is sampled. */
    sample_interval: positiveDuration('1h').prefault('2s'),
  });

  /** How this service's channel is judged in the IPC score (docs/ipc-score.md). */
  const serviceIpc = z.strictObject({
    /** p95 probe latency at which the service's pressure reaches 1 (IPC 100). */
    latency_budget: positiveDuration('10m').prefault('250ms'),
  });

  const dependsOn = z
    .union([
      z.array(name()),
      z.record(name(), z.enum(DEPENDENCY_CONDITIONS, { error: 'must be one of started, healthy, completed' })),
    ], { error: 'must be a list of service names or a map of service name to started | healthy | completed' })
    .transform((v): Record<string, DependencyCondition> =>
      Array.isArray(v) ? Object.fromEntries(v.map((d) => [d, 'healthy' as const])) : v,
    );

  // ---------------------------------------------------------------- backup (docs/backup.md)

  /** A glob of backup.files / backup.exclude, checked when the file is loaded. */
  const backupGlob = () =>
    z.string({ error: 'must be a glob string such as data/*.json or config/' }).superRefine((g, ctx) => {
      try {
        compileGlob(g);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message.replace(/^glob "[^"]*" is invalid: /, 'is not a valid glob: '), input: g });
      }
    });

  /** A relative path inside the service's folder (no absolute path, no `..`). */
  const relativePath = () =>
    z.string({ error: 'must be a relative path' }).min(1, { error: 'must not be empty' }).superRefine((p, ctx) => {
      const n = p.replace(/\\/g, '/');
      if (n.startsWith('/') || /^[A-Za-z]:\//.test(n)) ctx.addIssue({ code: 'custom', message: 'must be relative to the service\'s folder, not absolute', input: p });
      else if (n.split('/').includes('..')) ctx.addIssue({ code: 'custom', message: 'must stay inside the stack folder (no "..")', input: p });
      else if (/[*?[{]/.test(n)) ctx.addIssue({ code: 'custom', message: 'must name one database file (no wildcards)', input: p });
    });

  /** A cron expression (5 fields, or 6 with seconds), checked by croner. */
  const cronExpression = () =>
    z.string({ error: 'must be a cron expression such as "0 * * * *"' }).superRefine((c, ctx) => {
      try {
        new Cron(c, { paused: true });
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: `is not a valid cron expression (${(e as Error).message})`, input: c });
      }
    });

  const fileName = () =>
    z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, { error: 'must be a plain file name (letters, digits, ".", "_" or "-")' });

  /** pg_dump of one database; every connection key defaults to the service's PG* environment. */
  const postgresBackup = z.strictObject({
    host: z.string().min(1).optional(),
    port: positiveInt().max(65535, { error: 'must be a port number (1-65535)' }).optional(),
    user: z.string().min(1).optional(),
    dbname: z.string().min(1).optional(),
    /** Folder of pg_dump and psql (default: found like the stack's own scripts find them). */
    bin: z.string().min(1).optional(),
    timeout: positiveDuration('1d').prefault('10m'),
  });

  /** A command whose stdout is the backup (and, optionally, one that takes it back on stdin). */
  const commandBackup = z.strictObject({
    exec: argv(),
    file: fileName(),
    restore: argv().optional(),
    timeout: positiveDuration('1d').prefault('10m'),
  });

  const serviceBackup = z.strictObject({
    sqlite: z.array(relativePath()).default([]),
    files: z.array(backupGlob()).default([]),
    exclude: z.array(backupGlob()).default([]),
    postgres: postgresBackup.optional(),
    command: commandBackup.optional(),
  });

  const keepCount = () => z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(0, { error: 'must be 0 or more' }).optional();

  /** restic's --keep-* rules; a snapshot kept by any rule stays. */
  const retention = z.strictObject({
    keep_last: keepCount(),
    keep_hourly: keepCount(),
    keep_daily: keepCount(),
    keep_weekly: keepCount(),
    keep_monthly: keepCount(),
    keep_yearly: keepCount(),
    keep_within: duration('36500d').optional(),
    /** Remove unreferenced data after a scheduled forget. */
    prune: z.boolean({ error: 'must be true or false' }).default(true),
  });

  const verifySubset = () =>
    z.string().regex(/^(\d+\/\d+|\d+(\.\d+)?%)$/, { error: 'must be N/T (e.g. 1/7) or a percentage (e.g. 5%)' });

  const stackBackupSchema = z.strictObject({
    /** The repository folder, relative to the stack folder (or absolute). */
    repository: z.string().min(1).default('.opsdeck/backups'),
    /** Encrypt the repository with the key in this file (relative to the stack folder). */
    key_file: z.string().min(1).optional(),
    /** Encrypt the repository with the key in this environment variable (of the engine). */
    key_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'is not a valid environment variable name' }).optional(),
    /** When the engine backs up the stack by itself. */
    schedule: cronExpression().optional(),
    retention: retention.optional(),
    /** When the engine verifies the repository by itself (structure plus `verify_subset` of the data). */
    verify_schedule: cronExpression().optional(),
    verify_subset: verifySubset().default('5%'),
    /** How often every service's newest good backup is compared with its `rpo`. */
    rpo_check_interval: positiveDuration('1d').prefault('1m'),
  });

  // ---------------------------------------------------------------- service, profile, stack

  const serviceSchema = z
    .strictObject({
      description: z.string().optional(),
      tier: z.enum(TIERS, { error: 'must be one of storage, messaging, server, worker' }).default('server'),
      command: z.union([argv(), z.string().min(1, { error: 'must not be empty' })]),
      cwd: z.string().min(1).optional(),
      env: envMap().default({}),
      shell: z.boolean({ error: 'must be true or false' }).default(false),
      depends_on: dependsOn.default({}),
      health: health.default({}),
      restart: restart.prefault(writtenDefaults(restart)),
      stop_signal: z.enum(['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2']).default('SIGTERM'),
      /** `0s` sends SIGKILL right after the stop signal. */
      stop_grace: duration('1h').prefault('10s'),
      limits: limits.prefault(writtenDefaults(limits)),
      ipc: serviceIpc.prefault(writtenDefaults(serviceIpc)),
      /** What of this service's data a backup takes (docs/backup.md). */
      backup: serviceBackup.optional(),
      /** Recovery point objective: the newest good backup must never be older than this. */
      rpo: positiveDuration('365d').optional(),
      /** Recovery time objective: a restore of this service must complete within this. */
      rto: positiveDuration('7d').optional(),
    })
    .check(
      objectCheck((s, ctx) => {
        // Only a valid string command with a shell that is false (written or by default): a wrong
        // `shell` or an empty command is reported on its own.
        if (typeof s.command === 'string' && !ctx.hasIssueAt('command') && s.shell === false) {
          ctx.addIssue({ code: 'custom', path: ['command'], message: 'is a string but shell is false', input: s.command });
        }
        const log = asRecord(asRecord(s.health)?.liveness)?.log;
        if (log !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['health', 'liveness', 'log'], message: 'a log probe can only be a readiness probe', input: log });
        }
      }),
    );

  const ipcThresholds = z
    .strictObject({
      warn: z.number().min(0).max(100).default(70),
      critical: z.number().min(0).max(100).default(90),
    })
    .check(
      objectCheck((t, ctx) => {
        if (ctx.hasIssueAt('warn') || ctx.hasIssueAt('critical')) return;
        if (typeof t.warn === 'number' && typeof t.critical === 'number' && t.warn > t.critical) {
          ctx.addIssue({ code: 'custom', message: 'warn must not be above critical', input: t });
        }
      }),
    );

  const profileSchema = z.strictObject({
    description: z.string().optional(),
    /** Services this profile runs; absent means all. */
    services: z.array(name()).optional(),
    /** Environment added to every service of the profile. */
    env: envMap().default({}),
    /** Per-service environment overrides, applied after `env`. */
    overrides: z.record(name(), z.strictObject({ env: envMap().default({}) })).default({}),
    ipc: ipcThresholds.prefault(writtenDefaults(ipcThresholds)),
  });

  const logsSchema = z.strictObject({
    max_size_mb: z.number().positive().default(10),
    keep: z.number().int().min(0).default(3),
  });

  /**
   * At least one service. This check is on the services map itself, so problems elsewhere in the
   * file do not hide it; a problem inside the map means the map has an entry, so zod's default
   * (skip the check after a problem) is right here.
   */
  const services = z.record(name(), serviceSchema).refine((s) => Object.keys(s).length > 0, { error: 'must declare at least one service' });

  const stackSchema = z.strictObject({
    version: z.literal(1, { error: 'must be 1 (the only version of this file format)' }),
    name: name(),
    description: z.string().optional(),
    active_profile: name().optional(),
    profiles: z.record(name(), profileSchema).default({}),
    logs: logsSchema.prefault(writtenDefaults(logsSchema)),
    /** Backups of the stack (repository, schedule, retention, verification). */
    backup: stackBackupSchema.prefault(writtenDefaults(stackBackupSchema)),
    services,
  });

  return { stackBackupSchema, serviceSchema, profileSchema, logsSchema, stackSchema };
}

export type ConfigSchemas = ReturnType<typeof buildConfigSchemas>;

let built: WeakRef<ConfigSchemas> | undefined;

/**
 * The schemas of opsdeck.yaml: built on first use, shared while anything holds them (a load, a
 * burst of loads), built again once the GC has taken them. A few milliseconds to build.
 */
export function configSchemas(): ConfigSchemas {
  let s = built?.deref();
  if (!s) {
    s = buildConfigSchemas();
    built = new WeakRef(s);
  }
  return s;
}

export type StackConfig = z.output<ConfigSchemas['stackSchema']>;
export type ServiceConfig = z.output<ConfigSchemas['serviceSchema']>;
export type ProfileConfig = z.output<ConfigSchemas['profileSchema']>;
export type ProbeConfig = NonNullable<ServiceConfig['health']['readiness']>;
export type CheckConfig = NonNullable<ServiceConfig['health']['check']>;
export type RestartConfig = ServiceConfig['restart'];
export type BackoffConfig = RestartConfig['backoff'];
export type ServiceBackupConfig = NonNullable<ServiceConfig['backup']>;
export type StackBackupConfig = StackConfig['backup'];
export type RetentionConfig = NonNullable<StackBackupConfig['retention']>;

/**
 * Probe timing defaults, by probe role. Readiness is retried every 25 ms while a service starts
 * (service-runner.ts), so its interval only paces the probes of a service already ready.
 */
export const PROBE_DEFAULTS = {
  readiness: { interval: 5000, timeout: 1000, failure_threshold: 3, start_period: 0 },
  liveness: { interval: 10_000, timeout: 1000, failure_threshold: 3, start_period: 10_000 },
} as const;
