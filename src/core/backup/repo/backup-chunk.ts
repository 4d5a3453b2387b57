/**
 * Backup stage chunk: the files that must be read (new or changed since the parent snapshot) are
 * read, cut into content-defined chunks (SQLite databases: pages, chunker.ts) and hashed; each chunk the repository does not have goes
 * to the pack stage (backup-pack.ts). Files on disk go to worker threads when there is enough to
 * read (worker.ts); streams (dumps) and small backups are chunked on the calling thread.
 */
import { hash } from 'node:crypto';
import fs from 'node:fs/promises';
import { OpsError } from '../../errors';
import type { BackupPacks } from './backup-pack';
import type { BackupRun } from './backup-run';
import type { Item } from './backup-scan';
import { chunkStream, fixedCutter, sqliteChunkSize, type Cutter } from './chunker';
import type { SnapshotEntry } from './model';
import type { RepoHandle } from './handle';
import { writeError } from './fsutil';
import type { KnownIds } from './known-ids';
import { defaultThreads, RepoWorkers, WORKER_MIN_BYTES, type FileChunked, type WorkerError } from './worker';

const READ_SIZE = 8 * 1024 * 1024;
/** A SQLite database at least this large is read in segments of SEGMENT_BYTES on all threads at once. */
const SPLIT_MIN_BYTES = 16 * 1024 * 1024;
const SEGMENT_BYTES = 8 * 1024 * 1024;

/** A file to read: item `i` of the scan, and its entry in the parent snapshot if it had one. */
export interface ToRead {
  i: number;
  it: Item;
  prev?: SnapshotEntry;
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
/** Where to read a file item: its path, or the copy made now of one the parent snapshot lacked. */
async function fileOf(it: Item): Promise<string> {
  it.abs ??= await it.copy!();
  return it.abs;
}

/** The chunk size of a SQLite database (its page size, chunker.ts), undefined for any other file. */
async function pageSizeOf(path: string): Promise<number | undefined> {
  const fh = await fs.open(path, 'r');
  try {
    const head = Buffer.alloc(100);
    const { bytesRead } = await fh.read(head, 0, 100, 0);
    return sqliteChunkSize(head.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/** The cutter for a file: page-sized chunks for a SQLite database, else the repository's own. */
async function cutterFor(path: string, cutter: Cutter): Promise<Cutter> {
  const page = await pageSizeOf(path);
  return page ? fixedCutter(cutter.params, page) : cutter;
}

/**
 * Chunk a file on the pool: a large SQLite database in segments of whole pages on every thread at
 * once (the same chunks and ids as one pass would give); a database that changed meanwhile (size
 * or time), and any other file, in one pass on one thread.
 */
async function chunkOnPool(workers: RepoWorkers, path: string, onRead: (n: number) => void): Promise<FileChunked> {
  const before = await fs.stat(path);
  const page = workers.threads > 1 && before.size >= SPLIT_MIN_BYTES ? await pageSizeOf(path) : undefined;
  if (!page) return workers.chunkFile(path, onRead);
  const segment = Math.max(1, Math.floor(SEGMENT_BYTES / page)) * page;
  const ranges: [number, number][] = [];
  for (let at = 0; at < before.size; at += segment) ranges.push([at, Math.min(at + segment, before.size)]);
  const parts = await Promise.all(ranges.map(([a, b]) => workers.chunkRange(path, a, b, page, onRead)));
  const after = await fs.stat(path);
  const read = parts.reduce((n, p) => n + p.size, 0);
  if (after.size !== before.size || after.mtimeMs !== before.mtimeMs || read !== before.size) {
    return workers.chunkFile(path, onRead); // it changed while we read it: once more, in one pass
  }
  return { size: read, chunks: parts.flatMap((p) => p.chunks) };
}

/**
 * Chunk the files on disk on worker threads, when there is enough to read (or threads were asked
 * for). Returns what is left for the calling thread: everything when no pool was started, else the streams.
 */
export async function chunkOnWorkers(repo: RepoHandle, run: BackupRun, sink: BackupPacks, toRead: ToRead[], known: () => KnownIds): Promise<ToRead[]> {
  const { options, summary, progress } = run;
  const threads = options.threads ?? defaultThreads();
  const fileBytes = toRead.reduce((n, r) => n + (r.it.stream ? 0 : r.it.size), 0);
  const workers =
    threads > 0 && (options.threads !== undefined || fileBytes >= WORKER_MIN_BYTES) && toRead.some((r) => !r.it.stream)
      ? RepoWorkers.tryStart({
          threads,
          ...(repo.key ? { key: repo.key } : {}),
          chunker: repo.cutter.params,
          compression: repo.config.compression,
          known: known(),
          // at most one new blob per SQLite page (4 KiB, the smallest chunk) of what is read
          newBlobs: Math.ceil(fileBytes / 4096),
          packs: { repoDir: repo.dir, packSize: repo.config.packSize, dryRun: !!options.dryRun },
          onPack: (p) => sink.addWritten(p),
        })
      : undefined;
  if (!workers) return toRead;
  run.workers = { threads: workers.threads };
  const onWorkers = toRead.filter((r) => !r.it.stream);
  const onAbort = () => void workers.abort(new OpsError('BACKUP_ABORTED', 'backup cancelled', 'nothing was recorded; run it again'));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const onRead = (n: number) => {
      summary.bytesRead += n;
      progress.bytesDone += n;
      run.emit();
    };
    let aborted = false;
    await Promise.all(
      onWorkers.map(async ({ i, it, prev }) => {
        if (aborted) return;
        try {
          run.checkAbort();
          progress.currentPath = `${it.service}/${it.path}`;
          run.fileRead(i, it, prev, await chunkOnPool(workers, await fileOf(it), onRead));
        } catch (e) {
          // a thread could not write its pack: the repository's problem, not the file's
          if ((e as WorkerError).stage === 'pack') aborted = true;
          if (aborted) throw (e as WorkerError).stage === 'pack' ? writeError(e, repo.dir) : e;
          try {
            run.readFailed(it, e);
          } catch (fatal) {
            aborted = true;
            throw fatal;
          }
        }
      }),
    );
    await workers.flushPacks();
    await workers.drain();
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await workers.close();
  }
  return onWorkers.length ? toRead.filter((r) => r.it.stream) : toRead;
}

/** Chunk files and streams on the calling thread, one after the other. */
export async function chunkHere(repo: RepoHandle, run: BackupRun, sink: BackupPacks, files: ToRead[]): Promise<void> {
  const { summary, progress } = run;
  for (const { i, it, prev } of files) {
    run.checkAbort();
    progress.currentPath = `${it.service}/${it.path}`;
    const chunks: string[] = [];
    let size = 0;
    try {
      const file = it.stream ? undefined : await fileOf(it);
      const source = file ? readFilePieces(file) : it.stream!();
      const cutter = file ? await cutterFor(file, repo.cutter) : repo.cutter;
      for await (const chunk of chunkStream(source, cutter)) {
        sink.throwIfFailed();
        run.checkAbort();
        const id = hash('sha256', chunk);
        chunks.push(id);
        size += chunk.length;
        summary.bytesRead += chunk.length;
        progress.bytesDone += chunk.length;
        if (!sink.has(id)) await sink.store(id, chunk);
        run.emit();
      }
    } catch (e) {
      run.readFailed(it, e);
      continue;
    }
    run.fileRead(i, it, prev, { size, chunks });
    await sink.maybeIndex();
  }
}
