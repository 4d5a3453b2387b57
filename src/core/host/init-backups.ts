/**
 * `opsdeck backups init`: create the stack's backup repository with an engine of this process,
 * whether or not another one owns the stack (creating a repository touches no service).
 */
import type { BackupInitResult } from '../contract/backups';
import { Engine } from '../engine';

export async function initBackups(dir: string, opts: { encrypt?: boolean } = {}): Promise<BackupInitResult> {
  const engine = await Engine.open(dir);
  try {
    return await engine.backups.init(opts);
  } finally {
    await engine.dispose();
  }
}
