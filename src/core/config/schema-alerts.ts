/**
 * The zod schema of the stack's `alerts:` (docs/alerts.md): the built-in rules switched off or
 * tuned, custom rules, the routing policy (levels, repeat, resolved message, quiet hours) and
 * the channels. A channel's secret (a webhook URL, an SMTP password) is never written in the
 * file: it comes from the engine's environment or a 0600 file, and an inline one is an error
 * that says so. Part of buildConfigSchemas() (schema.ts).
 */
import { z } from 'zod';
import { BUILTIN_CHANNELS, BUILTIN_RULE_NAMES, BUILTIN_RULES, CUSTOM_METRICS, type BuiltinRuleName } from '../alerts/rule-catalog';
import { argv, duration, envVarName, name, objectCheck, port, positiveDuration, writtenDefaults } from './schema-kit';

const SEVERITIES = ['info', 'warning', 'critical'] as const;
const severity = () => z.enum(SEVERITIES, { error: 'must be info, warning or critical' });
const labels = () => z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/, { error: 'must be a label name: lower-case letters, digits and "_"' }), z.string()).default({});
const summary = () => z.string().min(1, { error: 'must not be empty' }).max(500);

/** A key that must not be there: a secret written inline. */
const forbiddenSecret = (message: string) =>
  z
    .unknown()
    .refine(() => false, { error: message })
    .optional();

/** `HH:MM`, 24-hour clock. */
const clockTime = () => z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'must be a time of day as HH:MM (24-hour), e.g. "22:00"' });

/** How one built-in rule is tuned; `false` switches it off. */
function buildRuleTuning() {
  return z.union(
    [
      z.literal(false),
      z.strictObject({
        enabled: z.boolean({ error: 'must be true or false' }).optional(),
        severity: severity().optional(),
        for: duration('7d').optional(),
        threshold: z.number({ error: 'must be a number' }).min(0, { error: 'must be 0 or more' }).optional(),
        window: positiveDuration('7d').optional(),
        labels: labels(),
        summary: summary().optional(),
      }),
    ],
    { error: 'must be false (switched off) or a mapping of enabled, severity, for, threshold, window, labels, summary' },
  );
}

function buildRules() {
  const tuning = buildRuleTuning();
  return z.strictObject(Object.fromEntries(BUILTIN_RULE_NAMES.map((n) => [n, tuning.optional()])) as Record<BuiltinRuleName, z.ZodOptional<typeof tuning>>);
}

/** A rule of the stack's own over one metric. */
function buildCustomRule() {
  return z
    .strictObject({
      metric: z.enum(CUSTOM_METRICS, { error: `must be one of ${CUSTOM_METRICS.join(', ')}` }),
      above: z.number({ error: 'must be a number' }).optional(),
      below: z.number({ error: 'must be a number' }).optional(),
      /** Only these services (default: every service; ignored by the stack's metrics). */
      services: z.array(name()).optional(),
      severity: severity().default('warning'),
      for: duration('7d').prefault('0s'),
      labels: labels(),
      summary: summary().optional(),
      /** Its firing inhibits the alerts of the services that depend on its service. */
      inhibits_dependents: z.boolean({ error: 'must be true or false' }).default(false),
    })
    .check(
      objectCheck((r, ctx) => {
        if ((r.above === undefined) === (r.below === undefined)) ctx.addIssue({ code: 'custom', message: 'give exactly one of above or below', input: r });
      }),
    );
}

/** Starts with "is a secret" (the hint in config/issues.ts says where secrets go). */
const secretFrom = (what: string, key: string) => `is a secret (${what}) and must not be written in opsdeck.yaml: use ${key}_env or ${key}_file`;

/** A webhook: Slack, Mattermost (`{text}`), ntfy (`{topic, title, message, priority}`) or the alert as JSON. */
function buildWebhookChannel() {
  return z.strictObject({
    type: z.literal('webhook'),
    url: forbiddenSecret(secretFrom('a webhook URL carries its token', 'url')),
    url_env: envVarName().optional(),
    url_file: z.string().min(1).optional(),
    format: z.enum(['slack', 'mattermost', 'ntfy', 'json'], { error: 'must be slack, mattermost, ntfy or json' }).default('slack'),
    /** ntfy's topic. */
    topic: z.string().min(1).optional(),
    timeout: positiveDuration('5m').prefault('10s'),
  });
}

/** Email over SMTP. */
function buildEmailChannel() {
  const address = () => z.string().regex(/^[^\s@<>]+@[^\s@<>]+$/, { error: 'must be an email address such as ops@example.com' });
  return z.strictObject({
    type: z.literal('email'),
    host: z.string().min(1),
    port: port().default(587),
    /** `starttls` (upgrade when the server offers it, required with a password), `tls` (implicit, port 465) or `none`. */
    tls: z.enum(['starttls', 'tls', 'none'], { error: 'must be starttls, tls or none' }).default('starttls'),
    user: z.string().min(1).optional(),
    password: forbiddenSecret(secretFrom('an SMTP password', 'password')),
    password_env: envVarName().optional(),
    password_file: z.string().min(1).optional(),
    from: address(),
    to: z.array(address()).min(1, { error: 'must list at least one address' }),
    timeout: positiveDuration('5m').prefault('30s'),
  });
}

