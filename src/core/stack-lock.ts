/**
 * One owner per stack: the first engine to start creates `.opsdeck/run/engine.lock`
 * (exclusively) with its pid and start time. A lock whose pid is dead is stale and is taken
 * over, and the taker says so. Everyone else learns who owns the stack.
 */
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { OpsError } from './errors';
import { isAlive } from './os/process-info';

export interface LockInfo {
  pid: number;
  startedAt: number;
  /** What holds it: `up`, `daemon`, `extension`, or a one-shot command name. */
  owner: string;
  /** The control API socket, when the owner serves one. */
  socket?: string;
  version: string;
}

export interface AcquiredLock {
  info: LockInfo;
  /** Set when a dead owner's lock was taken over. */
  tookOverFrom?: LockInfo;
  release(): void;
}

export const runDir = (stackDir: string) => join(stackDir, '.opsdeck', 'run');
export const lockPath = (stackDir: string) => join(runDir(stackDir), 'engine.lock');
export const socketPath = (stackDir: string) => join(runDir(stackDir), 'engine.sock');

/** The current owner of the stack, or undefined when none is alive. */
export function readOwner(stackDir: string): LockInfo | undefined {
  const info = readLock(lockPath(stackDir));
  return info && isAlive(info.pid) ? info : undefined;
}

export function acquireLock(stackDir: string, info: Omit<LockInfo, 'pid' | 'startedAt'>): AcquiredLock {
  const path = lockPath(stackDir);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const mine: LockInfo = { pid: process.pid, startedAt: Date.now(), ...info };
  let tookOverFrom: LockInfo | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, JSON.stringify(mine, null, 2) + '\n');
      closeSync(fd);
      return { info: mine, ...(tookOverFrom ? { tookOverFrom } : {}), release: () => releaseIfMine(path, mine) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = readLock(path);
    if (holder && holder.pid !== process.pid && isAlive(holder.pid)) {
      throw new OpsError(
        'STACK_LOCKED',
        `this stack is already run by pid ${holder.pid} (${holder.owner}, since ${new Date(holder.startedAt).toISOString()})`,
        'use `opsdeck status` to talk to it, or `opsdeck down` to stop it first',
        holder,
      );
    }
    // Dead owner (or unreadable lock): stale. Remove it, unless someone replaced it meanwhile,
    // and retry the exclusive create.
    tookOverFrom = holder ?? tookOverFrom;
    if (readLock(path)?.startedAt === holder?.startedAt) rmSync(path, { force: true });
  }
  throw new OpsError('STACK_LOCKED', `could not take ${path}`, 'another engine is starting at the same moment; try again');
}

function readLock(path: string): LockInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
    return Number.isInteger(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

function releaseIfMine(path: string, mine: LockInfo): void {
  const holder = readLock(path);
  if (holder && holder.pid === mine.pid && holder.startedAt === mine.startedAt) rmSync(path, { force: true });
}
