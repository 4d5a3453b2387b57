/**
 * What every doctor check gets: the stack (its config as loaded), the services looked at, where
 * the logs are, the time, the log window, and the pid of each service that runs now (from the
 * records the engine keeps under .opsdeck/run/services, so it works with or without an engine).
 */
import { join } from 'node:path';
import type { LoadedStack } from '../config/load';
import { processStartTime } from '../os/process-info';
import { readRecords } from '../supervisor/service-records';

export interface DoctorContext {
  stack: LoadedStack;
  /** The services looked at (the connection, config and log checks are about these). */
  services: string[];
  logDir: string;
  now: number;
  /** How far back the log analysis looks (ms). */
  windowMs: number;
  /** The pid of each service running now. */
  pids: Map<string, number>;
}

export const DEFAULT_LOG_WINDOW_MS = 24 * 3600_000;

export function doctorContext(stack: LoadedStack, opts: { services?: readonly string[]; windowMs?: number; now?: number } = {}): DoctorContext {
  return {
    stack,
    services: opts.services?.length ? [...opts.services] : Object.keys(stack.config.services),
    logDir: join(stack.dir, '.opsdeck', 'logs'),
    now: opts.now ?? Date.now(),
    windowMs: opts.windowMs ?? DEFAULT_LOG_WINDOW_MS,
    pids: runningPids(stack.dir),
  };
}

/** The services' processes that run now: a record whose pid lives with the start time recorded. */
export function runningPids(stackDir: string): Map<string, number> {
  const pids = new Map<string, number>();
  for (const r of readRecords(stackDir).records) {
    if (processStartTime(r.pid) === r.startTime) pids.set(r.service, r.pid);
  }
  return pids;
}