/** A program run with the alert as JSON on stdin (argv, no shell). */
function buildCommandChannel() {
  return z.strictObject({
    type: z.literal('command'),
    argv: argv(),
    timeout: positiveDuration('5m').prefault('30s'),
  });
}

function buildChannel() {
  return z
    .discriminatedUnion('type', [buildWebhookChannel(), buildEmailChannel(), buildCommandChannel()], { error: 'must have a type: webhook, email or command' })
    .check(
      objectCheck((c, ctx) => {
        const pair = (key: string) => {
          const both = c[`${key}_env`] !== undefined && c[`${key}_file`] !== undefined;
          if (both) ctx.addIssue({ code: 'custom', message: `give one of ${key}_env or ${key}_file, not both`, input: c });
          return c[`${key}_env`] !== undefined || c[`${key}_file`] !== undefined;
        };
        if (c.type === 'webhook' && !pair('url') && c.url === undefined) ctx.addIssue({ code: 'custom', message: 'a webhook needs url_env or url_file (its URL is a secret)', input: c });
        if (c.type === 'webhook' && c.format === 'ntfy' && c.topic === undefined) ctx.addIssue({ code: 'custom', message: 'an ntfy webhook needs a topic', input: c });
        if (c.type === 'email') {
          const hasPassword = pair('password');
          if (hasPassword && c.user === undefined) ctx.addIssue({ code: 'custom', message: 'a password needs a user', input: c });
        }
      }),
    );
}

function buildLevel() {
  return z.strictObject({
    /** How long after the incident opened, unacknowledged, this level is sent. */
    after: duration('7d').prefault('0s'),
    channels: z.array(name()).min(1, { error: 'must list at least one channel' }),
  });
}

function buildRouting() {
  const quietHours = z.strictObject({
    from: clockTime(),
    to: clockTime(),
    /** Alerts of this severity and graver are sent during quiet hours too. */
    except: severity().default('critical'),
  });
  return z
    .strictObject({
      levels: z.array(buildLevel()).min(1, { error: 'must have at least one level' }).prefault([{ after: '0s', channels: [...BUILTIN_CHANNELS] }]),
      /** While an incident stays firing and unacknowledged, its highest level is sent again this often. */
      repeat_interval: positiveDuration('7d').prefault('4h'),
      /** Send a resolved message to the channels that were sent the incident. */
      resolved: z.boolean({ error: 'must be true or false' }).default(true),
      quiet_hours: quietHours.optional(),
    })
    .check(
      objectCheck((r, ctx) => {
        if (ctx.hasIssueAt('levels') || !Array.isArray(r.levels)) return;
        const after = (r.levels as { after?: unknown }[]).map((l) => l.after);
        for (let i = 1; i < after.length; i++) {
          if (typeof after[i] === 'number' && typeof after[i - 1] === 'number' && (after[i] as number) < (after[i - 1] as number)) {
            ctx.addIssue({ code: 'custom', message: `level ${i + 1} comes after level ${i}: its "after" must not be shorter`, path: ['levels', i, 'after'], input: r });
          }
        }
      }),
    );
}

/** The stack's `alerts:`. */
export function buildAlertsSchema() {
  const routing = buildRouting();
  return z
    .strictObject({
      enabled: z.boolean({ error: 'must be true or false' }).default(true),
      /** How often the rules are evaluated (also on every event). */
      evaluate_every: positiveDuration('1h').prefault('15s'),
      rules: buildRules().default({}),
      custom: z.record(name(), buildCustomRule()).default({}),
      routing: routing.prefault(writtenDefaults(routing)),
      channels: z.record(name(), buildChannel()).default({}),
    })
    .check(
      objectCheck((a, ctx) => {
        const channels = new Set<string>([...BUILTIN_CHANNELS, ...Object.keys((a.channels as Record<string, unknown> | undefined) ?? {})]);
        for (const n of Object.keys((a.channels as Record<string, unknown> | undefined) ?? {})) {
          if ((BUILTIN_CHANNELS as readonly string[]).includes(n)) ctx.addIssue({ code: 'custom', message: `"${n}" is a built-in channel: name yours otherwise`, path: ['channels', n], input: a });
        }
        for (const n of Object.keys((a.custom as Record<string, unknown> | undefined) ?? {})) {
          if (Object.hasOwn(BUILTIN_RULES, n)) ctx.addIssue({ code: 'custom', message: `"${n}" is a built-in rule: tune it under rules, or name yours otherwise`, path: ['custom', n], input: a });
        }
        const levels = (a.routing as { levels?: unknown } | undefined)?.levels;
        if (!Array.isArray(levels)) return;
        levels.forEach((l: { channels?: unknown }, i) => {
          if (!Array.isArray(l?.channels)) return;
          l.channels.forEach((c: unknown, j: number) => {
            if (typeof c === 'string' && !channels.has(c)) {
              ctx.addIssue({ code: 'custom', message: `unknown channel "${c}"; the channels are ${[...channels].join(', ')}`, path: ['routing', 'levels', i, 'channels', j], input: a });
            }
          });
        });
      }),
    );
}
