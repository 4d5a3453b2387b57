/**
 * The zod schema of one service of opsdeck.yaml (`services.<name>`): its command, environment,
 * dependencies, restart policy, limits and IPC budget, with its health (schema-probe.ts) and its
 * backup (schema-backup.ts). Part of buildConfigSchemas() (schema.ts).
 */
import { z } from 'zod';
import { buildServiceBackupSchema } from './schema-backup';
import { argv, asRecord, count, duration, envMap, name, objectCheck, positiveDuration, positiveInt, writtenDefaults } from './schema-kit';
import { buildServiceMaintenanceSchema } from './schema-maintenance';
import { buildHealthSchema } from './schema-probe';
import { buildInstallSchema, buildMigrateSchema, buildRequiresSchema } from './schema-release';

export const TIERS = ['storage', 'messaging', 'server', 'worker'] as const;
export type Tier = (typeof TIERS)[number];
export const DEPENDENCY_CONDITIONS = ['started', 'healthy', 'completed'] as const;
export type DependencyCondition = (typeof DEPENDENCY_CONDITIONS)[number];

/**
 * `restart.backoff:`. `initial` has no default: left out, the first restart after a crash comes at
 * once and only repeated crashes wait (500 ms, doubling: backoff.ts); written, every restart waits,
 * the first one `initial` (docs/supervision.md#restarts says why).
 */
function buildBackoff() {
  return z.strictObject({
    initial: duration('1h').optional(),
    factor: z.number({ error: 'must be a number' }).min(1, { error: 'must be at least 1' }).default(2),
    max: duration('1d').prefault('30s'),
    jitter: z.number({ error: 'must be a number' }).min(0, { error: 'must be between 0 and 1' }).max(1, { error: 'must be between 0 and 1' }).default(0.1),
    reset_after: duration('1d').prefault('60s'),
  });
}

/** A service's `restart:`: its policy, backoff and retries. */
function buildRestart() {
  const backoff = buildBackoff();
  return z.strictObject({
    policy: z.enum(['never', 'on-failure', 'always'], { error: 'must be one of never, on-failure, always' }).default('on-failure'),
    backoff: backoff.prefault(writtenDefaults(backoff)),
    max_retries: count().default(5),
    window: duration('7d').prefault('10m'),
  });
}

function buildLimits() {
  return z.strictObject({
    memory_mb: positiveInt().optional(),
    open_files: positiveInt().optional(),
    /** How often RSS is sampled. */
    sample_interval: positiveDuration('1h').prefault('2s'),
  });
}

/** How this service's channel is judged in the IPC score (docs/ipc-score.md). */
function buildServiceIpc() {
  return z.strictObject({
    /** p95 probe latency at which the service's pressure reaches 1 (IPC 100). */
    latency_budget: positiveDuration('10m').prefault('250ms'),
  });
}

/** `depends_on:`, a list (each dependency healthy) or a map to conditions; parsed to the map. */
function buildDependsOn() {
  return z
    .union([
      z.array(name()),
      z.record(name(), z.enum(DEPENDENCY_CONDITIONS, { error: 'must be one of started, healthy, completed' })),
    ], { error: 'must be a list of service names or a map of service name to started | healthy | completed' })
    .transform((v): Record<string, DependencyCondition> =>
      Array.isArray(v) ? Object.fromEntries(v.map((d) => [d, 'healthy' as const])) : v,
    );
}

/** The checks of a service that look at several of its keys. */
function serviceChecks() {
  return objectCheck((s, ctx) => {
    // Only a valid string command with a shell that is false (written or by default): a wrong
    // `shell` or an empty command is reported on its own.
    if (typeof s.command === 'string' && !ctx.hasIssueAt('command') && s.shell === false) {
      ctx.addIssue({ code: 'custom', path: ['command'], message: 'is a string but shell is false', input: s.command });
    }
    const log = asRecord(asRecord(s.health)?.liveness)?.log;
    if (log !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['health', 'liveness', 'log'], message: 'a log probe can only be a readiness probe', input: log });
    }
  });
}

/** One service of the stack. */
export function buildServiceSchema() {
  const restart = buildRestart();
  const limits = buildLimits();
  const serviceIpc = buildServiceIpc();
  return z
    .strictObject({
      description: z.string().optional(),
      tier: z.enum(TIERS, { error: 'must be one of storage, messaging, server, worker' }).default('server'),
      command: z.union([argv(), z.string().min(1, { error: 'must not be empty' })]),
      cwd: z.string().min(1).optional(),
      env: envMap().default({}),
      shell: z.boolean({ error: 'must be true or false' }).default(false),
      depends_on: buildDependsOn().default({}),
      health: buildHealthSchema().default({}),
      restart: restart.prefault(writtenDefaults(restart)),
      stop_signal: z.enum(['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2']).default('SIGTERM'),
      /** `0s` sends SIGKILL right after the stop signal. */
      stop_grace: duration('1h').prefault('10s'),
      limits: limits.prefault(writtenDefaults(limits)),
      ipc: serviceIpc.prefault(writtenDefaults(serviceIpc)),
      /** What of this service's data a backup takes (docs/backup.md). */
      backup: buildServiceBackupSchema().optional(),
      /** Its caches, Redis housekeeping and own tasks for `opsdeck maintain` (docs/maintenance.md). */
      maintenance: buildServiceMaintenanceSchema().optional(),
      /** Recovery point objective: the newest good backup must never be older than this. */
      rpo: positiveDuration('365d').optional(),
      /** Recovery time objective: a restore of this service must complete within this. */
      rto: positiveDuration('7d').optional(),
      /** Run in the release's folder when a release is installed, e.g. [npm, ci] (docs/releases.md). */
      install: buildInstallSchema().optional(),
      /** The service's schema steps, run by deploy, update and rollback (docs/releases.md). */
      migrate: buildMigrateSchema().optional(),
      /** What must hold before a release with this service is installed (docs/releases.md). */
      requires: buildRequiresSchema().optional(),
    })
    .check(serviceChecks());
}
