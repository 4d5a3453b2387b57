/**
 * The start-at-boot shapes of the control API (GET /v1/units/status, GET /v1/units/generate,
 * POST /v1/units/install). Responses mirror src/core/contract/units.ts (checked at compile time
 * at the end). Part of the contract.
 */
import { z } from '@hono/zod-openapi';
import type { UnitSet, UnitsChange, UnitsStatus } from '../units';
import type { Fits } from './common';

const target = z.enum(['systemd', 'launchd', 'cron']).openapi('BootTarget');
const mode = z.enum(['engine', 'native']).openapi('BootMode');
const scope = z.enum(['user', 'system']).openapi('BootScope');

/** Which units: each absent key comes from `boot:` in opsdeck.yaml, then the platform. */
export const unitsQuerySchema = z.object({
  target: target.optional().openapi({ description: 'systemd, launchd or cron (default: boot.target, else the platform\'s)' }),
  mode: mode.optional().openapi({ description: 'engine or native (default: boot.mode)' }),
  scope: scope.optional().openapi({ description: 'user (at login) or system (at boot) (default: boot.scope)' }),
});
export const unitsInstallSchema = unitsQuerySchema.extend({
  dry_run: z.boolean().optional().openapi({ description: 'Say what would be written, removed and run; change nothing' }),
});

export const unitFileSchema = z
  .object({
    name: z.string(),
    text: z.string().openapi({ description: 'The whole file, header included (secrets appear only in environment files, which have mode 0600)' }),
    mode: z.number().int().openapi({ description: 'Permission bits (decimal): 420 is 0644, 384 is 0600' }),
    role: z.enum(['engine', 'service', 'target', 'timer', 'backup', 'verify', 'environment', 'crontab']),
    service: z.string().optional(),
  })
  .openapi('UnitFile');

export const unitSetSchema = z
  .object({
    stack: z.string(),
    stackDir: z.string(),
    target,
    mode,
    scope,
    files: z.array(unitFileSchema),
    activate: z.array(z.string()).openapi({ description: 'What install enables or loads' }),
    notes: z.array(z.string()).openapi({ description: 'What this init system cannot express of opsdeck.yaml' }),
  })
  .openapi('UnitSet');

export const unitsStatusSchema = z
  .object({
    stack: z.string(),
    target,
    mode,
    scope,
    unitDir: z.string(),
    installed: z.boolean(),
    drifted: z.boolean(),
    files: z.array(
      z.object({
        name: z.string(),
        path: z.string(),
        installed: z.enum(['missing', 'ours', 'foreign']),
        drifted: z.boolean(),
        enabled: z.boolean().optional(),
        loaded: z.boolean().optional(),
        running: z.boolean().optional(),
      }),
    ),
    stale: z.array(z.string()),
  })
  .openapi('UnitsStatus');

export const unitsChangeSchema = z
  .object({
    dryRun: z.boolean(),
    unitDir: z.string(),
    written: z.array(z.string()),
    unchanged: z.array(z.string()),
    removed: z.array(z.string()),
    commands: z.array(z.array(z.string())),
    notes: z.array(z.string()),
  })
  .openapi('UnitsChange');

const typesFit: [Fits<UnitSet, typeof unitSetSchema>, Fits<UnitsStatus, typeof unitsStatusSchema>, Fits<UnitsChange, typeof unitsChangeSchema>] = [true, true, true];
void typesFit;
