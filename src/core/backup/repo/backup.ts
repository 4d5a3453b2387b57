/**
 * Backup: scan the sources, then for each file either take its entry from the parent snapshot
 * (same size, mtime and type, all chunks present) or read it, chunk it, hash each chunk, and
 * store the chunks the repository does not have yet (compressed on the thread pool, encrypted,
 * appended to packs). Order of durability: packs (fsync, rename, fsync dir) → index file → the
 * snapshot manifest, last. A backup killed at any point leaves at most unreferenced packs and
 * temp files, which prune removes.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import { basename, isAbsolute, join, sep } from 'node:path';
import { OpsError } from '../../errors';
import { encodeBlob } from './blob';
import { chunkStream } from './chunker';
import { writeError } from './fsutil';
import type { BackupOptions, BackupPhase, BackupResult, BackupSource, BackupSummary, EntryType, Snapshot, SnapshotEntry, SnapshotMeta } from './model';
import { writeIndexFile } from './index-store';
import { defaultThreads, RepoWorkers, WORKER_MIN_BYTES, type FileChunked } from './worker';
import { PackWriter } from './pack';
import { checkEntryPath, checkServiceName } from './paths';
import type { Repository } from './repository';
import { snapshotId, writeSnapshot } from './snapshot';

const READ_SIZE = 8 * 1024 * 1024;
const MAX_ENCODING = 8;
const INDEX_EVERY_PACKS = 64;


interface Item {
  service: string;
  path: string;
  type: EntryType;
  mode: number;
  mtime: number;
  size: number;
  abs?: string;
  stream?: () => AsyncIterable<Uint8Array>;
  linkTarget?: string;
}

function sourceError(message: string, e?: unknown): OpsError {
  return new OpsError(
    'BACKUP_SOURCE_FAILED',
    e ? `${message}: ${(e as Error).message}` : message,
    'check the paths the backup configuration names; the repository was not changed',
  );
}

export function toPosixRel(p: string): string {
  let r = sep === '/' ? p : p.split(sep).join('/');
  while (r.startsWith('./')) r = r.slice(2);
  return r.replace(/\/+$/, '');
}

function checkedRel(service: string, p: string): string {
  const r = toPosixRel(p);
  try {
    checkEntryPath(r);
  } catch {
    throw sourceError(`service ${service}: ${JSON.stringify(p)} is not a relative path inside its root`);
  }
  return r;
}

async function statItem(service: string, path: string, abs: string, warnings: string[]): Promise<Item | undefined> {
  let st;
  try {
    st = await fs.lstat(abs);
  } catch (e) {
    warnings.push(`${service}/${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (skipped)`);
    return undefined;
  }
  const base = { service, path, mode: st.mode & 0o7777, mtime: st.mtimeMs, abs };
  if (st.isFile()) return { ...base, type: 'file', size: st.size };
  if (st.isDirectory()) return { ...base, type: 'dir', size: 0 };
  if (st.isSymbolicLink()) {
    try {
      return { ...base, type: 'symlink', size: 0, linkTarget: await fs.readlink(abs) };
    } catch (e) {
      warnings.push(`${service}/${path}: ${(e as Error).message} (skipped)`);
      return undefined;
    }
  }
  warnings.push(`${service}/${path}: not a regular file, folder or symlink (skipped)`);
  return undefined;
}

async function walk(service: string, root: string, rel: string, out: Item[], warnings: string[]): Promise<void> {
  let names: string[];
  try {
    names = (await fs.readdir(rel ? join(root, rel) : root)).sort();
  } catch (e) {
    if (!rel) throw sourceError(`cannot read ${root}`, e);
    warnings.push(`${service}/${rel}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (contents skipped)`);
    return;
  }
  const items = await Promise.all(names.map((n) => statItem(service, rel ? `${rel}/${n}` : n, join(root, rel, n), warnings)));
  for (const it of items) {
    if (!it) continue;
    out.push(it);
    if (it.type === 'dir') await walk(service, root, it.path, out, warnings);
  }
}

async function scan(sources: BackupSource[], warnings: string[]): Promise<Item[]> {
  const items: Item[] = [];
  for (const src of sources) {
    try {
      checkServiceName(src.service);
    } catch {
      throw sourceError(`${JSON.stringify(src.service)} is not a usable service name`);
    }
    if (src.root !== undefined) {
      if (!isAbsolute(src.root)) throw sourceError(`service ${src.service}: root ${src.root} is not an absolute path`);
      let st;
      try {
        st = await fs.stat(src.root);
      } catch (e) {
        throw sourceError(`service ${src.service}: cannot read ${src.root}`, e);
      }
      if (st.isDirectory()) {
        if (src.paths) {
          for (const p of src.paths) {
            const rel = checkedRel(src.service, p);
            const it = await statItem(src.service, rel, join(src.root, ...rel.split('/')), warnings);
            if (it) items.push(it);
          }
        } else {
          await walk(src.service, src.root, '', items, warnings);
        }
      } else if (st.isFile()) {
        if (src.paths?.length) throw sourceError(`service ${src.service}: root ${src.root} is a file, paths make no sense`);
        items.push({ service: src.service, path: basename(src.root), type: 'file', mode: st.mode & 0o7777, mtime: st.mtimeMs, size: st.size, abs: src.root });
      } else {
        throw sourceError(`service ${src.service}: ${src.root} is not a file or folder`);
      }
    }
    for (const f of src.files ?? []) {
      const rel = checkedRel(src.service, f.path);
      if ('source' in f) {
        let st;
        try {
          st = await fs.stat(f.source);
        } catch (e) {
          throw sourceError(`service ${src.service}: cannot read ${f.source}`, e);
        }
        if (!st.isFile()) throw sourceError(`service ${src.service}: ${f.source} is not a regular file`);
        items.push({ service: src.service, path: rel, type: 'file', mode: st.mode & 0o7777, mtime: st.mtimeMs, size: st.size, abs: f.source });
      } else {
        items.push({ service: src.service, path: rel, type: 'file', mode: f.mode ?? 0o644, mtime: f.mtime ?? Date.now(), size: 0, stream: f.stream });
      }
    }
  }
  const seen = new Set<string>();
  for (const it of items) {
    const k = `${it.service}\0${it.path}`;
    if (seen.has(k)) throw sourceError(`service ${it.service}: ${it.path} is listed twice`);
    seen.add(k);
  }
  items.sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return items;
}

/**
 * File content in pieces, with one read ahead so the disk works while we chunk. Two buffers
 * alternate: a piece stays valid until the next one is requested (the chunker copies it at once).
 */
