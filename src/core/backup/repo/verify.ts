/**
 * Verify, in the spirit of restic's checker. Structure (always): the index files and every
 * manifest can be read; every chunk a snapshot references is indexed; every indexed pack exists,
 * has the size the index says and a trailer that agrees with the index; packs nobody indexes and
 * leftovers in tmp/ are reported as warnings (a killed run leaves them; prune removes them).
 * Data (readData): the selected packs are read whole, every blob is decoded (decrypted,
 * decompressed) and its SHA-256 compared with its id; the whole file's SHA-256 is compared with
 * the one the index records (so every byte of the pack is checked), and the header's padding
 * must be zero and the blobs must fill the pack between header and trailer exactly (which also
 * covers packs of older repositories, whose index records no hash). Each damaged chunk is
 * traced to exactly the snapshots and files that use it.
 */
import { createHash, hash, randomInt } from 'node:crypto';
import fs from 'node:fs/promises';
import { join } from 'node:path';
import { OpsError } from '../../errors';
import { BlobDecodeError, decodeBlob } from './blob';
import { BlobReader } from './blob-reader';
import { blobsOf, listUnreadable, readListBlob } from './chunk-lists';
import { listDir, TMP_DIR } from './fsutil';
import type { DamagedChunk, Snapshot, VerifyOptions, VerifyProblem, VerifyReport } from './model';
import type { IndexedPack, MasterIndex } from './index-store';
import { HEADER_LEN, packFrameProblems, packPath, packsOnDisk, readPackFrame, readPackTable, readWholePack, trailerBlobs, type PackBlob } from './pack';
import type { ChunkListReader, RepoHandle } from './handle';
import { defaultThreads, RepoWorkers, WORKER_MIN_BYTES, type PackCheck } from './worker';
import { progressGate } from './progress-gate';

