/**
 * Facts about one process, by its pid: whether it is alive, when it started (which tells it from
 * a later process with the same pid), and the fields of its /proc/PID/stat line on Linux. Low in
 * the engine so that the stack lock, the supervisor and the process table all use it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The fields of one /proc/PID/stat line, read by their number in proc(5) (3: state, 4: ppid, …). */
export interface ProcStat {
  /** Field n (n ≥ 3), undefined past the end of the line. */
  field(n: number): string | undefined;
}

/** A /proc/PID/stat line's fields. */
export function parseProcStat(line: string): ProcStat {
  // "pid (comm) state ppid …": comm may contain spaces and parentheses; rest[0] is field 3.
  const rest = line.slice(line.lastIndexOf(')') + 2).split(' ');
  return { field: (n) => rest[n - 3] };
}

/** The fields of /proc/PID/stat, read synchronously (procfs is in memory); undefined when there is no such process (or no /proc). */
export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The process exists and is not a zombie (which has exited and holds nothing). */
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
  return process.platform === 'linux' && readProcStat(pid)?.field(3) === 'Z';
}

/**
 * When a process started, as a string that differs for a later process with the same pid, or
 * undefined when it does not exist (or the platform cannot say). Linux: field 22 of
 * /proc/PID/stat (clock ticks since boot); elsewhere `ps -o lstart=` (to the second).
 */
export function processStartTime(pid: number): string | undefined {
  if (process.platform === 'linux') return readProcStat(pid)?.field(22);
  try {
    const out = execFileSync('ps', PS_ARGS(pid), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
    return out || undefined;
  } catch {
    return undefined;
  }
}

/** The same without blocking: on Linux at once, elsewhere when `ps` has answered. */
export function processStartTimeAsync(pid: number, done: (startTime: string | undefined) => void): void {
  if (process.platform === 'linux') return done(readProcStat(pid)?.field(22));
  execFile('ps', PS_ARGS(pid), { encoding: 'utf8', timeout: 5000 }, (err, out) => done(err ? undefined : out.trim() || undefined));
}

const PS_ARGS = (pid: number) => ['-o', 'lstart=', '-p', String(pid)];
