/**
 * A snapshot of the machine's processes (pid, parent, group, RSS), read from /proc on Linux and
 * from `ps` elsewhere. One snapshot serves every service of a sampling tick.
 */
import { readdir, readFile } from 'node:fs/promises';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  rssKb: number;
  /**
   * CPU time (user + system) the process has used so far, in ms. Undefined when the platform's
   * table does not give it. Added for metrics (CPU % from deltas between two tables).
   */
  cpuMs?: number;
}

export async function readProcessTable(): Promise<ProcInfo[]> {
  return process.platform === 'linux' ? readProc() : readPs();
}

async function readProc(): Promise<ProcInfo[]> {
  const entries = await readdir('/proc');
  const out: ProcInfo[] = [];
  await Promise.all(
    entries.map(async (name) => {
      if (!/^\d+$/.test(name)) return;
      try {
        const stat = await readFile(`/proc/${name}/stat`, 'utf8');
        // pid (comm) state ppid pgrp ... ; comm may contain spaces and parentheses.
        const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const rssPages = Number(rest[21]);
        const info: ProcInfo = { pid: Number(name), ppid: Number(rest[1]), pgid: Number(rest[2]), rssKb: rssPages * pageKb() };
        // utime and stime (fields 14 and 15 of stat), in clock ticks.
        const ticks = Number(rest[11]) + Number(rest[12]);
        if (Number.isFinite(ticks)) info.cpuMs = (ticks * 1000) / clockTicks();
        out.push(info);
      } catch {
        // The process exited while we read: skip it.
      }
    }),
  );
  return out;
}
let pageKbCache: number | undefined;
function pageKb(): number {
  if (pageKbCache === undefined) {
    try {
      pageKbCache = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()) / 1024 || 4;
    } catch {
      pageKbCache = 4;
    }
  }
  return pageKbCache;
}

let clockTicksCache: number | undefined;
/** Clock ticks per second (USER_HZ), the unit of utime and stime in /proc/<pid>/stat. */
function clockTicks(): number {
  if (clockTicksCache === undefined) {
    try {
      clockTicksCache = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicksCache = 100;
    }
  }
  return clockTicksCache;
}

async function readPs(): Promise<ProcInfo[]> {
  const { stdout } = await promisify(execFile)('ps', ['-A', '-o', 'pid=,ppid=,pgid=,rss=,time=']);
  return stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .map((f) => ({ nums: f.slice(0, 4).map(Number), time: f[4] }))
    .filter(({ nums }) => nums.length === 4 && nums.every((n) => Number.isFinite(n)))
    .map(({ nums: [pid, ppid, pgid, rssKb], time }) => {
      const info: ProcInfo = { pid: pid!, ppid: ppid!, pgid: pgid!, rssKb: rssKb! };
      const cpuMs = time === undefined ? undefined : parseCpuTime(time);
      if (cpuMs !== undefined) info.cpuMs = cpuMs;
      return info;
    });
}

/**
 * The cumulative CPU time `ps -o time=` prints, in ms: `[[dd-]hh:]mm:ss[.frac]` (procps prints
 * `00:01:02` or `1-02:03:04`, BSD/macOS prints `1:02.34`). Undefined when it is not one of these.
 */
export function parseCpuTime(text: string): number | undefined {
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$/.exec(text.trim());
  if (!m) return undefined;
  const [, days = '0', hours = '0', minutes = '0', seconds = '0'] = m;
  return Math.round((((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000);
}

/** The root and all its descendants, plus anything else in the root's process group. */
export function processTree(table: ProcInfo[], rootPid: number): ProcInfo[] {
  const children = new Map<number, ProcInfo[]>();
  for (const p of table) (children.get(p.ppid) ?? children.set(p.ppid, []).get(p.ppid)!).push(p);
  const seen = new Map<number, ProcInfo>();
  const queue = table.filter((p) => p.pid === rootPid || p.pgid === rootPid);
  while (queue.length) {
    const p = queue.shift()!;
    if (seen.has(p.pid)) continue;
    seen.set(p.pid, p);
    queue.push(...(children.get(p.pid) ?? []));
  }
  return [...seen.values()];
}

export const treeRssMb = (tree: ProcInfo[]) => tree.reduce((s, p) => s + p.rssKb, 0) / 1024;

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A zombie has exited and only waits to be reaped by its parent: it holds nothing. */
function isZombie(pid: number): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}
