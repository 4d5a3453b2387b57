/**
 * The zod schemas of backups in opsdeck.yaml (docs/backup.md): a service's `backup:` (what of its
 * data a backup takes) and the stack's `backup:` (repository, schedule, retention, verification).
 * Part of buildConfigSchemas() (schema.ts).
 */
import { Cron } from 'croner';
import { z } from 'zod';
import { compileGlob } from '../glob';
import { argv, count, duration, envVarName, port, positiveDuration } from './schema-kit';

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
export const cronExpression = () =>
  z.string({ error: 'must be a cron expression such as "0 * * * *"' }).superRefine((c, ctx) => {
    try {
      new Cron(c, { paused: true });
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `is not a valid cron expression (${(e as Error).message})`, input: c });
    }
  });

const fileName = () =>
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, { error: 'must be a plain file name (letters, digits, ".", "_" or "-")' });

const verifySubset = () =>
  z.string().regex(/^(\d+\/\d+|\d+(\.\d+)?%)$/, { error: 'must be N/T (e.g. 1/7) or a percentage (e.g. 5%)' });

/** pg_dump of one database; every connection key defaults to the service's PG* environment. */
function buildPostgresBackup() {
  return z.strictObject({
    host: z.string().min(1).optional(),
    port: port().optional(),
    user: z.string().min(1).optional(),
    dbname: z.string().min(1).optional(),
    /** Folder of pg_dump and psql (default: found like the stack's own scripts find them). */
    bin: z.string().min(1).optional(),
    timeout: positiveDuration('1d').prefault('10m'),
  });
}

/** A command whose stdout is the backup (and, optionally, one that takes it back on stdin). */
function buildCommandBackup() {
  return z.strictObject({
    exec: argv(),
    file: fileName(),
    restore: argv().optional(),
    timeout: positiveDuration('1d').prefault('10m'),
  });
}

/** A service's `backup:`: its SQLite databases, files, PostgreSQL database and backup command. */
export function buildServiceBackupSchema() {
  return z.strictObject({
    sqlite: z.array(relativePath()).default([]),
    files: z.array(backupGlob()).default([]),
    exclude: z.array(backupGlob()).default([]),
    postgres: buildPostgresBackup().optional(),
    command: buildCommandBackup().optional(),
  });
}

/** restic's --keep-* rules; a snapshot kept by any rule stays. */
function buildRetention() {
  return z.strictObject({
    keep_last: count().optional(),
    keep_hourly: count().optional(),
    keep_daily: count().optional(),
    keep_weekly: count().optional(),
    keep_monthly: count().optional(),
    keep_yearly: count().optional(),
    keep_within: duration('36500d').optional(),
    /** Remove unreferenced data after a scheduled forget. */
    prune: z.boolean({ error: 'must be true or false' }).default(true),
  });
}

/** The stack's `backup:`. */
export function buildStackBackupSchema() {
  return z.strictObject({
    /** The repository folder, relative to the stack folder (or absolute). */
    repository: z.string().min(1).default('.opsdeck/backups'),
    /** Encrypt the repository with the key in this file (relative to the stack folder). */
    key_file: z.string().min(1).optional(),
    /** Encrypt the repository with the key in this environment variable (of the engine). */
    key_env: envVarName().optional(),
    /** When the engine backs up the stack by itself. */
    schedule: cronExpression().optional(),
    retention: buildRetention().optional(),
    /** When the engine verifies the repository by itself (structure plus `verify_subset` of the data). */
    verify_schedule: cronExpression().optional(),
    verify_subset: verifySubset().default('5%'),
    /** How often every service's newest good backup is compared with its `rpo`. */
    rpo_check_interval: positiveDuration('1d').prefault('1m'),
  });
}
