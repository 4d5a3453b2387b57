/**
 * Restore: check the whole manifest first (paths, service names, symlink targets: nothing is
 * written when one entry is unsafe), check every chunk needed is indexed, then create folders,
 * write files (never through a symlink: O_NOFOLLOW, and each parent folder's real path must be
 * inside the restore folder), each chunk hashed against its id before it is written, and create
 * symlinks last. Modes and times are applied once the content is verified; setuid and
 * setgid bits only when asked for (keepSpecialBits), as tar applies them only with -p.
 */
import { createHash } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import fs from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep, isAbsolute } from 'node:path';
import { OpsError } from '../../errors';
import { BlobReader } from './blob-reader';
import type { MasterIndex } from './index-store';
import type { RestoreOptions, RestoreReport, Snapshot, SnapshotEntry } from './model';
import { checkServiceEntries, resolveInside } from './paths';
import type { RepoHandle } from './handle';
import { selectEntries } from './select';
import { packPath } from './pack';
import { restoreChunks, type RestoredFile } from './restore-chunks';
import { defaultThreads, RepoWorkers, WORKER_MIN_BYTES, type WorkerError } from './worker';
import { progressGate } from './progress-gate';

const FILE_CONCURRENCY = 4;
const CHUNKS_AHEAD = 4;
/** setuid and setgid: never restored unless asked for. The sticky bit (0o1000) only restricts, and is kept. */
export const SET_ID_BITS = 0o6000;

/** The mode a restore gives an entry: its permission bits and sticky bit, set-id bits only when kept. */
export const restoredMode = (mode: number, keepSpecialBits = false) => mode & (keepSpecialBits ? 0o7777 : 0o7777 & ~SET_ID_BITS);

function restoreError(message: string, hint = 'the restore is incomplete; fix the cause and restore again'): OpsError {
  return new OpsError('BACKUP_RESTORE_FAILED', message, hint);
}

/** Every entry of the manifest checked (all of it, not only what is selected). */
export function checkManifest(s: Snapshot): void {
  const byService = new Map<string, SnapshotEntry[]>();
  for (const e of s.entries) {
    const l = byService.get(e.service);
    if (l) l.push(e);
    else byService.set(e.service, [e]);
  }
  for (const [service, entries] of byService) checkServiceEntries(service, entries);
}

type Emit = (phase: 'restore' | 'verify' | 'done', force?: boolean, currentPath?: string) => void;

/** The folders a restore writes into: one per service, checked to stay where they should. */
interface Targets {
  dirs: Record<string, string>;
  /** Create a folder of a service's tree; refuses one that resolves outside the service's folder. */
  ensureDir(service: string, dir: string): Promise<void>;
}

/** Restore a snapshot: by id or prefix, or as repo.snapshot() returned it (its chunks filled in), which is not read again. */
export async function runRestore(repo: RepoHandle, snapshotOrId: string | Snapshot, options: RestoreOptions): Promise<RestoreReport> {
  const t0 = performance.now();
  if (!options?.target) throw new OpsError('BAD_REQUEST', 'restore needs a target folder', 'pass --target DIR');
  const snapshot = typeof snapshotOrId === 'string' ? await repo.snapshot(snapshotOrId) : snapshotOrId;
  checkManifest(snapshot); // throws BACKUP_MANIFEST_UNSAFE before anything is written
  const selected = selectEntries(snapshot, options);

  const dirsOf: Record<string, string> = {};
  for (const e of selected) {
    if (dirsOf[e.service]) continue;
    const custom = options.serviceTargets?.[e.service];
    dirsOf[e.service] = resolve(custom ?? join(resolve(options.target), e.service));
  }
  // largest first: the threads end together, and a large database's check (onFileRestored) starts early
  const files = selected.filter((e) => e.type === 'file').sort((a, b) => b.size - a.size);
  // the threads start now: they boot while the index is read and the targets are prepared
  const workers = startWorkers(repo, files, options);
  try {
    return await restoreWith(repo, snapshot, selected, files, dirsOf, workers?.pool, options, t0);
  } finally {
    workers?.unwatch();
    await workers?.pool.close();
  }
}

