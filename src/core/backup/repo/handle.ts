/**
 * What the stages of a repository operation (backup, restore, prune, verify) need of the open
 * repository: where it is, its config and key, its chunk cutter, its lock and its index and
 * snapshots. `Repository` (repository.ts) implements it and calls the stages; the stages take
 * this interface, so they never import repository.ts (no import circle).
 */
import type { Cutter } from './chunker';
import type { MasterIndex } from './index-store';
import type { HeldLock } from './lock';
import type { RepoConfig, Snapshot } from './model';

export interface RepoHandle {
  readonly dir: string;
  readonly config: RepoConfig;
  /** The master key when encrypted. */
  readonly key: Buffer | undefined;
  readonly cutter: Cutter;
  lock(operation: string): HeldLock;
  loadIndex(): Promise<MasterIndex>;
  /** A backup wrote index file `name` and added its packs to `index` (from loadIndex()). */
  indexWritten(index: MasterIndex, name: string): Promise<void>;
  loadSnapshots(opts?: { chunks?: boolean }): Promise<{ snapshots: Snapshot[]; unreadable: Map<string, string> }>;
  /** A manifest loaded with `chunks: false`, its chunks filled in. */
  withChunks(s: Snapshot): Promise<Snapshot>;
  /** Reads chunk list blobs through the repository's cache of them; close() when done. */
  chunkLists(): ChunkListReader;
  snapshot(idOrPrefix: string): Promise<Snapshot>;
}

/** Chunk list blobs (chunk-lists.ts) as their bytes, 32 per chunk id. */
export interface ChunkListReader {
  /** List blob `id`'s bytes; rejects when it cannot be read or is not a list. */
  bytes(id: string): Promise<Buffer>;
  close(): Promise<void>;
}
