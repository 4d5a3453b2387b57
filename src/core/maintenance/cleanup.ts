/**
 * `opsdeck cleanup`: what cleanup-scan.ts finds in the stack's own folders, plus the safety
 * snapshots of finished restores older than the age (forgotten in the backup repository; the
 * next prune, `opsdeck maintain opsdeck:backups`, frees their data), summed per kind. A dry run
 * stops there. Otherwise each path is checked once more to be inside the stack folder (its real
 * path, links resolved) and removed, and one `cleanup` event says what went.
 */
import { realpathSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { SnapshotInfo } from '../contract/backups';
import { CLEANUP_KINDS, type CleanupItem, type CleanupRequest, type CleanupResult } from '../contract/maintenance';
import type { LoadedStack } from '../config/load';
import { OpsError } from '../errors';
import type { EventBus } from '../events';
import { scanCleanup, type Found, type ScanOptions } from './cleanup-scan';

export const DEFAULT_OLDER_THAN_MS = 30 * 86_400_000;

export interface CleanupContext {
  stack: LoadedStack;
  bus: EventBus;
  scan: Omit<ScanOptions, 'olderThanMs'>;
  /** The repository's snapshots (empty without a repository) and how to forget some. */
  snapshots(): Promise<SnapshotInfo[]>;
  forget(ids: string[]): Promise<void>;
}

/** Is `abs` inside `root` once links are resolved? (A path that is gone is inside: nothing to remove.) */
function inside(root: string, abs: string): boolean {
  let real: string;
  try {
    real = path.join(realpathSync(path.dirname(abs)), path.basename(abs));
  } catch {
    return true;
  }
  const rel = path.relative(realpathSync(root), real);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

export async function cleanup(ctx: CleanupContext, req: CleanupRequest): Promise<CleanupResult> {
  const olderThanMs = req.olderThanMs ?? DEFAULT_OLDER_THAN_MS;
  if (!Number.isFinite(olderThanMs) || olderThanMs < 0) throw new OpsError('BAD_REQUEST', `older-than must be a duration of 0s or more, not ${olderThanMs}`, 'e.g. 30d, 12h');
  const files: Found[] = scanCleanup(ctx.stack, { ...ctx.scan, olderThanMs });
  const safety = ctx.scan.busy.restore ? [] : (await ctx.snapshots()).filter((s) => s.tags.includes('safety') && ctx.scan.now - Date.parse(s.time) > olderThanMs);
  const snapshotItems: CleanupItem[] = safety.map((s) => ({ kind: 'restore', path: `snapshot ${s.id.slice(0, 8)}`, bytes: 0, reason: `safety snapshot of a finished restore (${s.tags.join(', ')}); the next prune frees its data` }));
  const items: CleanupItem[] = [...files.map(({ abs: _abs, ...i }) => i), ...snapshotItems];
  if (!req.dryRun) {
    for (const f of files) {
      if (!inside(ctx.stack.dir, f.abs)) throw new OpsError('INTERNAL', `cleanup refused to remove ${f.abs}: it is not inside the stack folder`, 'nothing after it was removed; report this');
      rmSync(f.abs, { recursive: true, force: true });
    }
    if (safety.length) await ctx.forget(safety.map((s) => s.id));
  }
  const kinds = CLEANUP_KINDS.map((kind) => ({ kind, files: items.filter((i) => i.kind === kind).length, bytes: items.filter((i) => i.kind === kind).reduce((n, i) => n + i.bytes, 0) })).filter((k) => k.files > 0);
  const result: CleanupResult = { dryRun: !!req.dryRun, olderThanMs, items, kinds, files: items.length, bytes: items.reduce((n, i) => n + i.bytes, 0) };
  if (!req.dryRun && items.length) ctx.bus.emit({ type: 'cleanup', at: ctx.scan.now, service: 'stack', files: result.files, bytes: result.bytes, kinds: kinds.map((k) => k.kind) });
  return result;
}