/** The restore's worker threads, when there is enough to write (or `options.threads` asks for them); a cancel aborts them. */
function startWorkers(repo: RepoHandle, files: SnapshotEntry[], options: RestoreOptions): { pool: RepoWorkers; unwatch(): void } | undefined {
  const threads = options.threads ?? defaultThreads();
  const bytesTotal = files.reduce((n, e) => n + e.size, 0);
  if (!(threads > 0 && files.length > 0 && (options.threads !== undefined || bytesTotal >= WORKER_MIN_BYTES))) return undefined;
  const pool = RepoWorkers.tryStart({ threads, ...(repo.key ? { key: repo.key } : {}) });
  if (!pool) return undefined;
  const onAbort = () => void pool.abort(new OpsError('BACKUP_ABORTED', 'restore cancelled', 'the target folder holds a partial restore; restore again'));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  // unwatch: the restore is over, a cancel has nothing left to abort
  return { pool, unwatch: () => options.signal?.removeEventListener('abort', onAbort) };
}

async function restoreWith(
  repo: RepoHandle,
  snapshot: Snapshot,
  selected: SnapshotEntry[],
  files: SnapshotEntry[],
  dirsOf: Record<string, string>,
  pool: RepoWorkers | undefined,
  options: RestoreOptions,
  t0: number,
): Promise<RestoreReport> {
  const overwrite = options.overwrite ?? true;
  const index = await repo.loadIndex();
  checkDataPresent(snapshot, selected, index); // every chunk must be there before we start writing

  const report: RestoreReport = { snapshot: snapshot.id, files: 0, dirs: 0, symlinks: 0, bytes: 0, verified: 0, durationMs: 0, targets: dirsOf };
  const progress = { filesTotal: files.length, filesDone: 0, bytesTotal: files.reduce((n, e) => n + e.size, 0), bytesDone: 0 };
  const due = progressGate(options.progressIntervalMs);
  const emit: Emit = (phase, force = false, currentPath) => {
    if (!options.onProgress) return;
    const now = performance.now();
    if (!due(now, force)) return;
    options.onProgress({ phase, ...progress, elapsedMs: Math.round(now - t0), ...(currentPath ? { currentPath } : {}) });
  };

  const targets = await prepareTargets(options, dirsOf);
  const reader = new BlobReader(repo.dir, index, repo.key);
  try {
    emit('restore', true);
    // folders first
    const dirs = selected.filter((e) => e.type === 'dir').sort((a, b) => a.path.length - b.path.length);
    report.dirs += await restoreDirs(dirs, targets, overwrite);
    await restoreFiles(repo, reader, pool, files, targets, options, report, progress, emit);
    report.symlinks += await restoreSymlinks(selected.filter((e) => e.type === 'symlink'), targets, overwrite);
    // folder modes and times, deepest first (writing into them changed their mtime)
    for (const d of [...dirs].reverse()) {
      const p = resolveInside(targets.dirs[d.service]!, d.path);
      await fs.chmod(p, restoredMode(d.mode, options.keepSpecialBits));
      await fs.utimes(p, new Date(d.mtime), new Date(d.mtime));
    }
  } catch (e) {
    if (e instanceof OpsError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOSPC') throw restoreError(`no space left on the restore target: ${err.message}`, 'free space on the target disk and restore again');
    throw restoreError(`restore failed: ${err.message}`);
  } finally {
    await reader.close();
  }
  report.durationMs = Math.round(performance.now() - t0);
  emit('done', true);
  return report;
}

/** BACKUP_DATA_MISSING, before anything is written, when a selected file's chunk is not indexed. */
function checkDataPresent(snapshot: Snapshot, selected: SnapshotEntry[], index: MasterIndex): void {
  const missing = selected.filter((e) => e.type === 'file' && (e.chunks ?? []).some((c) => !index.has(c)));
  if (missing.length) {
    throw new OpsError(
      'BACKUP_DATA_MISSING',
      `snapshot ${snapshot.id.slice(0, 12)} cannot be restored: data of ${missing.length === 1 ? '1 file is' : `${missing.length} files are`} missing (${missing
        .slice(0, 5)
        .map((e) => `${e.service}/${e.path}`)
        .join(', ')}${missing.length > 5 ? ', …' : ''})`,
      'run `opsdeck backups verify` for details; restore another snapshot, or leave these files out with --include',
      { files: missing.map((e) => ({ service: e.service, path: e.path })) },
    );
  }
}

/** Create the service folders (real paths: `<target>/<service>` must really be there) and the check for folders inside them. */
async function prepareTargets(options: RestoreOptions, dirs: Record<string, string>): Promise<Targets> {
  const realRoots: Record<string, string> = {};
  const realTarget = await fs.mkdir(resolve(options.target), { recursive: true }).then(() => fs.realpath(resolve(options.target)));
  for (const [service, dir] of Object.entries(dirs)) {
    try {
      await fs.mkdir(dir, { recursive: true });
      realRoots[service] = await fs.realpath(dir);
    } catch (e) {
      throw restoreError(`cannot create the restore folder ${dir}: ${(e as Error).message}`, 'choose a writable target folder');
    }
    // <target>/<service> must really be there, not a symlink leading elsewhere (a folder named
    // in serviceTargets is the caller's choice and is taken as it resolves)
    if (!options.serviceTargets?.[service] && realRoots[service] !== join(realTarget, service)) {
      throw new OpsError(
        'BACKUP_MANIFEST_UNSAFE',
        `refusing to restore into ${dir}: it resolves to ${realRoots[service]}, outside ${realTarget}`,
        'the target folder holds a symlink that leads outside it; restore into an empty folder',
      );
    }
  }
  const checkedDirs = new Map<string, Promise<void>>();
  const ensureDir = (service: string, dir: string): Promise<void> => {
    let p = checkedDirs.get(dir);
    if (!p) {
      p = (async () => {
        await fs.mkdir(dir, { recursive: true });
        const real = await fs.realpath(dir);
        const root = realRoots[service]!;
        const rel = relative(root, real);
        if (rel === '..' || rel.startsWith('..' + sep) || isAbsolute(rel)) {
          throw new OpsError('BACKUP_MANIFEST_UNSAFE', `refusing to restore into ${dir}: it resolves to ${real}, outside ${root}`, 'the target folder holds a symlink that leads outside it; restore into an empty folder');
        }
      })();
      checkedDirs.set(dir, p);
    }
    return p;
  };
  return { dirs, ensureDir };
}

/** Create the folders (shallowest first); returns how many. */
async function restoreDirs(dirs: SnapshotEntry[], targets: Targets, overwrite: boolean): Promise<number> {
  for (const d of dirs) {
    const p = resolveInside(targets.dirs[d.service]!, d.path);
    try {
      const st = await fs.lstat(p).catch(() => undefined);
      if (st && !st.isDirectory()) {
        if (!overwrite) throw restoreError(`${p} exists and is not a folder`, 'restore into an empty folder, or allow overwriting');
        await fs.rm(p, { force: true });
      }
      await targets.ensureDir(d.service, p);
    } catch (e) {
      if (e instanceof OpsError) throw e;
      throw restoreError(`cannot create ${p}: ${(e as Error).message}`);
    }
  }
  return dirs.length;
}

/**
 * Write the files, a few at a time (on worker threads when there is enough), in the order given
 * (largest first): each chunk is decoded and hashed against its id before it is written, so every
 * byte written is proved with one hash, and a damaged chunk is named (BACKUP_DATA_CORRUPT) before
 * anything of it reaches the file. restic does the same by default; until the fourteenth round
 * each file was read back once written and hashed then, which proves nothing more (the bytes read
 * back come from the page cache the write just filled) and cost ~4 % of a restore's time
 * (bench/README.md). (Encrypted blobs are authenticated by AES-GCM on the way too.)
 */
async function restoreFiles(
  repo: RepoHandle,
  reader: BlobReader,
  pool: RepoWorkers | undefined,
  files: SnapshotEntry[],
  targets: Targets,
  options: RestoreOptions,
  report: RestoreReport,
  progress: { filesDone: number; bytesDone: number },
  emit: Emit,
): Promise<void> {
  const overwrite = options.overwrite ?? true;
  const checkAbort = () => {
    if (options.signal?.aborted) throw new OpsError('BACKUP_ABORTED', 'restore cancelled', 'the target folder holds a partial restore; restore again');
  };
  const threads = pool?.threads ?? 0;
  // one path string per pack, not one per chunk (a database has tens of thousands of chunks)
  const packPaths = new Map<string, string>();
  const pathOf = (pack: string): string => {
    let p = packPaths.get(pack);
    if (p === undefined) packPaths.set(pack, (p = packPath(repo.dir, pack)));
    return p;
  };
  const tableOf = (e: SnapshotEntry) =>
    restoreChunks(e.chunks ?? [], (id) => {
      const loc = reader.location(id);
      return { pack: pathOf(loc.pack), offset: loc.offset, length: loc.length, rawLength: loc.rawLength };
    });
  const flags = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_NOFOLLOW | (overwrite ? fsc.O_TRUNC : fsc.O_EXCL);
  let next = 0;
  // the files reach the threads in their order: each waits for the one before it to be handed
  // over (a folder not checked yet, or a long table to build, would let a later file pass it)
  let handedOver = Promise.resolve();
  const loop = async () => {
    while (next < files.length) {
      checkAbort();
      const e = files[next++]!;
      const turn = handedOver;
      let handOver!: () => void;
      handedOver = new Promise<void>((r) => (handOver = r));
      const onBytes = (n: number) => {
        progress.bytesDone += n;
        emit('restore', false, `${e.service}/${e.path}`);
      };
      let dest: string;
      let job: Promise<RestoredFile>;
      try {
        dest = resolveInside(targets.dirs[e.service]!, e.path);
        await targets.ensureDir(e.service, dirname(dest));
        await turn;
        // on a thread: handed over now, or queued in this order until one is free
        job = pool ? pool.restoreFile(dest, flags, tableOf(e), e.sha256, onBytes) : writeFile(reader, e, dest, flags, onBytes);
      } finally {
        handOver();
      }
      let got: RestoredFile;
      try {
        got = await job;
      } catch (err) {
        throw pool ? workerRestoreError(e, dest, err as WorkerError) : err;
      }
      if (!matches(e, got)) throw mismatch(e, got);
      report.verified++;
      await fs.chmod(dest, restoredMode(e.mode, options.keepSpecialBits));
      await fs.utimes(dest, new Date(e.mtime), new Date(e.mtime));
      report.files++;
      report.bytes += e.size;
      progress.filesDone++;
      options.onFileRestored?.(e, dest);
      emit('restore');
    }
  };
  await Promise.all(Array.from({ length: Math.min(pool ? threads * 2 : FILE_CONCURRENCY, files.length) }, loop));
}

/** Create the symlinks, last, so nothing is ever written through one; returns how many. */
async function restoreSymlinks(links: SnapshotEntry[], targets: Targets, overwrite: boolean): Promise<number> {
  for (const l of links) {
    const p = resolveInside(targets.dirs[l.service]!, l.path);
    await targets.ensureDir(l.service, dirname(p));
    const st = await fs.lstat(p).catch(() => undefined);
    if (st) {
      if (!overwrite || st.isDirectory()) throw restoreError(`${p} exists`, 'restore into an empty folder');
      await fs.unlink(p);
    }
    await fs.symlink(l.linkTarget!, p);
    await fs.lutimes(p, new Date(l.mtime), new Date(l.mtime)).catch(() => undefined);
  }
  return links.length;
}

/** Write one file on this thread, each chunk hashed against its id first (and the whole file against its SHA-256 when the snapshot recorded one). */
async function writeFile(reader: BlobReader, e: SnapshotEntry, dest: string, flags: number, onBytes: (n: number) => void): Promise<RestoredFile> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(dest, flags, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new OpsError('BACKUP_MANIFEST_UNSAFE', `refusing to write ${dest}: it is a symlink`, 'restore into an empty folder');
    if (code === 'EEXIST') throw restoreError(`${dest} exists`, 'restore into an empty folder, or allow overwriting');
    throw err;
  }
  try {
    const chunks = e.chunks ?? [];
    const whole = e.sha256 ? createHash('sha256') : undefined;
    const ahead: Promise<Buffer>[] = [];
    let i = 0;
    let pos = 0;
    const fill = () => {
      while (ahead.length < CHUNKS_AHEAD && i < chunks.length) {
        const p = reader.read(chunks[i++]!, true);
        p.catch(() => undefined); // handled when awaited
        ahead.push(p);
      }
    };
    fill();
    while (ahead.length) {
      const data = await ahead.shift()!;
      fill();
      whole?.update(data);
      let off = 0;
      while (off < data.length) {
        const { bytesWritten } = await fh.write(data, off, data.length - off, pos);
        off += bytesWritten;
        pos += bytesWritten;
      }
      onBytes(data.length);
    }
    await Promise.allSettled(ahead);
    return { size: pos, ...(whole ? { sha256: whole.digest('hex') } : {}) };
  } catch (err) {
    if (err instanceof OpsError) {
      throw new OpsError(err.code, `${e.service}/${e.path}: ${err.message}`, err.hint, err.details);
    }
    throw err;
  } finally {
    await fh.close();
  }
}

