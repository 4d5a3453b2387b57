/**
 * The progress of a backup, a restore or a verify on stderr: a bar on a terminal (files or packs,
 * bytes, throughput, ETA), plain lines otherwise.
 */
import { SingleBar } from 'cli-progress';
import { type BackupProgress, formatBytes, formatDuration, progressCounts, type RestoreProgress, type VerifyProgress } from '../../core/contract';

export type ProgressKind = 'backup' | 'restore' | 'verify';

type AnyProgress = BackupProgress | RestoreProgress | VerifyProgress;

export interface ProgressReporter {
  update(p: AnyProgress): void;
  stop(): void;
}

const countText = (p: AnyProgress) => {
  const c = progressCounts(p);
  return `${c.done}/${c.total} ${c.unit}`;
};

/** A progress bar on a terminal; a line every 2 s (or at a new phase) otherwise; nothing when not `enabled`. */
export function progressReporter(kind: ProgressKind, enabled: boolean): ProgressReporter {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const rate = (p: AnyProgress) => (p.elapsedMs > 0 ? (p.bytesDone * 1000) / p.elapsedMs : 0);
  const eta = (p: AnyProgress) => {
    const r = rate(p);
    return r > 0 && p.bytesTotal > p.bytesDone ? formatDuration(((p.bytesTotal - p.bytesDone) / r) * 1000) : '-';
  };
  if (process.stderr.isTTY) {
    const bar = new SingleBar(
      {
        format: `${kind} {bar} {percentage}% | {count} | {bytes} | {speed}/s | ETA {etaText} | {phase}`,
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
          count: countText(p),
          bytes: `${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}`,
          speed: formatBytes(Math.round(rate(p))),
          etaText: eta(p),
          phase: p.phase,
        };
        const { value, of } = progressCounts(p);
        const total = Math.max(1, of);
        if (!started) {
          bar.start(total, Math.min(value, total), payload);
          started = true;
        } else {
          bar.setTotal(total);
          bar.update(Math.min(value, total), payload);
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
      process.stderr.write(`${kind}: ${p.phase} ${countText(p)}, ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}, ${formatBytes(Math.round(rate(p)))}/s, ETA ${eta(p)}\n`);
    },
    stop: () => undefined,
  };
}
