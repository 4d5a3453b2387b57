/**
 * The backup shapes of the control API (/v1/backups…, docs/backup.md). Results are described
 * loosely (their fields in words) and typed by src/core/contract/backups.ts. Part of the contract.
 */
import { z } from '@hono/zod-openapi';
import { apiList, apiName, apiText, API_LIMITS } from './common';


const snapshotId = z.string().max(128, { error: 'must be at most 128 characters (a snapshot id is 64)' }).openapi({ description: 'A snapshot id, or any unique prefix of one (8 characters are shown), or `latest`', example: 'latest' });
const looseObject = (name: string, description: string) => z.record(z.string(), z.unknown()).openapi(name, { description });

export const snapshotParamsSchema = z.object({ id: snapshotId.openapi({ param: { name: 'id', in: 'path' } }) });
export const diffParamsSchema = z.object({
  id: snapshotId.openapi({ param: { name: 'id', in: 'path' } }),
  other: snapshotId.openapi({ param: { name: 'other', in: 'path' } }),
});

export const backupRequestSchema = z
  .object({
    services: apiList(apiName()).optional().openapi({ description: 'Only these services (default: every service of the active profile that declares a backup)' }),
    tags: apiList(apiText()).optional(),
    dry_run: z.boolean().optional().openapi({ description: 'Take the copies and read everything, write nothing' }),
    progress: z.boolean().optional().openapi({ description: 'Answer with a server-sent event stream: `progress` events (BackupProgress), then one `result` (BackupResult) or `error` (Error)' }),
  })
  .strict()
  .openapi('BackupRequest');

export const backupProgressSchema = z
  .object({
    phase: z.enum(['scan', 'backup', 'index', 'snapshot', 'done']),
    filesTotal: z.number(),
    filesDone: z.number(),
    bytesTotal: z.number(),
    bytesDone: z.number(),
    bytesRead: z.number(),
    bytesAdded: z.number(),
    elapsedMs: z.number(),
    currentPath: z.string().optional(),
  })
  .openapi('BackupProgress');

export const backupResultSchema = z
  .object({
    dryRun: z.boolean(),
    snapshot: z.string(),
    time: z.string(),
    repository: z.string(),
    repositoryCreated: z.boolean(),
    services: z.array(z.string()),
    tags: z.array(z.string()),
    files: z.number().int(),
    filesNew: z.number().int(),
    filesChanged: z.number().int(),
    filesUnchanged: z.number().int(),
    bytesTotal: z.number(),
    bytesRead: z.number(),
    bytesAdded: z.number().openapi({ description: 'Bytes added to the repository after dedup and compression' }),
    durationMs: z.number(),
    notes: z.array(z.object({ service: z.string(), path: z.string(), note: z.string() })),
    skipped: z.array(z.object({ service: z.string(), path: z.string(), reason: z.string() })),
    check: z.object({ ok: z.boolean(), errors: z.number().int(), warnings: z.number().int(), problems: z.array(z.string()) }).optional(),
  })
  .openapi('BackupResult');

const snapshotInfoShape = {
  id: z.string(),
  time: z.string(),
  stack: z.string(),
  profile: z.string(),
  services: z.array(z.string()),
  tags: z.array(z.string()),
  hostname: z.string(),
  parent: z.string().optional(),
  configHash: z.string(),
  gitCommit: z.string().optional(),
  opsdeckVersion: z.string(),
  files: z.number().int().optional(),
  bytes: z.number().optional(),
  summary: z.record(z.string(), z.unknown()),
  extra: z.record(z.string(), z.unknown()).optional(),
};
export const snapshotInfoSchema = z.looseObject(snapshotInfoShape).openapi('SnapshotInfo');
export const unreadableSnapshotSchema = z.object({ id: z.string(), reason: z.string() }).openapi('UnreadableSnapshot', { description: 'A manifest in the repository that cannot be read, and why (`opsdeck backups verify` says more).' });
export const snapshotListSchema = z.object({ snapshots: z.array(snapshotInfoSchema), unreadable: z.array(unreadableSnapshotSchema) }).openapi('SnapshotList');
export const snapshotSchema = z
  .looseObject({
    ...snapshotInfoShape,
    entries: z.array(
      z.looseObject({ path: z.string(), service: z.string(), type: z.enum(['file', 'dir', 'symlink']), mode: z.number(), mtime: z.number(), size: z.number(), sha256: z.string().optional(), linkTarget: z.string().optional() }),
    ),
  })
  .openapi('Snapshot');
export const snapshotDiffSchema = looseObject('SnapshotDiff', '`{a, b, added[], removed[], changed[{service, path, what[]}], unchanged, bytesAdded, bytesRemoved}`');

