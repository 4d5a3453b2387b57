/**
 * The maintenance shapes of the control API (/v1/maintenance…, /v1/cleanup; docs/maintenance.md),
 * checked at compile time against src/core/contract/maintenance.ts where they describe a type.
 * Part of the contract.
 */
import { z } from '@hono/zod-openapi';
import { CLEANUP_KINDS, MAINTENANCE_KINDS, MAINTENANCE_PRESETS, type CleanupResult, type MaintenanceProgress, type MaintenanceRunResult, type MaintenanceTaskInfo } from '../maintenance';
import { apiList, apiName, apiText, type Fits } from './common';

export const maintenanceTaskSchema = z
  .object({
    id: z.string(),
    service: z.string(),
    kind: z.enum(MAINTENANCE_KINDS),
    title: z.string(),
    requiresStop: z.boolean(),
    daily: z.boolean(),
  })
  .openapi('MaintenanceTask');
export const maintenanceTasksQuerySchema = z.object({
  tasks: z.string().max(4096).optional().openapi({ description: 'Comma-separated task ids, kinds, task names or id prefixes: only the tasks a run of them would pick (an unknown one is a 400)', example: 'sqlite,cache' }),
  service: apiName().optional().openapi({ description: 'Only the tasks of this service' }),
  preset: z.enum(MAINTENANCE_PRESETS).optional().openapi({ description: 'Only the tasks of this set: `daily`, the set the schedule runs (not with tasks)' }),
});
export const maintenanceTasksSchema = z.object({ tasks: z.array(maintenanceTaskSchema) }).openapi('MaintenanceTasks');

export const maintenanceRequestSchema = z
  .object({
    tasks: apiList(apiText()).optional().openapi({ description: 'Task ids, kinds (`sqlite`), services\' task names or id prefixes; default every task' }),
    service: apiName().optional().openapi({ description: 'Only the tasks of this service (`opsdeck` for Opsdeck\'s own data)' }),
    preset: z.enum(MAINTENANCE_PRESETS).optional().openapi({ description: 'Run a named set instead of tasks: `daily`, the set the schedule runs (`maintenance.tasks`, else every task marked daily); with tasks a 400' }),
    dry_run: z.boolean().optional().openapi({ description: 'Say what each task would do and reclaim; change nothing' }),
    progress: z.boolean().optional().openapi({ description: 'Answer with a server-sent event stream: `progress` events (MaintenanceProgress), then `result` or `error`' }),
  })
  .strict()
  .openapi('MaintenanceRequest');

export const maintenanceProgressSchema = z
  .object({ task: z.string(), index: z.number().int(), tasks: z.number().int(), step: z.string(), done: z.number().int(), total: z.number().int(), elapsedMs: z.number() })
  .openapi('MaintenanceProgress');

const figures = z.record(z.string(), z.number());
export const maintenanceResultSchema = z
  .object({
    dryRun: z.boolean(),
    ok: z.boolean(),
    durationMs: z.number(),
    tasks: z.array(
      z.object({
        id: z.string(),
        service: z.string(),
        kind: z.enum(MAINTENANCE_KINDS),
        ok: z.boolean(),
        dryRun: z.boolean(),
        plan: z.array(z.string()),
        steps: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string(), durationMs: z.number() })),
        before: figures,
        after: figures,
        reclaimedBytes: z.number().optional(),
        durationMs: z.number(),
        skipped: z.string().optional(),
        error: z.string().optional(),
      }),
    ),
  })
  .openapi('MaintenanceResult');

export const cleanupRequestSchema = z
  .object({
    dry_run: z.boolean().optional().openapi({ description: 'List what would go, remove nothing' }),
    older_than_ms: z.number().int().min(0).max(3_650 * 86_400_000).optional().openapi({ description: 'Only what is older than this (ms; default 30 days); rotated logs beyond logs.keep go whatever their age' }),
  })
  .strict()
  .openapi('CleanupRequest');

export const cleanupResultSchema = z
  .object({
    dryRun: z.boolean(),
    olderThanMs: z.number(),
    items: z.array(z.object({ kind: z.enum(CLEANUP_KINDS), path: z.string(), bytes: z.number(), reason: z.string() })),
    kinds: z.array(z.object({ kind: z.enum(CLEANUP_KINDS), files: z.number().int(), bytes: z.number() })),
    files: z.number().int(),
    bytes: z.number(),
  })
  .openapi('CleanupResult');

const fit: [Fits<MaintenanceTaskInfo, typeof maintenanceTaskSchema>, Fits<MaintenanceProgress, typeof maintenanceProgressSchema>, Fits<MaintenanceRunResult, typeof maintenanceResultSchema>, Fits<CleanupResult, typeof cleanupResultSchema>] = [true, true, true, true];
void fit;
