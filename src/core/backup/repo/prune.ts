/**
 * Prune: remove data no snapshot references. Crash-safe order:
 *
 *   1. plan: which chunks snapshots use; per pack, used and unused blobs. Packs on disk that no
 *      index lists (a killed backup's, or an unreadable index file's) are read from their
 *      trailers, so their blobs count too: prune also repairs a lost index.
 *   2. repack: used blobs of partly used packs are copied (hash-checked) into new packs, durable.
 *   3. one new index file listing every pack that stays, durable.
 *   4. delete every other index file, then
 *   5. delete the packs nobody needs any more, then leftovers in tmp/.
 *
 * Killed after 2: new packs are unindexed, the old index and packs still hold everything.
 * Killed after 3: old and new index both describe existing packs. Killed during 4 or 5: the new
 * index is complete, and only unindexed packs are being removed. No step deletes a file before
 * what replaces it is durable, so a crash never loses data a snapshot references.
 */
import { hash } from 'node:crypto';
import fs from 'node:fs/promises';
import { join } from 'node:path';
import { OpsError } from '../../errors';
import { decodeBlob } from './blob';
import { BlobReader } from './blob-reader';
import { blobsOf } from './chunk-lists';
import { fsyncDir, listDir, removeFile, TMP_DIR } from './fsutil';
import type { PruneOptions, PruneReport } from './model';
import { MasterIndex, writeIndexFile } from './index-store';
import { packPath, packsOnDisk, PackWriter, readPackTrailer, type PackBlob, type PackInfo } from './pack';
import type { RepoHandle } from './handle';

const HEX64 = /^[0-9a-f]{64}$/;

type Progress = (phase: 'plan' | 'repack' | 'index' | 'delete' | 'done', packsDone: number, packsTotal: number, bytesDone: number) => void;

/** What prune will do with each pack. */
interface PrunePlan {
  keep: PackInfo[];
  repack: { pack: PackInfo; blobs: PackBlob[] }[];
  remove: string[];
  blobsRemoved: number;
}

export async function runPrune(repo: RepoHandle, options: PruneOptions): Promise<PruneReport> {
  const t0 = performance.now();
  const dryRun = !!options.dryRun;
  const progress: Progress = (phase, packsDone, packsTotal, bytesDone) => options.onProgress?.({ phase, packsDone, packsTotal, bytesDone });
  const checkAbort = () => {
    if (options.signal?.aborted) throw new OpsError('BACKUP_ABORTED', 'prune cancelled', 'nothing referenced was deleted; run it again');
  };
  const held = dryRun ? undefined : repo.lock('prune');
  try {
    // 1. plan: what is used, where it is, which packs to keep, repack and delete
    progress('plan', 0, 0, 0);
    const used = await usedChunks(repo);
    const index = await repo.loadIndex();
    const onDisk = await packsOnDisk(repo.dir);
    const { candidates, junk } = await readablePacks(repo, index, onDisk);
    const plan = planPacks(candidates, chooseCopies(used, index, candidates), index, junk, options.maxUnusedFraction ?? 0);
    const { keep, repack, remove } = plan;
    const bytesBefore = [...onDisk.values()].reduce((n, s) => n + s, 0);
    const report: PruneReport = {
      dryRun,
      packsBefore: onDisk.size,
      packsAfter: 0,
      packsDeleted: remove.length,
      packsRepacked: repack.length,
      packsWritten: 0,
      blobsRemoved: plan.blobsRemoved,
      blobsRepacked: repack.reduce((n, r) => n + r.blobs.length, 0),
      bytesBefore,
      bytesAfter: 0,
      bytesFreed: 0,
      durationMs: 0,
    };
    const oldIndexFiles = (await listDir(join(repo.dir, 'index'))).filter((n) => HEX64.test(n));
    const nothingToDo = remove.length === 0 && repack.length === 0 && oldIndexFiles.length <= 1 && index.unreadable.size === 0;
    if (dryRun || nothingToDo) {
      const repackedLive = repack.reduce((n, r) => n + r.blobs.reduce((m, b) => m + b.length, 0), 0);
      const removedBytes = remove.reduce((n, id) => n + (onDisk.get(id) ?? 0), 0) + repack.reduce((n, r) => n + r.pack.size, 0);
      report.bytesAfter = bytesBefore - removedBytes + repackedLive;
      report.bytesFreed = bytesBefore - report.bytesAfter;
      report.packsAfter = keep.length + (repack.length ? Math.max(1, Math.ceil(repackedLive / repo.config.packSize)) : 0);
      report.durationMs = Math.round(performance.now() - t0);
      progress('done', 0, 0, 0);
      if (!dryRun) await cleanTmp(repo.dir);
      return report;
    }

    // 2. repack (hash-checked copies of the used blobs)
    const written = await repackBlobs(repo, candidates, repack, checkAbort, progress);
    report.packsWritten = written.length;

    // 3. the new index, complete, durable
    progress('index', 0, 1, 0);
    const newIndex = await writeIndexFile(repo.dir, [...keep, ...written], repo.key);

    // 4. old index files, then 5. packs
    await deleteReplaced(repo, oldIndexFiles.filter((name) => name !== newIndex), [...remove, ...repack.map((r) => r.pack.id)], progress);

    report.packsAfter = keep.length + written.length;
    report.bytesAfter = keep.reduce((n, p) => n + p.size, 0) + written.reduce((n, p) => n + p.size, 0);
    report.bytesFreed = bytesBefore - report.bytesAfter;
    report.durationMs = Math.round(performance.now() - t0);
    progress('done', 0, 0, 0);
    return report;
  } finally {
    held?.release();
  }
}

