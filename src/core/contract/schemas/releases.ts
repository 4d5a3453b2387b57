/**
 * Releases on the wire (docs/releases.md, docs/api.md): GET /v1/releases and the deploy, update
 * and rollback requests (POST /v1/releases/…), with their results. Part of the contract.
 */
import { z } from '@hono/zod-openapi';
import { RELEASE_STAGES, ROLLBACK_DATA, type LedgerEntry, type ReleaseList, type ReleaseRunResult } from '../releases';
import type { Fits } from './common';

const version = z.string().min(1).max(63).regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, { message: 'must be a version such as 1.2.0' });
const stage = z.enum(RELEASE_STAGES);
const timings = z.array(z.object({ stage, ms: z.number() }));

export const ledgerEntrySchema = z
  .object({
    id: z.number(),
    op: z.enum(['deploy', 'update', 'rollback', 'recover']),
    version: z.string(),
    from: z.string().optional(),
    sourceCommit: z.string().optional(),
    startedAt: z.string(),
    finishedAt: z.string().optional(),
    by: z.string(),
    migrations: z.array(z.object({ service: z.string(), version: z.number(), direction: z.enum(['up', 'down']) })),
    schemaBefore: z.record(z.string(), z.number()),
    migrating: z.object({ service: z.string(), version: z.number(), direction: z.enum(['up', 'down']) }).optional(),
    snapshot: z.string().optional(),
    result: z.enum(['in-progress', 'ok', 'failed', 'rolled-back', 'recovered']),
    stage,
    error: z.string().optional(),
    actions: z.array(z.string()).optional(),
    timings,
  })
  .openapi('ReleaseLedgerEntry');

export const releaseListSchema = z
  .object({
    current: z.string().optional(),
    schema: z.record(z.string(), z.number()),
    source: z.string().optional(),
    releases: z.array(z.object({ version: z.string(), current: z.boolean(), installed: z.boolean(), available: z.boolean() })),
    ledger: z.array(ledgerEntrySchema),
    interrupted: ledgerEntrySchema.optional(),
  })
  .openapi('ReleaseList');

export const releaseRunSchema = z
  .object({
    op: z.enum(['deploy', 'update', 'rollback', 'recover']),
    dryRun: z.boolean(),
    ok: z.boolean(),
    from: z.string().optional(),
    version: z.string(),
    plan: z.array(z.string()),
    entry: ledgerEntrySchema.optional(),
    failure: z.object({ stage, error: z.string(), rolledBackTo: z.string().optional(), actions: z.array(z.string()) }).optional(),
    recovered: ledgerEntrySchema.optional(),
    durationMs: z.number(),
    timings,
  })
  .openapi('ReleaseRunResult');

export const deployRequestSchema = z
  .object({
    version: version.optional(),
    from: z.string().min(1).optional().openapi({ description: 'Where releases come from when opsdeck.yaml does not say' }),
    dry_run: z.boolean().optional(),
  })
  .strict()
  .openapi('DeployRequest');

export const updateRequestSchema = z
  .object({ to: version.optional(), allow_downgrade: z.boolean().optional(), dry_run: z.boolean().optional() })
  .strict()
  .openapi('UpdateRequest');

export const rollbackRequestSchema = z
  .object({
    to: version.optional(),
    data: z.enum(ROLLBACK_DATA).optional().openapi({ description: 'down (default): the down-steps, after a safety snapshot; restore: the snapshot taken before the update; keep: no change to the data' }),
    dry_run: z.boolean().optional(),
  })
  .strict()
  .openapi('RollbackRequest');

const fits: [Fits<LedgerEntry, typeof ledgerEntrySchema>, Fits<ReleaseList, typeof releaseListSchema>, Fits<ReleaseRunResult, typeof releaseRunSchema>] = [true, true, true];
void fits;
