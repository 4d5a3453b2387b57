/**
 * What a backup's snapshot records about itself besides the data (its manifest's metadata): the
 * stack, profile and services, the hash of opsdeck.yaml, the stack folder's git commit, the
 * Opsdeck version, the tags (with the trigger, unless manual), host and time, and what the
 * adapters said: their notes, the SQLite databases taken (and their fingerprints, so the next
 * backup knows which are unchanged), the files skipped.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { LoadedStack } from '../config/load';
import type { BackupItem, SqliteState } from './adapters';
import type { BackupRepository, SnapshotMeta } from './repo';
import type { BackupRunResult } from '../contract/backups';
import { OPSDECK_VERSION } from '../version';
import type { BackupTrigger } from '../contract/events';
import { gitCommit } from './git-commit';

export interface BackupMeta extends SnapshotMeta {
  services: string[];
  tags: string[];
  extra: {
    trigger: BackupTrigger;
    notes: BackupRunResult['notes'];
    /** Per service, the stack paths of its SQLite copies. */
    sqlite: Record<string, string[]>;
    /** Per service and database path, what identifies the database's content (collectSqlite). */
    sqliteState: Record<string, Record<string, SqliteState>>;
    skipped: BackupRunResult['skipped'];
  };
}

export interface BackupRun {
  services: string[];
  tags: string[];
  trigger: BackupTrigger;
  /** What the adapters took, and what they skipped. */
  items: BackupItem[];
  skipped: BackupRunResult['skipped'];
  /** The time to record (read once the rest is known). */
  now: () => number;
  /** The stack folder's git commit, when asked for already (gitCommit(), started beside the copies). */
  git?: Promise<{ gitCommit?: string }>;
}

export async function backupMeta(stack: LoadedStack, run: BackupRun): Promise<BackupMeta> {
  const { services, tags, trigger, items } = run;
  return {
    stack: stack.config.name,
    profile: stack.profile ?? '',
    services,
    configHash: sha256(readFileSync(stack.file)),
    ...(await (run.git ?? gitCommit(stack.dir))),
    opsdeckVersion: OPSDECK_VERSION,
    tags: trigger === 'manual' || tags.includes(trigger) ? tags : [...tags, trigger],
    hostname: os.hostname(),
    time: run.now(),
    extra: {
      trigger,
      notes: items.filter((i) => i.note).map((i) => ({ service: i.service, path: i.path, note: i.note! })),
      sqlite: Object.fromEntries(services.map((s) => [s, items.filter((i) => i.service === s && i.kind === 'sqlite').map((i) => i.path)])),
      sqliteState: sqliteStateOf(services, items),
      skipped: run.skipped,
    },
  };
}

/**
 * Per service and database, the state to record (the copies' fingerprints). A copy still being
 * made has none yet: the backup takes this again once they are made (before its snapshot).
 */
export function sqliteStateOf(services: string[], items: readonly BackupItem[]): BackupMeta['extra']['sqliteState'] {
  return Object.fromEntries(services.map((s) => [s, Object.fromEntries(items.filter((i) => i.service === s && i.state).map((i) => [i.path, i.state!]))]));
}

/** What the stack's newest snapshot recorded of its SQLite databases, by service (nothing when unknown). */
export async function previousSqlite(repo: BackupRepository, stack: string): Promise<BackupMeta['extra']['sqliteState']> {
  const latest = (await repo.snapshots()).filter((s) => s.stack === stack).at(-1);
  const state = latest?.extra?.sqliteState;
  return state && typeof state === 'object' ? (state as BackupMeta['extra']['sqliteState']) : {};
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