/** The chunks the snapshots use; an unreadable snapshot stops prune (its data would be deleted). */
async function usedChunks(repo: RepoHandle): Promise<Set<string>> {
  const { snapshots, unreadable } = await repo.loadSnapshots();
  if (unreadable.size) {
    const [id, why] = [...unreadable][0]!;
    throw new OpsError(
      'BACKUP_REPO_INVALID',
      `prune stopped: snapshot ${id.slice(0, 12)} cannot be read (${why}), and pruning would delete its data`,
      `check the key and run \`opsdeck backups verify\`; if the snapshot is beyond repair, delete snapshots/${id} in the repository`,
    );
  }
  const used = new Set<string>();
  for (const s of snapshots) for (const e of s.entries) for (const c of blobsOf(e)) used.add(c);
  return used;
}

/** Every readable pack with its blob table (indexed ones from the index, others from their trailer), and the unreadable unindexed ones. */
async function readablePacks(repo: RepoHandle, index: MasterIndex, onDisk: Map<string, number>): Promise<{ candidates: Map<string, PackInfo>; junk: string[] }> {
  const candidates = new Map<string, PackInfo>();
  const junk: string[] = []; // unindexed packs whose trailer cannot be read
  for (const [id, size] of onDisk) {
    const ip = index.packs.get(id);
    if (ip) {
      candidates.set(id, { id, size, blobs: ip.blobs, ...(ip.sha256 ? { sha256: ip.sha256 } : {}) });
      continue;
    }
    try {
      const fh = await fs.open(packPath(repo.dir, id), 'r');
      try {
        candidates.set(id, { id, size, blobs: await readPackTrailer(fh, size, repo.key) });
      } finally {
        await fh.close();
      }
    } catch {
      junk.push(id);
    }
  }
  return { candidates, junk };
}

/** One copy per used chunk: the indexed one when its pack is there, else any. A used chunk with no copy stops prune. */
function chooseCopies(used: Set<string>, index: MasterIndex, candidates: Map<string, PackInfo>): Map<string, { pack: string; offset: number }> {
  const chosen = new Map<string, { pack: string; offset: number }>();
  for (const c of used) {
    const loc = index.get(c);
    if (loc && candidates.has(loc.pack)) chosen.set(c, { pack: loc.pack, offset: loc.offset });
  }
  for (const p of candidates.values()) {
    for (const b of p.blobs) if (used.has(b.id) && !chosen.has(b.id)) chosen.set(b.id, { pack: p.id, offset: b.offset });
  }
  const missing = [...used].filter((c) => !chosen.has(c));
  if (missing.length) {
    throw new OpsError(
      'BACKUP_DATA_MISSING',
      `prune stopped: ${missing.length} chunk(s) used by snapshots are missing (first ${missing[0]!.slice(0, 12)}); nothing was deleted`,
      'run `opsdeck backups verify` to see the affected snapshots, and forget them before pruning',
    );
  }
  return chosen;
}

