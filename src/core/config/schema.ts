/**
 * The zod schema of opsdeck.yaml. It is the single source of truth: the loader validates with
 * it, the JSON Schema in docs/ is generated from it, and the engine's types are inferred from it.
 * Every object is strict (unknown keys are errors) and every default is written here, in the
 * form a user writes it (`'10s'`, not 10000): defaults are prefaults, parsed like written values,
 * so the loaded config holds milliseconds and the JSON Schema shows `"default": "10s"`.
 *
 * The checks that look at a whole object (`objectCheck`) run even when other keys of the object
 * have problems, so that one mistake does not hide another.
 *
 * This file builds the profiles, the logs and the stack, and puts the whole schema together from
 * its parts: a service (schema-service.ts), its health (schema-probe.ts), backups
 * (schema-backup.ts), all made of the building blocks of schema-kit.ts.
 */
import { z } from 'zod';
import { buildAlertsSchema } from './schema-alerts';
import { buildApiSchema } from './schema-api';
import { buildStackBackupSchema } from './schema-backup';
import { buildStackMaintenanceSchema } from './schema-maintenance';
import { buildBootSchema } from './schema-boot';
import { buildMetricsSchema, buildReportsSchema } from './schema-observe';
import { envMap, name, objectCheck, writtenDefaults } from './schema-kit';
import { buildServiceSchema } from './schema-service';
import { buildReleaseSchema } from './schema-release';

export { duration, positiveDuration } from './schema-kit';
export { DEPENDENCY_CONDITIONS, TIERS, type DependencyCondition, type Tier } from './schema-service';
export { BOOT_MODES, BOOT_SCOPES, BOOT_TARGETS, type BootMode, type BootScope, type BootTarget } from './schema-boot';

/** A profile's IPC score thresholds. */
function buildIpcThresholds() {
  return z
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
}

/** One profile of the stack: the services it runs, their environment, its IPC thresholds. */
function buildProfileSchema() {
  const ipcThresholds = buildIpcThresholds();
  return z.strictObject({
    description: z.string().optional(),
    /** Services this profile runs; absent means all. */
    services: z.array(name()).optional(),
    /** Environment added to every service of the profile. */
    env: envMap().default({}),
    /** Per-service environment overrides, applied after `env`. */
    overrides: z.record(name(), z.strictObject({ env: envMap().default({}) })).default({}),
    ipc: ipcThresholds.prefault(writtenDefaults(ipcThresholds)),
  });
}

/** The stack's `logs:`: the rotation of the services' log files. */
function buildLogsSchema() {
  return z.strictObject({
    max_size_mb: z.number().positive().default(10),
    keep: z.number().int().min(0).default(3),
  });
}

/** The parts of the stack that buildStackSchema() puts together. */
interface StackParts {
  serviceSchema: ReturnType<typeof buildServiceSchema>;
  profileSchema: ReturnType<typeof buildProfileSchema>;
  logsSchema: ReturnType<typeof buildLogsSchema>;
  stackBackupSchema: ReturnType<typeof buildStackBackupSchema>;
  stackMaintenanceSchema: ReturnType<typeof buildStackMaintenanceSchema>;
  bootSchema: ReturnType<typeof buildBootSchema>;
  alertsSchema: ReturnType<typeof buildAlertsSchema>;
  metricsSchema: ReturnType<typeof buildMetricsSchema>;
  reportsSchema: ReturnType<typeof buildReportsSchema>;
  apiSchema: ReturnType<typeof buildApiSchema>;
}

