/**
 * The maintenance tasks of a stack, from its opsdeck.yaml: per service, one SQLite task per
 * database of `backup.sqlite`, a PostgreSQL task for `backup.postgres`, a Redis task for
 * `maintenance.redis`, a cache task for `maintenance.cache`, one task per `maintenance.tasks`
 * entry; then Opsdeck's own data (memory index, journal, metrics store, backup repository). Every service of
 * the file is listed, in the file's order, whatever the active profile.
 * Tasks run in this order, whatever the order they were asked in.
 */
import type { LoadedStack } from '../config/load';
import { cacheTask } from './cache-task';
import { metricsTask } from './metrics-task';
import { backupsTask, journalTask, memoryTask } from './opsdeck-tasks';
import { postgresTask } from './postgres-task';
import { redisTask } from './redis-task';
import { serviceTask } from './service-task';
import { sqliteTask } from './sqlite-task';
import type { MaintenanceTask } from './task';

export function maintenanceTasks(stack: LoadedStack): MaintenanceTask[] {
  const tasks: MaintenanceTask[] = [];
  for (const [service, cfg] of Object.entries(stack.config.services)) {
    for (const db of cfg.backup?.sqlite ?? []) tasks.push(sqliteTask(stack, service, db));
    if (cfg.backup?.postgres) tasks.push(postgresTask(stack, service));
    if (cfg.maintenance?.redis) tasks.push(redisTask(stack, service));
    if (cfg.maintenance?.cache.length) tasks.push(cacheTask(stack, service));
    for (const name of Object.keys(cfg.maintenance?.tasks ?? {})) tasks.push(serviceTask(stack, service, name));
  }
  // The journal first: every request to the memory's worker takes the journal in before it answers.
  tasks.push(journalTask(stack), memoryTask(stack), memoryTask(stack, true), metricsTask(), backupsTask(stack));
  return tasks;
}
