/**
 * Reaching the stack's backups from the CLI (src/core/host's openStack, `own-briefly`): through
 * the running engine's API when one owns the stack; otherwise with an engine of this process,
 * holding the stack lock (owner `backup`) when the command writes, and then recording its events
 * in the stack's memory like the engine would.
 */
import { type BackupService, OPSDECK_VERSION as VERSION } from '../../core/contract';
import { openStack, pinBaselineWasm } from '../../core/host';

/** The backups of the stack: the owning engine's (over the API), or this process's. */
export interface BackupAccess {
  service: BackupService;
  /** `api` when an engine owns the stack, `direct` for a one-shot run. */
  via: 'api' | 'direct';
}

/**
 * Run `fn` with the stack's backups. Without an owner: `lock` takes the stack lock for the
 * duration (commands that write the repository or touch services), and events go to memory.
 */
export async function withBackups<T>(dir: string, opts: { lock: boolean }, fn: (b: BackupAccess) => Promise<T>): Promise<T> {
  // a one-shot command: SQLite's WebAssembly (the stack's memory, the backup's checks) on V8's
  // baseline compiler, ~35 MiB less at its peak for a process that ends with the command
  pinBaselineWasm();
  const stack = await openStack(dir, { mode: 'own-briefly', owner: 'backup', version: VERSION, lock: opts.lock });
  try {
    return await fn({ service: stack.engine.backups, via: stack.role === 'attached' ? 'api' : 'direct' });
  } finally {
    await stack.close();
  }
}