async function* readFilePieces(path: string): AsyncGenerator<Buffer> {
  const fh = await fs.open(path, 'r');
  const bufs = [Buffer.allocUnsafe(READ_SIZE), Buffer.allocUnsafe(READ_SIZE)];
  let turn = 0;
  const read = async (buf: Buffer) => {
    let n = 0;
    while (n < buf.length) {
      const r = await fh.read(buf, n, buf.length - n, null);
      if (r.bytesRead === 0) break;
      n += r.bytesRead;
    }
    return buf.subarray(0, n);
  };
  let next: Promise<Buffer> | undefined = read(bufs[0]!);
  try {
    for (;;) {
      const piece = await next;
      next = undefined;
      if (piece.length === 0) break;
      turn ^= 1;
      if (piece.length === READ_SIZE) next = read(bufs[turn]!);
      yield piece;
      if (!next) break;
    }
  } finally {
    await next?.catch(() => undefined);
    await fh.close();
  }
}

export async function runBackup(repo: Repository, sources: BackupSource[], meta: SnapshotMeta, options: BackupOptions): Promise<BackupResult> {
  const t0 = performance.now();
  const dryRun = !!options.dryRun;
  if (!meta || typeof meta.stack !== 'string' || typeof meta.profile !== 'string') {
    throw new OpsError('BAD_REQUEST', 'backup metadata needs at least stack and profile', 'pass the stack name and active profile');
  }
  const held = dryRun ? undefined : repo.lock('backup');
  const warnings: string[] = [];
  const summary: BackupSummary = {
    filesNew: 0,
    filesChanged: 0,
    filesUnchanged: 0,
    dirs: 0,
    symlinks: 0,
    bytesTotal: 0,
    bytesRead: 0,
    bytesAdded: 0,
    chunksNew: 0,
    chunksTotal: 0,
    packsWritten: 0,
    durationMs: 0,
  };
  const progress = {
    phase: 'scan' as BackupPhase,
    filesTotal: 0,
    filesDone: 0,
    bytesTotal: 0,
    bytesDone: 0,
    currentPath: undefined as string | undefined,
  };
  const interval = options.progressIntervalMs ?? 200;
  let lastEmit = 0;
  const emit = (force = false) => {
    if (!options.onProgress) return;
    const now = performance.now();
    if (!force && now - lastEmit < interval) return;
    lastEmit = now;
    options.onProgress({
      phase: progress.phase,
      filesTotal: progress.filesTotal,
      filesDone: progress.filesDone,
      bytesTotal: progress.bytesTotal,
      bytesDone: progress.bytesDone,
      bytesRead: summary.bytesRead,
      bytesAdded: summary.bytesAdded,
      elapsedMs: Math.round(now - t0),
      ...(progress.currentPath ? { currentPath: progress.currentPath } : {}),
    });
  };
  const phase = (p: BackupPhase) => {
    progress.phase = p;
    emit(true);
  };
  const checkAbort = () => {
    if (options.signal?.aborted) throw new OpsError('BACKUP_ABORTED', 'backup cancelled', 'nothing was recorded; run it again');
  };

  const packs = new PackWriter(repo.dir, repo.config.packSize, repo.key, dryRun, () => void summary.packsWritten++);
  const encoding = new Set<Promise<void>>();
  let encodeError: unknown;
  try {
    emit(true);
    const index = await repo.loadIndex();
    if (index.unreadable.size && !dryRun) {
      // a damaged index must not make us think data is missing and rewrite it silently: it would
      // work, but the damage deserves attention first
      const [name, why] = [...index.unreadable][0]!;
      throw new OpsError('BACKUP_REPO_INVALID', `index file ${name.slice(0, 12)} cannot be read: ${why}`, 'run `opsdeck backups verify`, then `opsdeck backups prune` to rebuild the index');
    }
    // the parent snapshot: unchanged files are taken from it without reading
    let parent: Snapshot | undefined;
    if (options.parent !== false) {
      const { snapshots } = await repo.loadSnapshots();
      parent =
        options.parent === undefined || options.parent === 'latest'
          ? snapshots.filter((s) => s.stack === meta.stack).at(-1)
          : snapshots.find((s) => s.id === options.parent || s.id.startsWith(options.parent as string));
    }
    const parentEntries = new Map<string, SnapshotEntry>();
    for (const e of parent?.entries ?? []) parentEntries.set(`${e.service}\0${e.path}`, e);

    const items = await scan(sources, warnings);
    checkAbort();
    for (const it of items) {
      if (it.type === 'file') {
        progress.filesTotal++;
        progress.bytesTotal += it.size;
      }
    }
    phase('backup');

    const pending = new Set<string>();
    const entries: (SnapshotEntry | undefined)[] = new Array(items.length);
    const store = (id: string, chunk: Buffer) => {
      const job = (async () => {
        const blob = await encodeBlob(chunk, repo.config.compression, repo.key);
        summary.bytesAdded += blob.length;
        await packs.add(id, blob);
      })().catch((e) => {
        encodeError ??= e;
      });
      encoding.add(job);
      void job.finally(() => encoding.delete(job));
    };
    let indexing: Promise<void> | undefined;
    const indexDurable = async (flushPartial: boolean) => {
      while (indexing) await indexing;
      indexing = (async () => {
        const done = await packs.checkpoint(flushPartial);
        if (done.length && !dryRun) {
          const name = await writeIndexFile(repo.dir, done, repo.key);
          for (const p of done) index.addPack(p, name);
        }
      })();
      try {
        await indexing;
      } finally {
        indexing = undefined;
      }
    };
    const maybeIndex = async () => {
      if (packs.written.length >= INDEX_EVERY_PACKS && !indexing) await indexDurable(false);
    };

    /** Record a file read one way or another. */
    const fileRead = (i: number, it: Item, prev: SnapshotEntry | undefined, r: FileChunked) => {
      if (it.stream) progress.bytesTotal += r.size;
      else progress.bytesTotal += r.size - it.size; // the file changed size while we read it
      summary.chunksTotal += r.chunks.length;
      summary.bytesTotal += r.size;
      if (prev?.type === 'file') summary.filesChanged++;
      else summary.filesNew++;
      entries[i] = { path: it.path, service: it.service, type: 'file', mode: it.mode, mtime: it.mtime, size: r.size, sha256: r.sha256, chunks: r.chunks };
      progress.filesDone++;
      emit();
    };
    const readFailed = (it: Item, e: unknown) => {
      if (e instanceof OpsError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (!it.stream && (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM')) {
        warnings.push(`${it.service}/${it.path}: ${code} (skipped)`);
        progress.filesDone++;
        return;
      }
      throw sourceError(`service ${it.service}: reading ${it.path} failed`, e);
    };

    // 1. folders, symlinks and unchanged files; what must be read is collected
    const toRead: { i: number; it: Item; prev?: SnapshotEntry }[] = [];
    items.forEach((it, i) => {
      const base = { path: it.path, service: it.service, type: it.type, mode: it.mode, mtime: it.mtime };
      if (it.type === 'dir') {
        summary.dirs++;
        entries[i] = { ...base, size: 0 };
        return;
      }
      if (it.type === 'symlink') {
        summary.symlinks++;
        entries[i] = { ...base, size: 0, linkTarget: it.linkTarget! };
        return;
      }
      const prev = parentEntries.get(`${it.service}\0${it.path}`);
      if (
        !it.stream &&
        prev?.type === 'file' &&
        prev.size === it.size &&
        prev.mtime === it.mtime &&
        prev.chunks &&
        prev.sha256 &&
        prev.chunks.every((c) => index.has(c))
      ) {
        summary.filesUnchanged++;
        summary.bytesTotal += it.size;
        summary.chunksTotal += prev.chunks.length;
        entries[i] = { ...base, size: prev.size, sha256: prev.sha256, chunks: prev.chunks };
        progress.filesDone++;
        progress.bytesDone += it.size;
        return;
      }
      toRead.push({ i, it, ...(prev ? { prev } : {}) });
    });
    emit();

    // 2. files on disk, on worker threads when there is enough to read
    const threads = options.threads ?? defaultThreads();
    const fileBytes = toRead.reduce((n, r) => n + (r.it.stream ? 0 : r.it.size), 0);
    const workers =
      threads > 0 && (options.threads !== undefined || fileBytes >= WORKER_MIN_BYTES) && toRead.some((r) => !r.it.stream)
        ? RepoWorkers.tryStart({
            threads,
            ...(repo.key ? { key: repo.key } : {}),
            chunker: repo.cutter.params,
            compression: repo.config.compression,
            known: index.blobs.keys(),
            onBlob: async (b) => {
              if (index.has(b.id) || pending.has(b.id)) return; // another worker had it too
              pending.add(b.id);
              summary.chunksNew++;
              summary.bytesAdded += b.data.length;
              await packs.add(b.id, { parts: [b.data], length: b.data.length, rawLength: b.rawLength, codec: 'none' });
              await maybeIndex();
            },
          })
        : undefined;
    const onWorkers = workers ? toRead.filter((r) => !r.it.stream) : [];
    if (workers) {
      const onAbort = () => void workers.abort(new OpsError('BACKUP_ABORTED', 'backup cancelled', 'nothing was recorded; run it again'));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const onRead = (n: number) => {
          summary.bytesRead += n;
          progress.bytesDone += n;
          emit();
        };
        let aborted = false;
        await Promise.all(
          onWorkers.map(async ({ i, it, prev }) => {
            if (aborted) return;
            try {
              checkAbort();
              progress.currentPath = `${it.service}/${it.path}`;
              fileRead(i, it, prev, await workers.chunkFile(it.abs!, onRead));
            } catch (e) {
              try {
                readFailed(it, e);
              } catch (fatal) {
                aborted = true;
                throw fatal;
              }
            }
          }),
        );
        await workers.drain();
      } finally {
        options.signal?.removeEventListener('abort', onAbort);
        await workers.close();
      }
    }

    // 3. the rest (streams, small backups) on this thread
    const here = onWorkers.length ? toRead.filter((r) => r.it.stream) : toRead;
    for (const { i, it, prev } of here) {
      checkAbort();
      progress.currentPath = `${it.service}/${it.path}`;
      const fileHash = createHash('sha256');
      const chunks: string[] = [];
      let size = 0;
      try {
        const source = it.stream ? it.stream() : readFilePieces(it.abs!);
        for await (const chunk of chunkStream(source, repo.cutter)) {
          if (encodeError) throw encodeError;
          checkAbort();
          const id = createHash('sha256').update(chunk).digest('hex');
          fileHash.update(chunk);
          chunks.push(id);
          size += chunk.length;
          summary.bytesRead += chunk.length;
          progress.bytesDone += chunk.length;
          if (!index.has(id) && !pending.has(id)) {
            pending.add(id);
            summary.chunksNew++;
            while (encoding.size >= MAX_ENCODING) await Promise.race(encoding);
            store(id, Buffer.from(chunk)); // the chunker reuses its buffer
          }
          emit();
        }
      } catch (e) {
        readFailed(it, e);
        continue;
      }
      fileRead(i, it, prev, { size, sha256: fileHash.digest('hex'), chunks });
      await maybeIndex();
    }
    while (encoding.size) await Promise.race(encoding);
    if (encodeError) throw encodeError;
    phase('index');
    await indexDurable(true);

    phase('snapshot');
    const time = meta.time === undefined ? new Date() : new Date(meta.time);
    summary.durationMs = Math.round(performance.now() - t0);
    const services = meta.services ?? [...new Set(sources.map((s) => s.service))];
    const body: Omit<Snapshot, 'id'> = {
      format: 'opsdeck-snapshot',
      version: 1,
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
      entries: entries.filter((e): e is SnapshotEntry => e !== undefined),
      summary,
    };
    const { format, version, ...rest } = body;
    const ordered: Snapshot = { format, version, id: snapshotId(body), ...rest };
    if (!dryRun) await writeSnapshot(repo.dir, ordered, repo.key);
    progress.currentPath = undefined;
    phase('done');
    return { snapshot: ordered, summary, dryRun, warnings };
  } catch (e) {
    await Promise.allSettled([...encoding]);
    await packs.settle();
    if (e instanceof OpsError) throw e;
    throw writeError(e, repo.dir);
  } finally {
    held?.release();
  }
}
