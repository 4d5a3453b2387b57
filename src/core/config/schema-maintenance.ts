/**
 * The zod schemas of maintenance in opsdeck.yaml (docs/maintenance.md): a service's
 * `maintenance:` (cache folders to clear, its own named tasks, Redis commands, whether clearing
 * needs the service stopped) and the stack's `maintenance:` (the schedule of the daily set).
 * Part of buildConfigSchemas() (schema.ts).
 */
import { z } from 'zod';
import { cronExpression } from './schema-backup';
import { argv, insidePath, port, positiveDuration } from './schema-kit';

/** A cache path: relative to the service's folder, inside the stack folder, no wildcards, not the folder itself. */
const cachePath = () =>
  insidePath('cache/ or tmp/thumbnails', 'one file or folder').refine((p) => !['.', ''].includes(p.replace(/\\/g, '/').replace(/\/+$/, '')), {
    error: 'must name a folder below the service\'s folder, not the folder itself',
  });

/** A task name of `maintenance.tasks`. */
const taskName = () =>
  z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, { error: 'must be 1-63 lower-case letters, digits, "-" or "_", starting with a letter or digit' });

/** One task a service declares: a command run in its folder with its environment. */
function buildServiceTask() {
  return z.strictObject({
    command: argv(),
    /** Stop the service for the task and start it again behind the health gate. */
    requires_stop: z.boolean({ error: 'must be true or false' }).optional(),
    timeout: positiveDuration('1d').prefault('10m'),
    /** Part of the daily set the schedule runs (default true). */
    daily: z.boolean({ error: 'must be true or false' }).default(true),
  });
}

/** Redis housekeeping of a Redis service, through redis-cli. */
function buildRedisMaintenance() {
  return z.strictObject({
    host: z.string().min(1).optional(),
    port: port().optional(),
    /** A unix socket instead of host and port. */
    socket: z.string().min(1).optional(),
    /** Rewrite the append-only file (BGREWRITEAOF). */
    rewrite_aof: z.boolean({ error: 'must be true or false' }).default(false),
    /** Give freed memory back to the system (MEMORY PURGE, jemalloc builds). */
    memory_purge: z.boolean({ error: 'must be true or false' }).default(false),
    /** redis-cli to use (default: found on PATH). */
    cli: z.string().min(1).optional(),
  });
}

/** A service's `maintenance:`. */
export function buildServiceMaintenanceSchema() {
  return z.strictObject({
    /** Folders or files of throw-away data, cleared by the `cache` task. */
    cache: z.array(cachePath()).default([]),
    /** Clearing the cache (and tasks that say nothing) needs the service stopped. */
    requires_stop: z.boolean({ error: 'must be true or false' }).default(false),
    tasks: z.record(taskName(), buildServiceTask()).default({}),
    redis: buildRedisMaintenance().optional(),
  });
}

/** The stack's `maintenance:`. */
export function buildStackMaintenanceSchema() {
  return z.strictObject({
    /** When the engine runs the daily set by itself (a cron expression). */
    schedule: cronExpression().optional(),
    /** The tasks of the daily set (ids or kinds, as `opsdeck maintain` takes them); default every daily task. */
    tasks: z.array(z.string().min(1).max(200)).optional(),
  });
}