/** Keep packs fully used (or little enough unused), delete unused ones, repack the rest. */
function planPacks(candidates: Map<string, PackInfo>, chosen: Map<string, { pack: string; offset: number }>, index: MasterIndex, junk: string[], maxUnused: number): PrunePlan {
  const plan: PrunePlan = { keep: [], repack: [], remove: [...junk], blobsRemoved: 0 };
  for (const p of candidates.values()) {
    const live = p.blobs.filter((b) => {
      const ch = chosen.get(b.id);
      return ch !== undefined && ch.pack === p.id && ch.offset === b.offset;
    });
    const liveBytes = live.reduce((n, b) => n + b.length, 0);
    const allBytes = p.blobs.reduce((n, b) => n + b.length, 0);
    const indexed = index.packs.has(p.id);
    if (live.length === 0) {
      plan.remove.push(p.id);
      plan.blobsRemoved += p.blobs.length;
    } else if (live.length === p.blobs.length && indexed) {
      plan.keep.push(p);
    } else if (allBytes > 0 && (allBytes - liveBytes) / allBytes <= maxUnused && indexed) {
      plan.keep.push(p);
    } else {
      // partly used, or an unindexed pack holding used blobs: copy what is used
      plan.repack.push({ pack: p, blobs: live });
      plan.blobsRemoved += p.blobs.length - live.length;
    }
  }
  return plan;
}

/** Copy the used blobs of the packs to repack into new packs, each checked before it becomes the only copy. */
async function repackBlobs(repo: RepoHandle, candidates: Map<string, PackInfo>, repack: PrunePlan['repack'], checkAbort: () => void, progress: Progress): Promise<PackInfo[]> {
  const scan = new MasterIndex();
  for (const p of candidates.values()) scan.addPack(p, '');
  const reader = new BlobReader(repo.dir, scan, repo.key);
  const writer = new PackWriter(repo.dir, repo.config.packSize, repo.key);
  let done = 0;
  let bytesDone = 0;
  try {
    for (const r of repack) {
      checkAbort();
      for (const b of r.blobs) {
        const loc = { pack: r.pack.id, offset: b.offset, length: b.length, rawLength: b.rawLength };
        const stored = await reader.readStored(b.id, loc);
        // check it before it becomes the only copy
        await checkStored(repo, b.id, stored, b.rawLength, r.pack.id);
        await writer.add(b.id, { parts: [stored], length: stored.length, rawLength: b.rawLength, codec: 'none' });
        bytesDone += stored.length;
      }
      progress('repack', ++done, repack.length, bytesDone);
    }
  } finally {
    await reader.close();
  }
  return writer.finish();
}

/** Delete the index files the new one replaces, then the packs (each folder synced), then tmp/ leftovers. */
async function deleteReplaced(repo: RepoHandle, oldIndexFiles: string[], packs: string[], progress: Progress): Promise<void> {
  progress('delete', 0, packs.length, 0);
  for (const name of oldIndexFiles) await removeFile(join(repo.dir, 'index', name));
  await fsyncDir(join(repo.dir, 'index'));
  const dirs = new Set<string>();
  let deleted = 0;
  for (const id of packs) {
    await removeFile(packPath(repo.dir, id));
    dirs.add(join(repo.dir, 'data', id.slice(0, 2)));
    progress('delete', ++deleted, packs.length, 0);
  }
  for (const d of dirs) await fsyncDir(d);
  await cleanTmp(repo.dir);
}

async function checkStored(repo: RepoHandle, id: string, stored: Buffer, rawLength: number, pack: string): Promise<void> {
  let ok = false;
  try {
    const plain = await decodeBlob(stored, repo.key, rawLength);
    ok = plain.length === rawLength && hash('sha256', plain) === id;
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new OpsError(
      'BACKUP_DATA_CORRUPT',
      `prune stopped: chunk ${id.slice(0, 12)} in pack ${pack.slice(0, 12)} is damaged; nothing was deleted`,
      'run `opsdeck backups verify --read-data` to see the affected snapshots, and forget them before pruning',
    );
  }
}

/** Remove leftovers of interrupted runs from tmp/ (only with the lock held). */
async function cleanTmp(repoDir: string): Promise<void> {
  for (const name of await listDir(join(repoDir, TMP_DIR))) await fs.rm(join(repoDir, TMP_DIR, name), { force: true, recursive: true });
}
