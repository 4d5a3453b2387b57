/**
 * What a backup's snapshot records about itself besides the data (its manifest's metadata): the
 * stack, profile and services, the hash of opsdeck.yaml, the stack folder's git commit, the
 * Opsdeck version, the tags (with the trigger, unless manual), host and time, and what the
 * adapters said: their notes, the SQLite databases taken, the files skipped.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { execa } from 'execa';
import type { LoadedStack } from '../config/load';
import type { BackupItem } from './adapters';
import type { SnapshotMeta } from './repo';
import type { BackupRunResult } from '../contract/backups';
import { OPSDECK_VERSION } from '../version';
import type { BackupTrigger } from '../contract/events';

export interface BackupMeta extends SnapshotMeta {
  services: string[];
  tags: string[];
  extra: {
    trigger: BackupTrigger;
    notes: BackupRunResult['notes'];
    /** Per service, the stack paths of its SQLite copies. */
    sqlite: Record<string, string[]>;
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
}

export async function backupMeta(stack: LoadedStack, run: BackupRun): Promise<BackupMeta> {
  const { services, tags, trigger, items } = run;
  return {
    stack: stack.config.name,
    profile: stack.profile ?? '',
    services,
    configHash: sha256(readFileSync(stack.file)),
    ...(await gitCommit(stack.dir)),
    opsdeckVersion: OPSDECK_VERSION,
    tags: trigger === 'manual' || tags.includes(trigger) ? tags : [...tags, trigger],
    hostname: os.hostname(),
    time: run.now(),
    extra: {
      trigger,
      notes: items.filter((i) => i.note).map((i) => ({ service: i.service, path: i.path, note: i.note! })),
      sqlite: Object.fromEntries(services.map((s) => [s, items.filter((i) => i.service === s && i.kind === 'sqlite').map((i) => i.path)])),
      skipped: run.skipped,
    },
  };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function gitCommit(dir: string): Promise<{ gitCommit?: string }> {
  if (!existsSync(dir)) return {};
  const r = await execa('git', ['rev-parse', 'HEAD'], { cwd: dir, reject: false, stdin: 'ignore' });
  return r.exitCode === 0 && /^[0-9a-f]{40}$/.test(r.stdout.trim()) ? { gitCommit: r.stdout.trim() } : {};
}