/** Which packs a `--read-data-subset` selects: `N/T` (by pack id) or `P%` (random). */
export function selectSubset<T extends { id: string }>(packs: T[], subset: string): T[] {
  const m = /^(\d+)\/(\d+)$/.exec(subset.trim());
  if (m) {
    const n = Number(m[1]);
    const t = Number(m[2]);
    if (!(t >= 1 && n >= 1 && n <= t)) throw badSubset(subset);
    return packs.filter((p) => parseInt(p.id.slice(0, 8), 16) % t === n - 1);
  }
  const pm = /^(\d+(?:\.\d+)?)%$/.exec(subset.trim());
  if (pm) {
    const pct = Number(pm[1]);
    if (!(pct > 0 && pct <= 100)) throw badSubset(subset);
    const want = Math.ceil((packs.length * pct) / 100);
    const pool = [...packs];
    for (let i = pool.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    return pool.slice(0, want);
  }
  throw badSubset(subset);
}

function badSubset(s: string): OpsError {
  return new OpsError('BAD_REQUEST', `invalid read-data subset ${JSON.stringify(s)}`, 'use N/T (e.g. 2/7: the second of seven groups of packs) or P% (e.g. 10%)');
}

/** What verify found so far: the problems, and the damaged chunks (traced to snapshots at the end). */
class Findings {
  readonly problems: VerifyProblem[] = [];
  /** `damaged` is shared with another Findings (the data check's, beside the structure check). */
  constructor(readonly damaged = new Map<string, DamagedChunk>()) {}

  markDamaged(chunk: string, reason: 'missing' | 'corrupt', pack?: string): void {
    const d = this.damaged.get(chunk);
    if (d) {
      if (reason === 'corrupt') d.reason = 'corrupt';
      return;
    }
    this.damaged.set(chunk, { chunk, reason, ...(pack ? { pack } : {}), snapshots: [], files: [] });
  }
}

type Emit = (phase: 'structure' | 'data' | 'done', packsTotal: number, packsDone: number, bytesTotal: number, bytesDone: number) => void;

export async function runVerify(repo: RepoHandle, options: VerifyOptions): Promise<VerifyReport> {
  const t0 = performance.now();
  const found = new Findings();
  // one report per pack at most every progressIntervalMs (an API client gets each as an event);
  // a phase's first and last always
  const due = progressGate(options.progressIntervalMs);
  let lastPhase = '';
  const emit: Emit = (phase, packsTotal, packsDone, bytesTotal, bytesDone) => {
    if (!options.onProgress) return;
    const now = performance.now();
    if (!due(now, phase !== lastPhase || packsDone >= packsTotal)) return;
    lastPhase = phase;
    options.onProgress({ phase, packsTotal, packsDone, bytesTotal, bytesDone, elapsedMs: Math.round(now - t0) });
  };
  const subset = typeof options.readData === 'object' ? options.readData.subset : undefined;
  const readData = !!options.readData;

  // ---- structure; the data read (worker threads) starts as soon as the packs on disk are known
  // and runs beside the rest of it (manifests, trailers, references) on this thread. Its problems
  // are listed after the structure's, as when one came after the other.
  const index = await repo.loadIndex();
  emit('structure', index.packs.size, 0, 0, 0);
  for (const [name, why] of index.unreadable) found.problems.push({ kind: 'index-unreadable', severity: 'error', message: `index file ${name.slice(0, 12)} cannot be read: ${why}` });
  const packsFound = new Findings(found.damaged);
  const usable = await checkPackFiles(repo, index, packsFound);
  const dataFound = new Findings(found.damaged);
  const data = readData ? checkData(repo, subset ? selectSubset(usable, subset) : usable, options, dataFound, emit) : Promise.resolve({ packsRead: 0, bytesRead: 0 });
  data.catch(() => undefined); // awaited below, after the structure check (which may throw first)
  // the listed chunks are looked up as the lists' bytes (readListedChunks): every snapshot's, or
  // after a backup its own snapshot's (the other snapshots' lists only), as that backup left the
  // lists cached
  const loaded = await repo.loadSnapshots({ chunks: false });
  const { unreadable } = loaded;
  const lists = options.snapshot ? repo.chunkLists() : uncachedLists(repo, index);
  const listed = await readListedChunks(lists, index, options.snapshot ? loaded.snapshots.filter((s) => s.id === options.snapshot) : loaded.snapshots, unreadable);
  const snapshots = loaded.snapshots.filter((s) => !unreadable.has(s.id));
  for (const [id, why] of unreadable) found.problems.push({ kind: 'snapshot-unreadable', severity: 'error', message: `snapshot ${id.slice(0, 12)} cannot be read: ${why}`, snapshot: id });
  found.problems.push(...packsFound.problems);
  const only = options.packs && new Set(options.packs);
  const trailers = only ? usable.filter((p) => only.has(p.id)) : usable;
  await checkTrailers(repo, trailers, found, readData ? () => undefined : emit);
  checkReferences(snapshots, index, found, listed);

  // ---- data
  const read = await data;
  found.problems.push(...dataFound.problems);

  // ---- who is affected (the chunks of list-named files are read for it only when something is damaged)
  if (found.damaged.size) for (const s of snapshots) await repo.withChunks(s).catch(() => undefined);
  const affected = traceDamage(snapshots, found.damaged);
  const errors = found.problems.filter((p) => p.severity === 'error').length;
  // the packs checked (read whole with readData, else by their trailers) and the bytes read
  const packsChecked = readData ? read.packsRead : trailers.length;
  emit('done', packsChecked, packsChecked, read.bytesRead, read.bytesRead);
  return {
    ok: errors === 0,
    snapshots: snapshots.length + unreadable.size,
    packs: index.packs.size,
    blobs: index.blobCount,
    readData,
    ...(subset ? { subset } : {}),
    ...read,
    problems: found.problems,
    damaged: [...found.damaged.values()],
    affected,
    durationMs: Math.round(performance.now() - t0),
  };
}

/**
 * The pack files against the index: missing packs (their chunks damaged), wrong sizes, packs no
 * index names and leftovers in tmp/ (warnings). Returns the indexed packs that are there.
 */
async function checkPackFiles(repo: RepoHandle, index: MasterIndex, found: Findings): Promise<IndexedPack[]> {
  const { problems } = found;
  const onDisk = await packsOnDisk(repo.dir);
  const usable: IndexedPack[] = [];
  for (const p of index.packs.values()) {
    const size = onDisk.get(p.id);
    if (size === undefined) {
      problems.push({ kind: 'pack-missing', severity: 'error', message: `pack ${p.id.slice(0, 12)} is in the index but missing`, pack: p.id });
      for (const b of p.blobs) found.markDamaged(b.id, 'missing', p.id);
      continue;
    }
    if (size !== p.size) {
      problems.push({ kind: 'pack-size', severity: 'error', message: `pack ${p.id.slice(0, 12)} is ${size} bytes, the index says ${p.size}`, pack: p.id });
    }
    usable.push(p);
  }
  for (const [id] of onDisk) {
    if (!index.packs.has(id)) {
      problems.push({ kind: 'pack-unindexed', severity: 'warning', message: `pack ${id.slice(0, 12)} is not referenced by the index (left by an interrupted run; prune removes it)`, pack: id });
    }
  }
  for (const name of await listDir(join(repo.dir, TMP_DIR))) {
    problems.push({ kind: 'temp-leftover', severity: 'warning', message: `tmp/${name} is left from an interrupted run (prune removes it)` });
  }
  return usable;
}

/** Each pack's trailer against the index. */
async function checkTrailers(repo: RepoHandle, usable: IndexedPack[], found: Findings, emit: Emit): Promise<void> {
  let done = 0;
  for (const p of usable) {
    try {
      const fh = await fs.open(packPath(repo.dir, p.id), 'r');
      try {
        const size = (await fh.stat()).size;
        // as bytes first (no object per blob); a difference is looked at blob by blob
        const table = await readPackTable(fh, size, repo.key);
        const mismatch = p.matchesTrailer(table.plain, table.dataEnd) ? undefined : compareTrailer(p.blobs, trailerBlobs(table.plain, table.dataEnd));
        if (mismatch) found.problems.push({ kind: 'pack-header', severity: 'error', message: `pack ${p.id.slice(0, 12)}: ${mismatch}`, pack: p.id });
      } finally {
        await fh.close();
      }
    } catch (e) {
      found.problems.push({ kind: 'pack-header', severity: 'error', message: `pack ${p.id.slice(0, 12)}: trailer unreadable (${(e as Error).message})`, pack: p.id });
    }
    emit('structure', usable.length, ++done, 0, 0);
  }
}

/**
 * The chunks of every list blob the snapshots name (chunk-lists.ts), each list read once and its
 * ids looked up in the index as bytes: no hex string and no array per chunk (a verify of 1 GiB
 * held ~7 MiB of them). Returns, per list, the ids the index lacks (usually none), for
 * checkReferences to report in its order. A list that cannot be read makes its snapshot
 * unreadable (in `unreadable`), as reading the manifest with its chunks did.
 */
async function readListedChunks(lists: ChunkListReader, index: MasterIndex, snapshots: readonly Snapshot[], unreadable: Map<string, string>): Promise<Map<string, string[]>> {
  const missing = new Map<string, string[]>();
  const failed = new Map<string, string>();
  /** Read list `id` once (its lacking ids into `missing`); why it cannot be read, if it cannot. */
  const readList = async (id: string): Promise<string | undefined> => {
    if (!missing.has(id) && !failed.has(id)) {
      try {
        const bytes = await lists.bytes(id);
        const lacking: string[] = [];
        for (let o = 0; o < bytes.length; o += 32) if (!index.hasBytes(bytes, o)) lacking.push(bytes.toString('hex', o, o + 32));
        missing.set(id, lacking);
      } catch (err) {
        failed.set(id, (err as Error).message);
      }
    }
    return failed.get(id);
  };
  /** Why a list of snapshot `s` cannot be read: the first that cannot, or none. */
  const unreadableList = async (s: Snapshot): Promise<string | undefined> => {
    for (const e of s.entries) {
      if (e.type !== 'file' || !e.chunkLists || e.chunks) continue;
      for (const id of e.chunkLists) {
        const why = await readList(id);
        if (why !== undefined) return why;
      }
    }
    return undefined;
  };
  try {
    for (const s of snapshots) {
      const why = await unreadableList(s);
      if (why !== undefined) unreadable.set(s.id, listUnreadable(why));
    }
  } finally {
    await lists.close();
  }
  return missing;
}

/** Chunk lists read from the packs, not through the repository's cache (a whole repository's lists are read once each). */
function uncachedLists(repo: RepoHandle, index: MasterIndex): ChunkListReader {
  const reader = new BlobReader(repo.dir, index, repo.key);
  return { bytes: (id) => readListBlob(reader, id), close: () => reader.close() };
}

/**
 * Every chunk a snapshot references must be indexed: its list blobs and inline chunks, and the
 * chunks of its lists (`listed`: those the index lacks, from readListedChunks; or, after a
 * backup, its own snapshot's chunks as loaded).
 */
function checkReferences(snapshots: Snapshot[], index: MasterIndex, found: Findings, listed?: Map<string, string[]>): void {
  // The chunks of the same lists are looked up once: snapshots share most of their files
  // unchanged. A missing chunk is reported for the first snapshot that uses it (it is then in
  // found.damaged). No set of the ids already looked up: the index's lookup costs what a Set's
  // does, and filling one with every id (~40 000 for 1 GiB) cost more than it saved.
  const sameLists = new Set<string>();
  const check = (c: string, s: Snapshot) => {
    if (index.has(c) || found.damaged.has(c)) return;
    found.problems.push({ kind: 'blob-missing', severity: 'error', message: `chunk ${c.slice(0, 12)} used by snapshot ${s.id.slice(0, 12)} is not in the index`, chunk: c, snapshot: s.id });
    found.markDamaged(c, 'missing');
  };
  for (const s of snapshots) {
    for (const e of s.entries) {
      if (e.type !== 'file') continue;
      if (e.chunkLists) {
        for (const c of e.chunkLists) check(c, s);
        const key = e.chunkLists.join('');
        if (sameLists.has(key)) continue;
        sameLists.add(key);
        if (listed) for (const l of e.chunkLists) for (const c of listed.get(l) ?? []) check(c, s);
      }
      for (const c of e.chunks ?? []) check(c, s);
    }
  }
}

/** Read the chosen packs whole (on worker threads when there is enough): framing, every blob, the file's hash. */
async function checkData(repo: RepoHandle, chosen: IndexedPack[], options: VerifyOptions, found: Findings, emit: Emit): Promise<{ packsRead: number; bytesRead: number }> {
  const { problems } = found;
  let packsRead = 0;
  let bytesRead = 0;
  const bytesTotal = chosen.reduce((n, p) => n + p.size, 0);
  emit('data', chosen.length, 0, bytesTotal, 0);
  const threads = options.threads ?? defaultThreads();
  const pool = threads > 0 && chosen.length > 0 && (options.threads !== undefined || bytesTotal >= WORKER_MIN_BYTES) ? RepoWorkers.tryStart({ threads, ...(repo.key ? { key: repo.key } : {}) }) : undefined;
  let next = 0;
  const loop = async () => {
    while (next < chosen.length) {
      if (options.signal?.aborted) throw new OpsError('BACKUP_ABORTED', 'verify cancelled', 'run it again');
      const p = chosen[next++]!;
      const frame = await checkPackFrame(repo, p);
      for (const why of frame.problems) problems.push({ kind: 'pack-header', severity: 'error', message: `pack ${p.id.slice(0, 12)}: ${why}`, pack: p.id });
      const checked = pool ? await checkPackOnWorker(pool, repo, p, frame.blobs) : await checkPackData(repo, p, frame.blobs);
      for (const f of checked.bad) {
        problems.push({ kind: 'blob-corrupt', severity: 'error', message: `chunk ${f.id.slice(0, 12)} in pack ${p.id.slice(0, 12)} is damaged: ${f.why}`, chunk: f.id, pack: p.id });
        if (p.blobs.some((b) => b.id === f.id)) found.markDamaged(f.id, 'corrupt', p.id);
      }
      if (p.sha256 && checked.sha256 && checked.sha256 !== p.sha256) {
        problems.push({
          kind: 'pack-content', severity: 'error', pack: p.id,
          message: `pack ${p.id.slice(0, 12)}: its content does not match the SHA-256 the index records (${checked.sha256.slice(0, 12)}, expected ${p.sha256.slice(0, 12)}): some byte of it is damaged${checked.bad.length ? '' : ', though every blob in it still decodes'}`,
        });
      }
      packsRead++;
      bytesRead += p.size;
      emit('data', chosen.length, packsRead, bytesTotal, bytesRead);
    }
  };
  try {
    await Promise.all(Array.from({ length: pool ? threads * 2 : 2 }, loop));
  } finally {
    await pool?.close();
  }
  return { packsRead, bytesRead };
}

const sameBlob = (a: PackBlob, b: PackBlob) => a.id === b.id && a.offset === b.offset && a.length === b.length && a.rawLength === b.rawLength;

function compareTrailer(indexed: PackBlob[], trailer: PackBlob[]): string | undefined {
  // the index lists a pack's blobs as its trailer does, in the same order: checked one by one
  // without a string per blob; any difference is looked at blob by blob
  if (listedFirst(indexed, trailer)) return undefined;
  const key = (b: PackBlob) => `${b.id}:${b.offset}:${b.length}:${b.rawLength}`;
  const t = new Set(trailer.map(key));
  const missing = indexed.filter((b) => !t.has(key(b)));
  if (missing.length) return `${missing.length === 1 ? '1 blob of the index is' : `${missing.length} blobs of the index are`} not in the pack's trailer (first ${missing[0]!.id.slice(0, 12)})`;
  return undefined;
}

/**
 * The framing of a pack (header padding, blobs back to back) and the blobs its trailer lists
 * beyond the index's (they are decoded too, so no byte is left unchecked). An unreadable trailer
 * is the structure check's to report; here the padding is still checked.
 */
async function checkPackFrame(repo: RepoHandle, p: IndexedPack): Promise<{ problems: string[]; blobs: PackBlob[] }> {
  let fh: fs.FileHandle | undefined;
  const indexed = p.blobs;
  try {
    fh = await fs.open(packPath(repo.dir, p.id), 'r');
    const size = (await fh.stat()).size;
    let frame: { head: Buffer; blobs: PackBlob[]; dataEnd: number };
    try {
      frame = await readPackFrame(fh, size, repo.key);
    } catch {
      const head = Buffer.alloc(HEADER_LEN);
      const { bytesRead } = await fh.read(head, 0, HEADER_LEN, 0);
      return { problems: bytesRead === HEADER_LEN ? packFrameProblems(head, [], HEADER_LEN) : [], blobs: indexed };
    }
    const extra = extraBlobs(indexed, frame.blobs);
    return { problems: packFrameProblems(frame.head, frame.blobs, frame.dataEnd), blobs: extra.length ? [...indexed, ...extra] : indexed };
  } catch {
    return { problems: [], blobs: indexed }; // cannot be opened: the data check says so
  } finally {
    await fh?.close();
  }
}

/** Does the trailer list the index's blobs first, in the same order (the usual case)? */
function listedFirst(indexed: PackBlob[], trailer: PackBlob[]): boolean {
  return indexed.length <= trailer.length && indexed.every((b, i) => sameBlob(b, trailer[i]!));
}

/** The blobs of a pack's trailer the index does not list (usually none: the index lists them in the same order). */
function extraBlobs(indexed: PackBlob[], trailer: PackBlob[]): PackBlob[] {
  if (listedFirst(indexed, trailer)) return trailer.slice(indexed.length);
  const known = new Set(indexed.map((b) => `${b.id}:${b.offset}`));
  return trailer.filter((b) => !known.has(`${b.id}:${b.offset}`));
}

async function checkPackOnWorker(pool: RepoWorkers, repo: RepoHandle, p: IndexedPack, blobs: PackBlob[]): Promise<PackCheck | { bad: PackCheck['bad']; sha256?: undefined }> {
  const path = packPath(repo.dir, p.id);
  try {
    return await pool.checkPack(path, blobs);
  } catch (e) {
    return { bad: blobs.map((b) => ({ id: b.id, why: `pack unreadable: ${(e as Error).message}` })) };
  }
}

/** Hash the pack, decode and hash every blob in it; the damaged ones with the reason. */
async function checkPackData(repo: RepoHandle, p: IndexedPack, blobs: PackBlob[]): Promise<PackCheck | { bad: PackCheck['bad']; sha256?: undefined }> {
  let data: Buffer;
  try {
    data = (await readWholePack(packPath(repo.dir, p.id), repo.key).catch(async (e) => {
      // a damaged trailer: still check the blobs where the index says they are
      if ((e as NodeJS.ErrnoException).code) throw e;
      return { data: await fs.readFile(packPath(repo.dir, p.id)), blobs: [] };
    })).data;
  } catch (e) {
    return { bad: blobs.map((b) => ({ id: b.id, why: `pack unreadable: ${(e as Error).message}` })) };
  }
  const results = await Promise.all(
    blobs.map(async (b) => {
      if (b.offset + b.length > data.length) return { id: b.id, why: 'beyond the end of the pack' };
      try {
        const plain = await decodeBlob(data.subarray(b.offset, b.offset + b.length), repo.key, b.rawLength);
        if (plain.length !== b.rawLength) return { id: b.id, why: `decoded to ${plain.length} bytes, expected ${b.rawLength}` };
        if (hash('sha256', plain) !== b.id) return { id: b.id, why: 'content does not match its SHA-256' };
        return undefined;
      } catch (e) {
        return { id: b.id, why: e instanceof BlobDecodeError ? e.message : String(e) };
      }
    }),
  );
  return { bad: results.filter((r): r is { id: string; why: string } => !!r), sha256: createHash('sha256').update(data).digest('hex') };
}

function traceDamage(snapshots: Snapshot[], damaged: Map<string, DamagedChunk>): VerifyReport['affected'] {
  if (damaged.size === 0) return [];
  const affected: VerifyReport['affected'] = [];
  for (const s of snapshots) {
    const files: { service: string; path: string }[] = [];
    for (const e of s.entries) {
      if (e.type !== 'file') continue;
      let hit = false;
      for (const c of blobsOf(e)) {
        const d = damaged.get(c);
        if (!d) continue;
        hit = true;
        if (!d.snapshots.includes(s.id)) d.snapshots.push(s.id);
        if (!d.files.some((f) => f.snapshot === s.id && f.service === e.service && f.path === e.path)) d.files.push({ snapshot: s.id, service: e.service, path: e.path });
      }
      if (hit) files.push({ service: e.service, path: e.path });
    }
    if (files.length) affected.push({ snapshot: s.id, time: s.time, files });
  }
  return affected;
}