/** What was written agrees with the entry: its size (the chunks' lengths), and its recorded SHA-256 if it has one. */
const matches = (e: SnapshotEntry, got: RestoredFile): boolean => got.size === e.size && (!e.sha256 || got.sha256 === e.sha256);

/** Every chunk matched its id, yet the file is not the one the manifest describes: the manifest disagrees with its own chunks. */
function mismatch(e: SnapshotEntry, got: RestoredFile): OpsError {
  const what = got.sha256 !== undefined && got.sha256 !== e.sha256 ? `sha256 ${got.sha256.slice(0, 12)}/${(e.sha256 ?? '').slice(0, 12)}` : 'size differs';
  return new OpsError(
    'BACKUP_RESTORE_FAILED',
    `${e.service}/${e.path} does not match the snapshot after restoring (size ${got.size}/${e.size}, ${what})`,
    'run `opsdeck backups verify --read-data`; the restored file is not the backed-up one',
  );
}

/** The OpsError for a file a worker could not restore. */
function workerRestoreError(e: SnapshotEntry, dest: string, err: WorkerError): OpsError {
  if (err instanceof OpsError) return err;
  const name = `${e.service}/${e.path}`;
  const chunk = err.chunk?.slice(0, 12);
  const pack = err.pack ? basename(err.pack).slice(0, 12) : undefined;
  if (err.kind === 'corrupt') {
    return new OpsError('BACKUP_DATA_CORRUPT', `${name}: chunk ${chunk} in pack ${pack} is damaged: ${err.message}`, 'run `opsdeck backups verify --read-data` to see which snapshots and files are affected', { chunk: err.chunk, pack });
  }
  if (err.kind === 'missing') {
    return new OpsError('BACKUP_DATA_MISSING', `${name}: pack ${pack} (chunk ${chunk}) cannot be read: ${err.message}`, 'run `opsdeck backups verify` to see which snapshots and files are affected', { chunk: err.chunk, pack });
  }
  if (err.code === 'ELOOP') return new OpsError('BACKUP_MANIFEST_UNSAFE', `refusing to write ${dest}: it is a symlink`, 'restore into an empty folder');
  if (err.code === 'EEXIST') return restoreError(`${dest} exists`, 'restore into an empty folder, or allow overwriting');
  if (err.code === 'ENOSPC') return restoreError(`no space left on the restore target writing ${dest}`, 'free space on the target disk and restore again');
  return restoreError(`${name}: ${err.message}`);
}

/** One file's content out of a snapshot, each chunk hash-checked. */
export async function* readSnapshotFile(repo: RepoHandle, snapshotId: string, service: string, path: string): AsyncGenerator<Buffer> {
  const snapshot = await repo.snapshot(snapshotId);
  const e = snapshot.entries.find((x) => x.service === service && x.path === path);
  if (!e || e.type !== 'file') {
    throw new OpsError('NOT_FOUND', `snapshot ${snapshot.id.slice(0, 12)} has no file ${service}/${path}`, 'list its files with `opsdeck backups show ID`');
  }
  const reader = new BlobReader(repo.dir, await repo.loadIndex(), repo.key);
  try {
    for (const c of e.chunks ?? []) yield await reader.read(c, true);
  } finally {
    await reader.close();
  }
}
