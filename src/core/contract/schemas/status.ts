/**
 * The status, health, plan and profile shapes of the control API (GET /v1/status, /v1/health,
 * the stack and service commands, /v1/profiles). Responses mirror src/core/contract/status.ts
 * and health.ts (checked at compile time at the end). Part of the contract.
 */
import { z } from '@hono/zod-openapi';
import { RESTART_CAUSES, SERVICE_STATES } from '../events';
import { HEALTH_LEVELS, type StackHealth } from '../health';
import type { EngineStatus, PlanResult, ProfilesInfo, ServiceStatus } from '../status';
import { apiList, apiName, queryBool, type Fits } from './common';

// ------------------------------------------------------------------ services, health, status

export const serviceStateSchema = z.enum(SERVICE_STATES).openapi('ServiceState');
export const healthLevelSchema = z.enum(HEALTH_LEVELS).openapi('HealthLevel');

const probeResultSchema = z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.string().optional() }).openapi('ProbeResult');

export const serviceStatusSchema = z
  .object({
    name: z.string(),
    state: serviceStateSchema,
    reason: z.string(),
    since: z.number().openapi({ description: 'Epoch ms of the last state change' }),
    pid: z.number().int().optional(),
    restarts: z.number().int(),
    attempt: z.number().int(),
    startedAt: z.number().optional(),
    completed: z.boolean(),
    lastExit: z.object({ code: z.number().int().nullable(), signal: z.string().nullable(), error: z.string().optional() }).optional(),
    lastProbe: z.object({ readiness: probeResultSchema.optional(), liveness: probeResultSchema.optional() }),
    lastCheck: z.object({ ok: z.boolean(), durationMs: z.number(), output: z.string() }).optional(),
    rssMb: z.number().optional(),
    tier: z.string(),
    inProfile: z.boolean(),
    health: healthLevelSchema,
    endpoint: z.string().optional().openapi({ description: "Where the service answers, from its config's http or tcp probe", example: 'http://127.0.0.1:7101' }),
    lastRestart: z
      .object({ at: z.number(), cause: z.enum(RESTART_CAUSES), detail: z.string() })
      .optional()
      .openapi({ description: "The engine's last restart of the service, and why" }),
  })
  .openapi('ServiceStatus');

export const serviceHealthSchema = z.object({ service: z.string(), level: healthLevelSchema, reason: z.string() }).openapi('ServiceHealth');

export const stackHealthSchema = z
  .object({ level: healthLevelSchema, summary: z.string().openapi({ example: '2/3 OK (api CRITICAL)' }), services: z.array(serviceHealthSchema) })
  .openapi('StackHealth');

export const engineStatusSchema = z
  .object({
    stack: z.string(),
    dir: z.string(),
    profile: z.string().optional(),
    services: z.array(serviceStatusSchema),
    health: stackHealthSchema,
    ipc: z
      .object({ score: z.number(), level: z.enum(['ok', 'warn', 'critical']), summary: z.string() })
      .openapi({ description: 'The IPC pressure score (0-100, higher is worse) at the last metrics sample; see docs/ipc-score.md' }),
    engine: z.object({ pid: z.number().int(), startedAt: z.number() }),
  })
  .openapi('EngineStatus');

// ------------------------------------------------------------------ commands

export const planStepSchema = z
  .object({
    action: z.enum(['stop', 'restart', 'start']),
    service: z.string(),
    wave: z.number().int().openapi({ description: 'Steps of the same action and wave run concurrently; waves run in order' }),
    reason: z.string(),
  })
  .openapi('PlanStep');

export const planResultSchema = z
  .object({
    dryRun: z.boolean().openapi({ description: 'True when nothing was changed: `plan` is what would be done' }),
    plan: z.array(planStepSchema),
  })
  .openapi('PlanResult');

export const stackCommandSchema = z
  .object({
    services: apiList(apiName()).optional().openapi({ description: 'Default: up, the services of the active profile; down, every running service' }),
    dry_run: z.boolean().optional().openapi({ description: 'Only plan: change nothing' }),
  })
  .strict()
  .openapi('StackCommand');

export const serviceParamsSchema = z.object({
  name: apiName().openapi({ param: { name: 'name', in: 'path' }, example: 'storage' }),
});

export const dryRunQuerySchema = z.object({ dry_run: queryBool('Only plan: change nothing') });

export const profilesSchema = z
  .object({
    active: z.string().optional(),
    profiles: z.array(z.object({ name: z.string(), services: z.array(z.string()), description: z.string().optional() })),
  })
  .openapi('Profiles');

export const useProfileSchema = z
  .object({ name: apiName(), dry_run: z.boolean().optional().openapi({ description: 'Only plan: change nothing' }) })
  .strict()
  .openapi('UseProfile');

export const reloadSchema = z
  .object({ dry_run: z.boolean().optional().openapi({ description: 'Only plan: change nothing' }) })
  .strict()
  .openapi('Reload');

const typesFit: [
  Fits<ServiceStatus, typeof serviceStatusSchema>,
  Fits<EngineStatus, typeof engineStatusSchema>,
  Fits<StackHealth, typeof stackHealthSchema>,
  Fits<PlanResult, typeof planResultSchema>,
  Fits<ProfilesInfo, typeof profilesSchema>,
] = [true, true, true, true, true];
void typesFit;
