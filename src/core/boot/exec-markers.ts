/**
 * What `opsdeck exec --name SERVICE` records of the process it runs, for other services'
 * `--wait-for SERVICE:started|completed` (launchd and cron have no dependency model):
 * `.opsdeck/run/exec/SERVICE.json` with its pid, state and exit code, and the boot it belongs to,
 * so a record left by the last boot never counts.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isAlive } from '../os/process-info';

export interface ExecMarker {
  pid: number;
  state: 'started' | 'completed' | 'exited';
  code?: number | null;
  boot: string;
  at: number;
}

const markerPath = (stackDir: string, service: string) => path.join(stackDir, '.opsdeck', 'run', 'exec', `${service}.json`);

/** This boot: the kernel's boot id on Linux, else the minute the machine booted. */
export function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return `boot-${Math.round((Date.now() - os.uptime() * 1000) / 60_000)}`;
  }
}

export function writeExecMarker(stackDir: string, service: string, m: Omit<ExecMarker, 'boot' | 'at'>): void {
  const file = markerPath(stackDir, service);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...m, boot: bootId(), at: Date.now() }) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

/** The service's record of this boot, if any. */
export function readExecMarker(stackDir: string, service: string): ExecMarker | undefined {
  try {
    const m = JSON.parse(readFileSync(markerPath(stackDir, service), 'utf8')) as ExecMarker;
    return m.boot === bootId() ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Started: its process runs now (or it has completed). Completed: it exited 0. */
export function markerSays(m: ExecMarker | undefined, want: 'started' | 'completed'): boolean {
  if (!m) return false;
  if (want === 'completed') return m.state === 'completed';
  return m.state === 'completed' || (m.state === 'started' && isAlive(m.pid));
}
