/**
 * A snapshot of the machine's processes (pid, parent, group, RSS), read from /proc on Linux and
 * from `ps` elsewhere. One snapshot serves every service of a sampling tick. ProcessReader reads
 * only the supervised processes and their descendants, for the periodic samples.
 */
import { readdir, readFile } from 'node:fs/promises';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { parseProcStat, type ProcStat } from '../os/process-info';
import { ProcFiles } from '../os/proc-files';

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
        out.push(procInfo(Number(name), parseProcStat(await readFile(`/proc/${name}/stat`, 'utf8'))));
      } catch {
        // The process exited while we read: skip it.
      }
    }),
  );
  return out;
}

/** The process of one /proc/<pid>/stat line: ppid (field 4), pgrp (5), rss (24, in pages), utime + stime (14, 15). */
function procInfo(pid: number, stat: ProcStat): ProcInfo {
  const rssPages = Number(stat.field(24));
  const info: ProcInfo = { pid, ppid: Number(stat.field(4)), pgid: Number(stat.field(5)), rssKb: rssPages * pageKb() };
  // utime and stime, in clock ticks.
  const ticks = Number(stat.field(14)) + Number(stat.field(15));
  if (Number.isFinite(ticks)) info.cpuMs = (ticks * 1000) / clockTicks();
  return info;
}

/** Every FULL_SCAN_EVERY-th read of a ProcessReader reads the whole table. */
export const FULL_SCAN_EVERY = 12;

/**
 * Reads the supervised processes (the roots) and their descendants, for periodic sampling. On
 * Linux it walks down from each root through /proc/<pid>/task/<tid>/children: a few small reads
 * per process of the stack, synchronous (procfs is in memory; a read costs microseconds, its
 * asynchronous round trip many times that), instead of one per process of the machine, on
 * files kept open from one read to the next (ProcFiles: one pread each).
 *
 * Every FULL_SCAN_EVERY-th read is a whole table instead, as is every read where the kernel has
 * no children files (CONFIG_PROC_CHILDREN) and on other platforms. A whole table also shows the
 * members of a root's process group that are no descendants of it any more (their parent exited
 * and they were re-parented): those are walked as roots too from then on, so processTree() finds
 * the same trees in either kind of read.
 *
 * A read younger than `maxAgeMs` (on the reader's clock), or still in progress, is shared: the
 * memory-limit sampler and the metrics collector read once when their ticks meet.
 */
export class ProcessReader {
  private reads = 0;
  private strays = new Set<number>();
  private last: SharedRead | undefined;
  private readonly files = new ProcFiles();
  /** Each multi-threaded process's threads as last listed, by pid (see ThreadLists). */
  private threads: ThreadLists = new Map();

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly walk: boolean = childrenFilesAvailable(),
  ) {}

  /** The roots and their descendants (a whole table every so often, see above). */
  read(roots: readonly number[], maxAgeMs = 0): Promise<ProcInfo[]> {
    const key = roots.join(',');
    const last = this.last;
    if (last && last.roots === key && (!last.done || this.now() - last.at <= maxAgeMs)) return last.table;
    const read: SharedRead = { at: this.now(), roots: key, table: this.readNow(roots), done: false };
    void read.table.finally(() => (read.done = true)).catch(() => undefined);
    this.last = read;
    return read.table;
  }

  /** Closes the /proc files kept open between reads. */
  close(): void {
    this.files.closeAll();
  }

  private async readNow(roots: readonly number[]): Promise<ProcInfo[]> {
    if (this.walk && this.reads++ % FULL_SCAN_EVERY !== 0) {
      const seen: ThreadLists = new Map();
      const trees = walkTrees([...roots, ...this.strays], this.files, this.threads, seen);
      this.files.sweep();
      this.threads = seen;
      return trees;
    }
    // A whole table: the thread lists are made afresh by the next walk.
    this.threads = new Map();
    const table = await readProcessTable();
    if (this.walk) this.strays = groupStrays(table, roots);
    return table;
  }
}