/** The whole file. */
function buildStackSchema({ serviceSchema, profileSchema, logsSchema, stackBackupSchema, stackMaintenanceSchema, bootSchema, alertsSchema, metricsSchema, reportsSchema, apiSchema }: StackParts) {
  /**
   * At least one service. This check is on the services map itself, so problems elsewhere in the
   * file do not hide it; a problem inside the map means the map has an entry, so zod's default
   * (skip the check after a problem) is right here.
   */
  const services = z.record(name(), serviceSchema).refine((s) => Object.keys(s).length > 0, { error: 'must declare at least one service' });

  return z.strictObject({
    version: z.literal(1, { error: 'must be 1 (the only version of this file format)' }),
    name: name(),
    description: z.string().optional(),
    active_profile: name().optional(),
    profiles: z.record(name(), profileSchema).default({}),
    logs: logsSchema.prefault(writtenDefaults(logsSchema)),
    /** Backups of the stack (repository, schedule, retention, verification). */
    backup: stackBackupSchema.prefault(writtenDefaults(stackBackupSchema)),
    /** The daily maintenance set and when the engine runs it (docs/maintenance.md). */
    maintenance: stackMaintenanceSchema.prefault({}),
    /** How `opsdeck units` starts the stack at login or boot (docs/boot.md). */
    boot: bootSchema.prefault(writtenDefaults(bootSchema)),
    /** Alert rules, routing and channels (docs/alerts.md). */
    alerts: alertsSchema.prefault(writtenDefaults(alertsSchema)),
    /** The long-term metrics store's retention (docs/metrics.md). */
    metrics: metricsSchema.prefault(writtenDefaults(metricsSchema)),
    /** The scheduled operations report (docs/reports.md). */
    reports: reportsSchema.prefault(writtenDefaults(reportsSchema)),
    /** The control API's optional TCP listener with bearer tokens (docs/api.md). */
    api: apiSchema.prefault(writtenDefaults(apiSchema)),
    /** Where the stack's code comes from and how releases are kept (docs/releases.md). */
    release: buildReleaseSchema().optional(),
    services,
  });
}

/**
 * Builds the schemas. They are ~1 MB of objects that an engine running for days needs only when
 * it reads its config, so configSchemas() builds them on demand and lets the GC take them back.
 */
function buildConfigSchemas() {
  const stackBackupSchema = buildStackBackupSchema();
  const serviceSchema = buildServiceSchema();
  const profileSchema = buildProfileSchema();
  const logsSchema = buildLogsSchema();
  const stackMaintenanceSchema = buildStackMaintenanceSchema();
  const bootSchema = buildBootSchema();
  const alertsSchema = buildAlertsSchema();
  const metricsSchema = buildMetricsSchema();
  const reportsSchema = buildReportsSchema();
  const apiSchema = buildApiSchema();
  const stackSchema = buildStackSchema({ serviceSchema, profileSchema, logsSchema, stackBackupSchema, stackMaintenanceSchema, bootSchema, alertsSchema, metricsSchema, reportsSchema, apiSchema });
  return { stackBackupSchema, serviceSchema, profileSchema, logsSchema, stackMaintenanceSchema, bootSchema, alertsSchema, metricsSchema, reportsSchema, apiSchema, stackSchema };
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
export type BootConfig = StackConfig['boot'];
export type RetentionConfig = NonNullable<StackBackupConfig['retention']>;
export type ServiceMaintenanceConfig = NonNullable<ServiceConfig['maintenance']>;
export type StackMaintenanceConfig = StackConfig['maintenance'];
export type AlertsConfig = StackConfig['alerts'];
export type ApiConfig = StackConfig['api'];
export type AlertChannelConfig = AlertsConfig['channels'][string];
export type ReleaseConfig = NonNullable<StackConfig['release']>;
export type RequiresConfig = NonNullable<ReleaseConfig['requires']>;
export type MigrationStep = NonNullable<ServiceConfig['migrate']>[number];

/**
 * Probe timing defaults, by probe role. Readiness is retried every 25 ms while a service starts
 * (service-runner.ts), so its interval only paces the probes of a service already ready.
 */
export const PROBE_DEFAULTS = {
  readiness: { interval: 5000, timeout: 1000, failure_threshold: 3, start_period: 0 },
  liveness: { interval: 10_000, timeout: 1000, failure_threshold: 3, start_period: 10_000 },
} as const;
