/**
 * The progress of a backup, a restore or a verify on stderr: a bar on a terminal (files or packs,
 * bytes, throughput, ETA), plain lines otherwise.
 */
import { SingleBar } from 'cli-progress';
import { type BackupProgress, formatBytes, formatDuration, type RestoreProgress, type VerifyProgress } from '../../core/contract';

export type ProgressKind = 'backup' | 'restore' | 'verify';

export interface ProgressReporter {
  update(p: BackupProgress | RestoreProgress | VerifyProgress): void;
  stop(): void;
}

/** One report as what is counted (files; a verify's packs) and bytes. */
interface Measure {
  phase: string;
  count: string;
  done: number;
  total: number;
  bytesDone: number;
  bytesTotal: number;
  elapsedMs: number;
}

function measure(p: BackupProgress | RestoreProgress | VerifyProgress): Measure {
  const counted = 'packsTotal' in p ? { count: `${p.packsDone}/${p.packsTotal} packs`, done: p.packsDone, total: p.packsTotal } : { count: `${p.filesDone}/${p.filesTotal} files`, done: p.filesDone, total: p.filesTotal };
  return { phase: p.phase, ...counted, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, elapsedMs: p.elapsedMs };
}

/** A progress bar on a terminal; a line every 2 s (or at a new phase) otherwise; nothing when not `enabled`. */
export function progressReporter(kind: ProgressKind, enabled: boolean): ProgressReporter {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const rate = (m: Measure) => (m.elapsedMs > 0 ? (m.bytesDone * 1000) / m.elapsedMs : 0);
  const eta = (m: Measure) => {
    const r = rate(m);
    return r > 0 && m.bytesTotal > m.bytesDone ? formatDuration(((m.bytesTotal - m.bytesDone) / r) * 1000) : '-';
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
        const m = measure(p);
        const payload = {
          count: m.count,
          bytes: `${formatBytes(m.bytesDone)}/${formatBytes(m.bytesTotal)}`,
          speed: formatBytes(Math.round(rate(m))),
          etaText: eta(m),
          phase: m.phase,
        };
        // by bytes; by what is counted while there are no bytes to go by (a verify's structure check)
        const [value, total] = m.bytesTotal > 0 ? [m.bytesDone, m.bytesTotal] : [m.done, Math.max(1, m.total)];
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
      const m = measure(p);
      const now = Date.now();
      if (m.phase === lastPhase && now - last < 2000) return;
      last = now;
      lastPhase = m.phase;
      process.stderr.write(`${kind}: ${m.phase} ${m.count}, ${formatBytes(m.bytesDone)}/${formatBytes(m.bytesTotal)}, ${formatBytes(Math.round(rate(m)))}/s, ETA ${eta(m)}\n`);
    },
    stop: () => undefined,
  };
}
