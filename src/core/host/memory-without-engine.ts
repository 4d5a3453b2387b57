/**
 * `opsdeck memory search` when no engine owns the stack: open its memory in this process, take
 * in the journal the last engine left, search, close. SQLite (WebAssembly) is loaded on demand,
 * only here, not by every command.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { MemoryHit, MemoryQuery } from '../contract/memory';
import { OpsError } from '../errors';
import { journalDir } from '../memory/journal';

export async function searchMemoryWithoutEngine(dir: string, query: MemoryQuery): Promise<MemoryHit[]> {
  const opsdeckDir = path.join(dir, '.opsdeck');
  if (!existsSync(path.join(opsdeckDir, 'memory.db')) && !existsSync(journalDir(opsdeckDir))) {
    throw new OpsError('BAD_REQUEST', 'this stack has no memory yet', 'memory is recorded while the engine runs: `opsdeck up`');
  }
  const { openMemoryInProcess } = await import('../memory/ingest');
  const store = openMemoryInProcess(opsdeckDir);
  try {
    return store.search(query);
  } finally {
    store.close();
  }
}
