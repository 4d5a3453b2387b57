/** The progress of a backup or a restore on stderr: a bar on a terminal (files, bytes, throughput, ETA), plain lines otherwise. */
import { SingleBar } from 'cli-progress';
import { type BackupProgress, formatBytes, formatDuration, type RestoreProgress } from '../../core/contract';

export interface ProgressReporter {
  update(p: BackupProgress | RestoreProgress): void;
  stop(): void;
}

/** A progress bar on a terminal; a line every 2 s (or at a new phase) otherwise; nothing when not `enabled`. */
export function progressReporter(kind: 'backup' | 'restore', enabled: boolean): ProgressReporter {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const rate = (p: { bytesDone: number; elapsedMs: number }) => (p.elapsedMs > 0 ? (p.bytesDone * 1000) / p.elapsedMs : 0);
  const eta = (p: { bytesDone: number; bytesTotal: number; elapsedMs: number }) => {
    const r = rate(p);
    return r > 0 && p.bytesTotal > p.bytesDone ? formatDuration(((p.bytesTotal - p.bytesDone) / r) * 1000) : '-';
  };
  if (process.stderr.isTTY) {
    const bar = new SingleBar(
      {
        format: `${kind} {bar} {percentage}% | {files} files | {bytes} | {speed}/s | ETA {etaText} | {phase}`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
        stopOnComplete: false,
        etaBuffer: 20,
        stream: process.stderr,
      },
      undefined,
    );
    let started = false;
    return {
      update(p) {
        const payload = {
          files: `${p.filesDone}/${p.filesTotal}`,
          bytes: `${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}`,
          speed: formatBytes(Math.round(rate(p))),
          etaText: eta(p),
          phase: p.phase,
        };
        const total = Math.max(1, p.bytesTotal);
        if (!started) {
          bar.start(total, Math.min(p.bytesDone, total), payload);
          started = true;
        } else {
          bar.setTotal(total);
          bar.update(Math.min(p.bytesDone, total), payload);
        }
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let last = 0;
  let lastPhase = '';
  return {
    update(p) {
      const now = Date.now();
      if (p.phase === lastPhase && now - last < 2000) return;
      last = now;
      lastPhase = p.phase;
      process.stderr.write(
        `${kind}: ${p.phase} ${p.filesDone}/${p.filesTotal} files, ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}, ${formatBytes(Math.round(rate(p)))}/s, ETA ${eta(p)}\n`,
      );
    },
    stop: () => undefined,
  };
}