/** A read of a ProcessReader: when it started, of which roots, and whether it has finished. */
interface SharedRead {
  at: number;
  roots: string;
  table: Promise<ProcInfo[]>;
  done: boolean;
}

/** Whether this kernel lists a thread's children in /proc/<pid>/task/<tid>/children. */
function childrenFilesAvailable(): boolean {
  return process.platform === 'linux' && existsSync(`/proc/${process.pid}/task/${process.pid}/children`);
}

/**
 * A process's threads (the names in /proc/<pid>/task) with the thread count (field 20 of its
 * stat) when they were listed. A walk lists them again only when the count has changed, and
 * after each whole-table read: a child started by a thread that replaced another one (the same
 * count, or a new process with a pid and thread count seen before) since the last whole table is
 * found at the next (within FULL_SCAN_EVERY reads); every other child at once.
 */
type ThreadLists = Map<number, { count: number; tids: string[] }>;

/** The roots and all their descendants, read from /proc. A process that exits meanwhile is left out. */
function walkTrees(roots: readonly number[], files: ProcFiles, known: ThreadLists, seen: ThreadLists): ProcInfo[] {
  const out = new Map<number, ProcInfo>();
  const todo = [...roots];
  while (todo.length) {
    const pid = todo.pop()!;
    if (out.has(pid)) continue;
    try {
      const line = files.read(`/proc/${pid}/stat`);
      if (line === undefined) continue; // it exited meanwhile
      const stat = parseProcStat(line);
      out.set(pid, procInfo(pid, stat));
      // Each thread has its own children; a single-threaded process needs no listing of its threads (num_threads: field 20).
      const tids = threadsOf(pid, Number(stat.field(20)), known, seen);
      for (const tid of tids) {
        const children = files.read(`/proc/${pid}/task/${tid}/children`);
        if (children === undefined) continue; // the thread ended meanwhile
        for (const c of children.split(' ')) if (c.trim()) todo.push(Number(c));
      }
    } catch {
      // The process exited while we read: skip it.
    }
  }
  return [...out.values()];
}

/** The threads of `pid` (`count` of them): as listed before when the count is the same. */
function threadsOf(pid: number, count: number, known: ThreadLists, seen: ThreadLists): string[] {
  // A single-threaded process needs no listing of its threads.
  if (count === 1) return [String(pid)];
  let list = known.get(pid);
  if (list?.count !== count) list = { count, tids: readdirSync(`/proc/${pid}/task`) };
  seen.set(pid, list);
  return list.tids;
}

/** Members of a root's process group that are not the root's descendants (re-parented away). */
function groupStrays(table: ProcInfo[], roots: readonly number[]): Set<number> {
  const strays = new Set<number>();
  for (const root of roots) {
    const inTree = new Set(processTree(table, root).map((p) => p.pid));
    const descendants = new Set(descendantsOf(table, root));
    for (const pid of inTree) if (!descendants.has(pid)) strays.add(pid);
  }
  return strays;
}

/** The root and its descendants by parent links alone. */
function descendantsOf(table: ProcInfo[], root: number): number[] {
  return walkDown(table, table.filter((p) => p.pid === root)).map((p) => p.pid);
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
  return walkDown(table, table.filter((p) => p.pid === rootPid || p.pgid === rootPid));
}

/** `start` and every process below them by parent links, each once. */
function walkDown(table: ProcInfo[], start: ProcInfo[]): ProcInfo[] {
  const children = new Map<number, ProcInfo[]>();
  for (const p of table) (children.get(p.ppid) ?? children.set(p.ppid, []).get(p.ppid)!).push(p);
  const seen = new Map<number, ProcInfo>();
  const queue = [...start];
  while (queue.length) {
    const p = queue.shift()!;
    if (seen.has(p.pid)) continue;
    seen.set(p.pid, p);
    queue.push(...(children.get(p.pid) ?? []));
  }
  return [...seen.values()];
}

export const treeRssMb = (tree: ProcInfo[]) => tree.reduce((s, p) => s + p.rssKb, 0) / 1024;
