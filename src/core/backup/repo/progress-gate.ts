/**
 * How often a backup, restore or verify reports its progress: a forced report (a phase change, the
 * last of a phase) always goes out, any other at most every `intervalMs` after the last that went.
 */
export function progressGate(intervalMs = 200): (now: number, force?: boolean) => boolean {
  let last = -Infinity;
  return (now, force = false) => {
    if (!force && now - last < intervalMs) return false;
    last = now;
    return true;
  };
}
