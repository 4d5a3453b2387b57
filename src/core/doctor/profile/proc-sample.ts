/**
 * One sample of one process from Linux's /proc: CPU time, RSS, threads (stat), context switches
 * (status), open file descriptors (fd), storage I/O bytes (io, when readable). Undefined when the
 * process is gone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseProcStat } from '../../os/process-info';

export interface ProcSample {
  pid: number;
  ppid: number;
  pgid: number;
  /** user + system CPU time so far, in clock ticks. */
  cpuTicks: number;
  rssKb: number;
  threads: number;
  voluntaryCtx: number;
  involuntaryCtx: number;
  fds: number | null;
  readBytes: number | null;
  writeBytes: number | null;
}

const PAGE_KB = 4; // x86-64 and arm64 Linux; RSS in pages × 4 KiB

export function sampleProcess(pid: number): ProcSample | undefined {
  let stat;
  let status: string;
  try {
    stat = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const field = (name: string) => Number(new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  let fds: number | null = null;
  try {
    fds = readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    // not ours to list
  }
  let readBytes: number | null = null;
  let writeBytes: number | null = null;
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    readBytes = Number(/^read_bytes:\s*(\d+)/m.exec(io)?.[1] ?? 0);
    writeBytes = Number(/^write_bytes:\s*(\d+)/m.exec(io)?.[1] ?? 0);
  } catch {
    // /proc/PID/io needs ptrace access
  }
  return {
    pid,
    ppid: Number(stat.field(4)),
    pgid: Number(stat.field(5)),
    cpuTicks: Number(stat.field(14)) + Number(stat.field(15)),
    rssKb: Number(stat.field(24)) * PAGE_KB,
    threads: Number(stat.field(20)),
    voluntaryCtx: field('voluntary_ctxt_switches'),
    involuntaryCtx: field('nonvoluntary_ctxt_switches'),
    fds,
    readBytes,
    writeBytes,
  };
}
