/** Free space of the volume holding a folder, in % of its size (what the disk_low rule watches). */
import { statfsSync } from 'node:fs';

export function diskFreePercent(dir: string): number | undefined {
  try {
    const s = statfsSync(dir);
    return s.blocks > 0 ? (s.bavail / s.blocks) * 100 : undefined;
  } catch {
    return undefined;
  }
}
