/**
 * The zod schema of a service's `health:` in opsdeck.yaml: its readiness and liveness probes
 * (http, tcp, exec or log, with their timing) and its check. Part of buildConfigSchemas() (schema.ts).
 */
import { z } from 'zod';
import { argv, duration, objectCheck, port, positiveDuration, positiveInt } from './schema-kit';

const PROBE_KINDS = ['http', 'tcp', 'exec', 'log'] as const;

function buildHttpProbe() {
  return z.strictObject({
    url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
    method: z.enum(['GET', 'HEAD', 'POST']).default('GET'),
    /** Expected status: one code, a list of codes, or absent for any 2xx/3xx. */
    status: z.union([positiveInt(), z.array(positiveInt()).min(1)]).optional(),
  });
}

function buildTcpProbe() {
  return z.strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: port(),
  });
}

/** A command, written as its argv or as `{ command: argv }`; parsed to the argv. */
function buildExecProbe() {
  return z.union([argv(), z.strictObject({ command: argv() })]).transform((v) => (Array.isArray(v) ? v : v.command));
}
type ExecProbeSchema = ReturnType<typeof buildExecProbe>;

/** A regular expression, written as it is or as `{ pattern }`; parsed to the pattern. */
function buildLogProbe() {
  return z.union([z.string(), z.strictObject({ pattern: z.string() })]).transform((v, ctx) => {
    const pattern = typeof v === 'string' ? v : v.pattern;
    try {
      new RegExp(pattern);
    } catch (e) {
      ctx.issues.push({ code: 'custom', message: `is not a valid regular expression (${(e as Error).message})`, input: v });
      return z.NEVER;
    }
    return pattern;
  });
}

/** Probe timing; the defaults depend on the probe's role (PROBE_DEFAULTS) and are the engine's. */
function buildProbeTiming() {
  return {
    interval: positiveDuration('1d').optional(),
    timeout: positiveDuration('1h').optional(),
    failure_threshold: positiveInt().optional(),
    start_period: duration('1d').optional(),
  };
}

/** A readiness or liveness probe: exactly one kind, and its timing. */
function buildProbe(execProbe: ExecProbeSchema) {
  return z
    .strictObject({
      http: buildHttpProbe().optional(),
      tcp: buildTcpProbe().optional(),
      exec: execProbe.optional(),
      log: buildLogProbe().optional(),
      ...buildProbeTiming(),
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
}

/** A service's check: a command run on demand, or periodically. */
function buildCheck(execProbe: ExecProbeSchema) {
  return z.strictObject({
    exec: execProbe,
    timeout: positiveDuration('1h').prefault('30s'),
    /** Run the check periodically; absent means on demand only. */
    interval: positiveDuration('1d').optional(),
  });
}

/** A service's `health:`: its probes and its check. */
export function buildHealthSchema() {
  const execProbe = buildExecProbe();
  const probe = buildProbe(execProbe);
  return z.strictObject({
    readiness: probe.optional(),
    liveness: probe.optional(),
    check: buildCheck(execProbe).optional(),
  });
}
