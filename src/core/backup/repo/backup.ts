/**
 * Backup, in stages: scan the sources (backup-scan.ts); take unchanged files from the parent
 * snapshot (same size, mtime and type, all chunks present); read, chunk and hash the others
 * (backup-chunk.ts); store the chunks the repository does not have yet, compressed and
 * encrypted, in packs, and index them (backup-pack.ts), with the chunk lists of files of many
 * chunks (chunk-lists.ts); write the snapshot manifest. Order of
 * durability: packs (fsync, rename, fsync dir) → index file → the snapshot manifest, last. A
 * backup killed at any point leaves at most unreferenced packs and temp files, which prune removes.
 */
import os from 'node:os';
import { OpsError } from '../../errors';
import { chunkHere, chunkOnWorkers, type ToRead } from './backup-chunk';
import { BackupPacks } from './backup-pack';
import { chunkListBlobs, listUnreadable, manifestVersion, usesLists } from './chunk-lists';
import { BackupRun } from './backup-run';
import { scan, type Item } from './backup-scan';
import { writeError } from './fsutil';
import type { MasterIndex } from './index-store';
import type { BackupOptions, BackupResult, BackupSource, Snapshot, SnapshotEntry, SnapshotMeta } from './model';
import type { ChunkListReader, RepoHandle } from './handle';
import { snapshotId, writeSnapshot } from './snapshot';

export async function runBackup(repo: RepoHandle, sources: BackupSource[], meta: SnapshotMeta, options: BackupOptions): Promise<BackupResult> {
  const dryRun = !!options.dryRun;
  if (!meta || typeof meta.stack !== 'string' || typeof meta.profile !== 'string') {
    throw new OpsError('BAD_REQUEST', 'backup metadata needs at least stack and profile', 'pass the stack name and active profile');
  }
  const held = dryRun ? undefined : repo.lock('backup');
  const run = new BackupRun(options);
  let sink: BackupPacks | undefined;
  try {
    run.emit(true);
    const index = await loadIndex(repo, dryRun);
    const parent = await parentSnapshot(repo, meta, options);
    sink = new BackupPacks(repo, index, run, dryRun);

    const items = await scan(sources, run.warnings);
    run.checkAbort();
    for (const it of items) {
      if (it.type === 'file') {
        run.progress.filesTotal++;
        run.progress.bytesTotal += it.size;
      }
    }
    run.phase('backup');
    run.entries = new Array(items.length);
    const toRead = await takeUnchanged(repo, run, items, parent, index);
    run.emit();
    const here = await chunkOnWorkers(repo, run, sink, toRead, () => index.knownIds());
    await chunkHere(repo, run, sink, here);
    await storeChunkLists(run, sink);
    await sink.drain();

    run.phase('index');
    await sink.indexDurable(true);

    run.phase('snapshot');
    await options.beforeSnapshot?.();
    const snapshot = manifest(run, sources, meta, parent);
    if (!dryRun) await writeSnapshot(repo.dir, snapshot, repo.key);
    run.progress.currentPath = undefined;
    run.phase('done');
    return { snapshot, summary: run.summary, dryRun, warnings: run.warnings, packs: [...sink.indexed], ...(run.workers ? { workers: run.workers } : {}) };
  } catch (e) {
    await sink?.settle();
    if (e instanceof OpsError) throw e;
    throw writeError(e, repo.dir);
  } finally {
    held?.release();
  }
}

/** The index; a damaged one stops a real backup (it would make us rewrite data silently). */
async function loadIndex(repo: RepoHandle, dryRun: boolean): Promise<MasterIndex> {
  const index = await repo.loadIndex();
  if (index.unreadable.size && !dryRun) {
    // a damaged index must not make us think data is missing and rewrite it silently: it would
    // work, but the damage deserves attention first
    const [name, why] = [...index.unreadable][0]!;
    throw new OpsError('BACKUP_REPO_INVALID', `index file ${name.slice(0, 12)} cannot be read: ${why}`, 'run `opsdeck backups verify`, then `opsdeck backups prune` to rebuild the index');
  }
  return index;
}

/**
 * The parent snapshot, whose unchanged files are taken without reading: the newest of the stack by
 * default. Its list-named files are left without `chunks`: takeUnchanged looks their ids up as the
 * lists' bytes.
 */
async function parentSnapshot(repo: RepoHandle, meta: SnapshotMeta, options: BackupOptions): Promise<Snapshot | undefined> {
  if (options.parent === false) return undefined;
  const { snapshots } = await repo.loadSnapshots({ chunks: false });
  return options.parent === undefined || options.parent === 'latest'
    ? snapshots.filter((s) => s.stack === meta.stack).at(-1)
    : snapshots.find((s) => s.id === options.parent || s.id.startsWith(options.parent as string));
}

/**
 * How many chunks the parent's entry `prev` names, when all of them (and its lists) are indexed;
 * undefined when one is not (the file is then read again). The ids of
 * list-named files are looked up as the lists' bytes: no hex string per chunk (~40 000 for the
 * bench stack's database).
 */
