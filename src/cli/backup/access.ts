/**
 * Reaching the stack's backups from the CLI: through the running engine's API when one owns the
 * stack; otherwise with a one-shot engine in this process, holding the stack lock (owner `backup`)
 * when the command writes, and then recording its events in the stack's memory like the engine would.
 */
import path from 'node:path';
import type { BackupManager } from '../../core/backup/manager';
import type { BackupService } from '../../core/backup/types';
import type { ApiClient } from '../../core/api/client';
import { Engine } from '../../core/engine';
import { acquireLock } from '../../core/stack-lock';
import { ownerOf } from '../stack-context';
import { VERSION } from '../version';

/** The backups of the stack: the owning engine's (over the API), or a one-shot engine's. */
export interface BackupAccess {
  service: BackupService;
  /** `api` when an engine owns the stack, `direct` for a one-shot run. */
  via: 'api' | 'direct';
  manager?: BackupManager;
}

/**
 * Run `fn` with the stack's backups. Without an owner: `lock` takes the stack lock for the
 * duration (commands that write the repository or touch services), and events go to memory.
 */
export async function withBackups<T>(dir: string, opts: { lock: boolean }, fn: (b: BackupAccess) => Promise<T>): Promise<T> {
  const owner = ownerOf(dir);
  if (owner) return fn({ service: viaApi(owner.client), via: 'api' });
  const lock = opts.lock ? acquireLock(dir, { owner: 'backup', version: VERSION }) : undefined;
  let engine: Engine | undefined;
  let memory: { close(): void } | undefined;
  try {
    engine = await Engine.open(dir);
    if (opts.lock) {
      // Holding the stack lock, this command is the stack's owner for now: it records its events.
      const { openMemoryInProcess } = await import('../../core/memory/ingest');
      const store = openMemoryInProcess(path.join(engine.stack.dir, '.opsdeck'));
      engine.useMemory(store);
      memory = store;
    }
    return await fn({ service: engine.backups, via: 'direct', manager: engine.backups });
  } finally {
    await engine?.dispose();
    memory?.close();
    lock?.release();
  }
}

/** Run `fn` with the backups of a one-shot engine, whether or not another one owns the stack (`backups init`). */
export async function withOneShotBackups<T>(dir: string, fn: (manager: BackupManager) => Promise<T>): Promise<T> {
  const engine = await Engine.open(dir);
  try {
    return await fn(engine.backups);
  } finally {
    await engine.dispose();
  }
}

function viaApi(client: ApiClient): BackupService {
  return {
    backup: (req, o) => client.backup(req, o?.onProgress),
    list: () => client.listSnapshots(),
    show: (id) => client.showSnapshot(id),
    diff: (a, b) => client.diffSnapshots(a, b),
    forget: (req) => client.forget(req),
    prune: (o) => client.prune(!!o?.dryRun),
    verify: (req) => client.verify(req),
    restore: (id, req) => client.restore(id, req),
    drill: (req) => client.drill(req),
    status: () => client.backupStatus(),
  };
}
