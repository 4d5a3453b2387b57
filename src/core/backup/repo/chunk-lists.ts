/**
 * Chunk lists: how a file of many chunks (a SQLite database is one chunk per 4 KiB page: 32 500
 * for 127 MiB) is named in a snapshot manifest. Its chunk ids are stored in the repository itself,
 * LIST_IDS at a time, as blobs of 32-byte ids back to back (content-addressed like any chunk, so
 * an unchanged run of pages has the same list blob in every snapshot and is stored once); the
 * manifest names the list blobs (`chunkLists`) instead of every chunk. A manifest with such an
 * entry has version 2 (snapshot.ts); files of up to LIST_MIN_CHUNKS chunks keep `chunks` inline,
 * and a manifest without lists keeps version 1, as before.
 *
 * In memory, an entry gets its `chunks` when the Repository expands its lists (restore, prune,
 * diff, show). A backup and a verify look the listed ids up as the lists' bytes instead (no hex
 * string per chunk), and an unchanged file of a new snapshot keeps its parent's lists, with no
 * `chunks`, as the manifest stores it.
 */
import { createHash } from 'node:crypto';
import type { Snapshot, SnapshotEntry } from './model';

/** Files with more chunks than this name them through list blobs. */
export const LIST_MIN_CHUNKS = 256;
/** Chunk ids per list blob (8 KiB: 1 MiB of 4 KiB pages; one changed page rewrites one list). */
export const LIST_IDS = 256;

export interface ListBlob {
  id: string;
  data: Buffer;
}

/** The list blobs of a chunk list, in order. */
export function chunkListBlobs(chunks: readonly string[]): ListBlob[] {
  const out: ListBlob[] = [];
  for (let i = 0; i < chunks.length; i += LIST_IDS) {
    const group = chunks.slice(i, i + LIST_IDS);
    const data = Buffer.from(group.join(''), 'hex');
    out.push({ id: createHash('sha256').update(data).digest('hex'), data });
  }
  return out;
}

/** Why a manifest's chunks cannot be had: one of its list blobs cannot be read (`why`). */
export const listUnreadable = (why: string): string => `a chunk list cannot be read: ${why}`;

/** Throws when `data` is not a list blob: 1 to LIST_IDS ids of 32 bytes. */
export function assertChunkList(data: Buffer): void {
  if (data.length === 0 || data.length % 32 !== 0 || data.length > LIST_IDS * 32) throw new Error(`a chunk list of ${data.length} bytes (not a list of 32-byte ids)`);
}

/** List blob `id` as read by `reader` (a BlobReader: its content checked against its id), checked to be a list. */
export async function readListBlob(reader: { read(id: string, check: boolean): Promise<Buffer> }, id: string): Promise<Buffer> {
  const data = await reader.read(id, true);
  assertChunkList(data);
  return data;
}

/** The chunk ids a list blob holds; throws when it is not a list of 32-byte ids. */
export function parseChunkList(data: Buffer): string[] {
  assertChunkList(data);
  const ids: string[] = [];
  for (let o = 0; o < data.length; o += 32) ids.push(data.toString('hex', o, o + 32));
  return ids;
}

/** Should this entry name its chunks through list blobs? */
export const usesLists = (e: SnapshotEntry): boolean => e.type === 'file' && (e.chunks?.length ?? 0) > LIST_MIN_CHUNKS;

/** The blob ids an entry uses: its chunks and its list blobs. */
export function blobsOf(e: SnapshotEntry): string[] {
  return e.chunkLists ? [...e.chunkLists, ...(e.chunks ?? [])] : (e.chunks ?? []);
}

/** The manifest version for these entries: 2 when any names its chunks through lists, else 1. */
export const manifestVersion = (entries: readonly SnapshotEntry[]): 1 | 2 => (entries.some((e) => e.chunkLists) ? 2 : 1);

/** A manifest as stored: entries with list blobs leave out their (expanded) chunks. */
export function storedForm<T extends Omit<Snapshot, 'id'> & { id?: string }>(s: T): T {
  if (!s.entries.some((e) => e.chunkLists)) return s;
  return {
    ...s,
    entries: s.entries.map((e) => {
      if (!e.chunkLists) return e;
      const { chunks: _chunks, ...rest } = e;
      return rest;
    }),
  };
}

/**
 * Fill in the `chunks` of every entry stored with list blobs, reading each list with `read`
 * (the Repository's, which caches them). Throws when a list is missing or damaged.
 */
export async function expandChunkLists(s: Snapshot, read: (id: string) => Promise<string[]>): Promise<Snapshot> {
  for (const e of s.entries) {
    if (!e.chunkLists || e.chunks) continue;
    const lists = await Promise.all(e.chunkLists.map(read));
    e.chunks = ([] as string[]).concat(...lists); // flat() is several times slower on 37 000 ids
  }
  return s;
}