async function indexedChunks(lists: ChunkListReader, prev: SnapshotEntry, index: MasterIndex): Promise<number | undefined> {
  if (prev.chunks) return prev.chunks.every((c) => index.has(c)) && (prev.chunkLists ?? []).every((c) => index.has(c)) ? prev.chunks.length : undefined;
  if (!prev.chunkLists?.every((c) => index.has(c))) return undefined;
  // a list that cannot be read fails the backup, as the parent's manifest did when it was read
  // with its chunks: the file's chunks would be found in the index, and the new snapshot would
  // name the same damaged list
  const read = await Promise.all(prev.chunkLists.map((id) => lists.bytes(id))).catch((e: unknown) => {
    throw new Error(listUnreadable((e as Error).message));
  });
  let n = 0;
  for (const list of read) {
    for (let o = 0; o < list.length; o += 32) if (!index.hasBytes(list, o)) return undefined;
    n += list.length / 32;
  }
  return n;
}

/**
 * Folders, symlinks and unchanged files become entries at once; returns the files that must be
 * read. An unchanged list-named file keeps its parent's lists (and gets no `chunks`: the manifest
 * stores the lists only).
 */
async function takeUnchanged(repo: RepoHandle, run: BackupRun, items: Item[], parent: Snapshot | undefined, index: MasterIndex): Promise<ToRead[]> {
  const { summary, progress } = run;
  const parentEntries = new Map<string, SnapshotEntry>();
  for (const e of parent?.entries ?? []) parentEntries.set(`${e.service}\0${e.path}`, e);
  const toRead: ToRead[] = [];
  const lists = repo.chunkLists();
  try {
    for (const [i, it] of items.entries()) {
      const base = { path: it.path, service: it.service, type: it.type, mode: it.mode, mtime: it.mtime };
      if (it.type === 'dir') {
        summary.dirs++;
        run.entries[i] = { ...base, size: 0 };
        continue;
      }
      if (it.type === 'symlink') {
        summary.symlinks++;
        run.entries[i] = { ...base, size: 0, linkTarget: it.linkTarget! };
        continue;
      }
      const prev = parentEntries.get(`${it.service}\0${it.path}`);
      const same = !it.stream && prev?.type === 'file' && prev.size === it.size && prev.mtime === it.mtime;
      const chunks = same ? await indexedChunks(lists, prev, index) : undefined;
      if (prev && chunks !== undefined) {
        summary.filesUnchanged++;
        summary.bytesTotal += it.size;
        summary.chunksTotal += chunks;
        const named = prev.chunkLists ? { chunkLists: prev.chunkLists } : { chunks: prev.chunks! };
        run.entries[i] = { ...base, size: prev.size, ...(prev.sha256 ? { sha256: prev.sha256 } : {}), ...named };
        progress.filesDone++;
        progress.bytesDone += it.size;
        continue;
      }
      toRead.push({ i, it, ...(prev ? { prev } : {}) });
    }
  } finally {
    await lists.close();
  }
  return toRead;
}

/**
 * Files of many chunks name them through list blobs (chunk-lists.ts): the lists the repository
 * does not have yet are stored like chunks (an unchanged file keeps its parent's lists, stored
 * nothing new), so the manifest stays small and an unchanged database costs no new bytes.
 */
async function storeChunkLists(run: BackupRun, sink: BackupPacks): Promise<void> {
  for (const e of run.entries) {
    if (!e || e.chunkLists || !usesLists(e)) continue;
    const blobs = chunkListBlobs(e.chunks!);
    for (const b of blobs) if (!sink.has(b.id)) await sink.store(b.id, b.data);
    e.chunkLists = blobs.map((b) => b.id);
  }
}

/** The snapshot manifest of the run, its id the hash of its content. */
function manifest(run: BackupRun, sources: BackupSource[], meta: SnapshotMeta, parent: Snapshot | undefined): Snapshot {
  const time = meta.time === undefined ? new Date() : new Date(meta.time);
  run.summary.durationMs = Math.round(performance.now() - run.t0);
  const services = meta.services ?? [...new Set(sources.map((s) => s.service))];
  const entries = run.entries.filter((e): e is SnapshotEntry => e !== undefined);
  const body: Omit<Snapshot, 'id'> = {
    format: 'opsdeck-snapshot',
    version: manifestVersion(entries),
    time: time.toISOString(),
    stack: meta.stack,
    profile: meta.profile,
    services: [...services].sort(),
    sources: sources.map((s) => ({ service: s.service, ...(s.root ? { root: s.root } : {}) })),
    configHash: meta.configHash,
    ...(meta.gitCommit ? { gitCommit: meta.gitCommit } : {}),
    opsdeckVersion: meta.opsdeckVersion,
    tags: [...new Set(meta.tags ?? [])].sort(),
    hostname: meta.hostname ?? os.hostname(),
    ...(parent ? { parent: parent.id } : {}),
    ...(meta.extra ? { extra: meta.extra } : {}),
    entries,
    summary: run.summary,
  };
  const { format, version, ...rest } = body;
  return { format, version, id: snapshotId(body), ...rest };
}