export const forgetRequestSchema = z
  .object({
    keep_last: z.number().int().min(-1).optional(),
    keep_hourly: z.number().int().min(-1).optional(),
    keep_daily: z.number().int().min(-1).optional(),
    keep_weekly: z.number().int().min(-1).optional(),
    keep_monthly: z.number().int().min(-1).optional(),
    keep_yearly: z.number().int().min(-1).optional(),
    keep_within: z.string().max(100).optional().openapi({ description: 'restic\'s form: 1y5m7d2h' }),
    keep_tags: apiList(z.string().max(API_LIMITS.textLength)).optional(),
    prune: z.boolean().optional().openapi({ description: 'Remove unreferenced data afterwards' }),
    dry_run: z.boolean().optional(),
  })
  .strict()
  .openapi('ForgetRequest', { description: 'Without any keep_* rule, the rules of backup.retention in opsdeck.yaml' });
export const forgetResultSchema = looseObject('ForgetResult', '`{dryRun, time, policy, keep[{snapshot, reasons[]}], remove[SnapshotInfo], groups[], prune?}`');
export const dryRunBodySchema = z.object({ dry_run: z.boolean().optional() }).strict().openapi('DryRun');
export const pruneResultSchema = looseObject('PruneReport', '`{dryRun, packsBefore, packsAfter, packsDeleted, packsRepacked, bytesBefore, bytesAfter, bytesFreed, durationMs, …}`');
export const verifyRequestSchema = z
  .object({
    read_data: z.union([z.boolean(), z.string().regex(/^(\d+\/\d+|\d+(\.\d+)?%)$/)]).optional().openapi({ description: '`true`: re-read all data; `N/T` or `P%`: a subset' }),
    progress: z.boolean().optional().openapi({ description: 'Answer with a server-sent event stream: `progress` events (VerifyProgress: phase, packs and bytes done of their totals), then one `result` (VerifyReport) or `error` (Error)' }),
  })
  .strict()
  .openapi('VerifyRequest');
export const verifyReportSchema = looseObject('VerifyReport', '`{ok, snapshots, packs, blobs, readData, subset?, packsRead, bytesRead, problems[], damaged[], affected[{snapshot, time, files[]}], durationMs}`');

/** How long a restore or drill waits for health: up to a day (longer would overflow a timer past ~24.8 days anyway). */
const healthTimeout = () =>
  z
    .number()
    .int()
    .positive()
    .max(API_LIMITS.healthTimeoutMs, { error: `must be at most ${API_LIMITS.healthTimeoutMs} (a day)` })
    .optional();

export const restoreRequestSchema = z
  .object({
    services: apiList(apiName()).optional(),
    include: apiList(apiText()).optional().openapi({ description: 'Globs on `path` or `service/path`' }),
    target: apiText().optional().openapi({ description: 'Restore into this new or empty folder, as `<target>/<service>/<path>`; an absolute path (relative paths are relative to the engine\'s working folder)' }),
    in_place: z.boolean().optional().openapi({ description: 'Restore into the stack: stop, safety snapshot, stage and verify, swap, start, health gate; rollback on failure' }),
    dry_run: z.boolean().optional(),
    health_timeout_ms: healthTimeout(),
    keep_special_bits: z.boolean().optional().openapi({ description: 'Keep setuid/setgid bits from the snapshot (default: stripped, like tar without -p; the sticky bit is always kept)' }),
    progress: z.boolean().optional().openapi({ description: 'Answer with a server-sent event stream: `progress` events (RestoreProgress: phase, files and bytes done of their totals), then one `result` (RestoreResult) or `error` (Error)' }),
  })
  .strict()
  .openapi('RestoreRequest');
export const restoreResultSchema = looseObject('RestoreResult', '`{dryRun, snapshot, mode, target, services, files[], bytes, verified, sqlite[], stopped[], safetySnapshot?, warnings[]?, recoveryMs, phases, objectives[{service, rtoMs?, recoveryMs, withinRto?}], plan[]}`');
export const drillRequestSchema = z
  .object({
    snapshot: z.string().min(1).max(128).optional().openapi({ description: 'Default: the newest snapshot' }),
    services: apiList(apiName()).optional(),
    keep: z.boolean().optional().openapi({ description: 'Keep the sandbox folder' }),
    health_timeout_ms: healthTimeout(),
  })
  .strict()
  .openapi('DrillRequest');
export const drillResultSchema = looseObject('DrillResult', '`{ok, snapshot, services, started, sandbox, ports, recoveryMs, phases, objectives[], checks[]}`');
export const backupStatusSchema = looseObject('BackupStatus', '`{repository, exists, snapshots, unreadable?[{id, reason}], newest?, schedule?, verifySchedule?, retention?, services[{service, rpoMs?, rtoMs?, newest?, rpo, lastRecovery?}], lastVerify?, jobs, recoveries[]}`');
