/**
 * The state one backup carries through its stages (backup.ts): the summary it returns, the
 * progress it reports (at most every progressIntervalMs, and at every phase change), the
 * entries of the snapshot being built, the warnings, and the cancellation check.
 */
import { OpsError } from '../../errors';
import type { Item } from './backup-scan';
import type { BackupOptions, BackupPhase, BackupSummary, BackupWorkerStats, SnapshotEntry } from './model';
import { sourceError } from './backup-scan';
import type { FileChunked } from './worker';
import { progressGate } from './progress-gate';

export class BackupRun {
  readonly t0 = performance.now();
  readonly warnings: string[] = [];
  readonly summary: BackupSummary = {
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
  readonly progress = {
    phase: 'scan' as BackupPhase,
    filesTotal: 0,
    filesDone: 0,
    bytesTotal: 0,
    bytesDone: 0,
    currentPath: undefined as string | undefined,
  };
  /** The worker threads, when the backup used them. */
  workers: BackupWorkerStats | undefined;
  /** The snapshot's entries, in item order (undefined: skipped). */
  entries: (SnapshotEntry | undefined)[] = [];
  private readonly due: ReturnType<typeof progressGate>;

  constructor(readonly options: BackupOptions) {
    this.due = progressGate(options.progressIntervalMs);
  }

  /** Report progress: throttled, unless forced. */
  emit(force = false): void {
    const { options, progress, summary } = this;
    if (!options.onProgress) return;
    const now = performance.now();
    if (!this.due(now, force)) return;
    options.onProgress({
      phase: progress.phase,
      filesTotal: progress.filesTotal,
      filesDone: progress.filesDone,
      bytesTotal: progress.bytesTotal,
      bytesDone: progress.bytesDone,
      bytesRead: summary.bytesRead,
      bytesAdded: summary.bytesAdded,
      elapsedMs: Math.round(now - this.t0),
      ...(progress.currentPath ? { currentPath: progress.currentPath } : {}),
    });
  }

  phase(p: BackupPhase): void {
    this.progress.phase = p;
    this.emit(true);
  }

  checkAbort(): void {
    if (this.options.signal?.aborted) throw new OpsError('BACKUP_ABORTED', 'backup cancelled', 'nothing was recorded; run it again');
  }

  /** Record a file read one way or another (item `i`; `prev`: its entry in the parent snapshot). */
  fileRead(i: number, it: Item, prev: SnapshotEntry | undefined, r: FileChunked): void {
    const { progress, summary } = this;
    if (it.stream) progress.bytesTotal += r.size;
    else progress.bytesTotal += r.size - it.size; // the file changed size while we read it
    summary.chunksTotal += r.chunks.length;
    summary.bytesTotal += r.size;
    if (prev?.type === 'file') summary.filesChanged++;
    else summary.filesNew++;
    this.entries[i] = { path: it.path, service: it.service, type: 'file', mode: it.mode, mtime: it.mtime, size: r.size, chunks: r.chunks };
    progress.filesDone++;
    this.emit();
  }

  /** A file could not be read: skipped with a warning when it vanished or is unreadable, else the backup fails. */
  readFailed(it: Item, e: unknown): void {
    if (e instanceof OpsError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (!it.stream && (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM')) {
      this.warnings.push(`${it.service}/${it.path}: ${code} (skipped)`);
      this.progress.filesDone++;
      return;
    }
    throw sourceError(`service ${it.service}: reading ${it.path} failed`, e);
  }
}
