/**
 * Samples a service's process tree (the root, its descendants, its process group) from /proc at
 * a high rate for a while, and summarises each process: CPU (average and peak, percent of one
 * core), RSS, open fds, threads, context switches and I/O bytes during the run.
 */
import type { ProcessProfile } from '../../contract/doctor';
import { processTree, readProcessTable } from '../../supervisor/process-table';
import { commandOf } from '../port-owners';
import { sampleProcess, type ProcSample } from './proc-sample';

/** Clock ticks per second (USER_HZ): 100 on every Linux Node runs on. */
const TICKS_PER_SECOND = 100;

interface Series {
  first: ProcSample & { at: number };
  last: ProcSample & { at: number };
  samples: number;
  rssSum: number;
  rssMax: number;
  fdsMax: number | null;
  threadsMax: number;
  cpuMax: number;
}

export interface TreeSamples {
  processes: ProcessProfile[];
  samples: number;
}

export async function sampleTree(rootPid: number, durationMs: number, intervalMs: number, signal?: AbortSignal): Promise<TreeSamples> {
  const series = new Map<number, Series>();
  const end = performance.now() + durationMs;
  let ticks = 0;
  let pids = await treePids(rootPid);
  while (performance.now() < end && !signal?.aborted) {
    const at = performance.now();
    // The tree is re-read every second: children come and go.
    if (ticks % Math.max(1, Math.round(1000 / intervalMs)) === 0 && ticks > 0) pids = await treePids(rootPid);
    for (const pid of pids) {
      const s = sampleProcess(pid);
      if (!s) continue;
      const cur = { ...s, at };
      const prev = series.get(pid);
      if (!prev) {
        series.set(pid, { first: cur, last: cur, samples: 1, rssSum: s.rssKb, rssMax: s.rssKb, fdsMax: s.fds, threadsMax: s.threads, cpuMax: 0 });
        continue;
      }
      const dt = (at - prev.last.at) / 1000;
      if (dt > 0) prev.cpuMax = Math.max(prev.cpuMax, ((s.cpuTicks - prev.last.cpuTicks) / TICKS_PER_SECOND / dt) * 100);
      prev.last = cur;
      prev.samples++;
      prev.rssSum += s.rssKb;
      prev.rssMax = Math.max(prev.rssMax, s.rssKb);
      prev.fdsMax = s.fds === null ? prev.fdsMax : Math.max(prev.fdsMax ?? 0, s.fds);
      prev.threadsMax = Math.max(prev.threadsMax, s.threads);
    }
    ticks++;
    const wait = at + intervalMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const processes = [...series.values()].map(summarise).sort((a, b) => b.cpuAvgPercent - a.cpuAvgPercent || b.rssMaxMb - a.rssMaxMb);
  return { processes, samples: ticks };
}

async function treePids(rootPid: number): Promise<number[]> {
  return processTree(await readProcessTable(), rootPid).map((p) => p.pid);
}

const r2 = (n: number) => Math.round(n * 100) / 100;
const delta = (a: number | null, b: number | null) => (a === null || b === null ? null : Math.max(0, b - a));

function summarise(s: Series): ProcessProfile {
  const seconds = (s.last.at - s.first.at) / 1000;
  const cpuAvg = seconds > 0 ? ((s.last.cpuTicks - s.first.cpuTicks) / TICKS_PER_SECOND / seconds) * 100 : 0;
  return {
    pid: s.first.pid,
    ppid: s.last.ppid,
    command: commandOf(s.first.pid) ?? '?',
    samples: s.samples,
    cpuAvgPercent: r2(cpuAvg),
    cpuMaxPercent: r2(s.cpuMax),
    rssAvgMb: r2(s.rssSum / s.samples / 1024),
    rssMaxMb: r2(s.rssMax / 1024),
    fdsMax: s.fdsMax,
    threadsMax: s.threadsMax,
    voluntaryCtxSwitches: s.last.voluntaryCtx - s.first.voluntaryCtx,
    involuntaryCtxSwitches: s.last.involuntaryCtx - s.first.involuntaryCtx,
    readBytes: delta(s.first.readBytes, s.last.readBytes),
    writeBytes: delta(s.first.writeBytes, s.last.writeBytes),
  };
}
