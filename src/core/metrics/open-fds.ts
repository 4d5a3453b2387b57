/**
 * Open file descriptors of a process tree: the entries of /proc/<pid>/fd on Linux. Other
 * platforms have no cheap way to count them, so the count is undefined there.
 */
import { readdir } from 'node:fs/promises';

/** Open descriptors of one process; undefined when they cannot be read (other platform, other user, exited). */
export async function openFds(pid: number): Promise<number | undefined> {
  if (process.platform !== 'linux') return undefined;
  try {
    return (await readdir(`/proc/${pid}/fd`)).length;
  } catch {
    return undefined;
  }
}

/** Sum over the processes that could be read; undefined when none could. */
export async function treeOpenFds(pids: readonly number[], count: (pid: number) => Promise<number | undefined> = openFds): Promise<number | undefined> {
  const counts = await Promise.all(pids.map((pid) => count(pid).catch(() => undefined)));
  const known = counts.filter((c): c is number => c !== undefined);
  return known.length ? known.reduce((a, b) => a + b, 0) : undefined;
}
