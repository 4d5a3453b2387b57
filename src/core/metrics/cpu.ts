/**
 * CPU % of a process tree from two readings of the process table: the CPU time the tree's
 * processes used between the readings, divided by the time between them. 100 % is one core
 * fully busy; a tree busy on several cores goes above 100 (as in `top`).
 *
 * The previous reading is kept for every pid of the table, not only the trees', so a process
 * that appeared between two readings (a new child, a restarted service) is recognised as new
 * and its whole CPU time counts for the interval. CPU time of children that exited between two
 * readings is not counted (it moves to the parent's `cutime`, which is not read).
 */
import type { ProcInfo } from '../supervisor/process-table';

export class CpuMeter {
  private prev = new Map<number, number>();
  private prevAt: number | undefined;
  private cur = new Map<number, number>();
  private curAt: number | undefined;

  /** Record a whole-table reading taken at `now` (ms). An empty table (a failed read) is ignored. */
  observe(table: readonly ProcInfo[], now: number): void {
    if (table.length === 0) return;
    const next = new Map<number, number>();
    for (const p of table) if (p.cpuMs !== undefined) next.set(p.pid, p.cpuMs);
    if (next.size === 0) return;
    this.prev = this.cur;
    this.prevAt = this.curAt;
    this.cur = next;
    this.curAt = now;
  }

  /**
   * CPU % of `tree` (processes of the latest reading) between the last two readings; undefined
   * after the first reading, when time did not advance, or when the table has no CPU times.
   */
  percent(tree: readonly ProcInfo[]): number | undefined {
    if (this.prevAt === undefined || this.curAt === undefined || this.curAt <= this.prevAt || tree.length === 0) return undefined;
    let usedMs = 0;
    for (const p of tree) {
      const now = this.cur.get(p.pid);
      if (now === undefined) return undefined;
      // A pid reused by another process can look like time going backwards: count nothing.
      usedMs += Math.max(0, now - (this.prev.get(p.pid) ?? 0));
    }
    return (usedMs / (this.curAt - this.prevAt)) * 100;
  }
}
