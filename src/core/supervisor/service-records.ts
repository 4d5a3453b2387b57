/**
 * The record of each running service process under `.opsdeck/run/services/<name>.json`: its pid,
 * process group, and start time (which tells a pid that was reused from the one recorded), and
 * the engine process that runs it. Written atomically (owner-only) when a process is spawned,
 * removed once it and its group are gone. A later engine reads them to find the services of an
 * engine that died without stopping them (see leftovers.ts).
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { processStartTime, processStartTimeAsync } from '../os/process-info';

export interface ServiceRecord {
  service: string;
  pid: number;
  /** The process group: the service's own (it is spawned as a session and group leader). */
  pgid: number;
  /** The process's start time (see processStartTime in os/process-info.ts): equal only for the same process. */
  startTime: string;
  /** When it was spawned (ms since the epoch). */
  startedAt: number;
  /** The engine process that spawned and supervises it. */
  engine: { pid: number; startTime: string | undefined };
}

export const recordsDir = (stackDir: string) => join(stackDir, '.opsdeck', 'run', 'services');

let ownStartTime: string | undefined;
/** This process's start time (read once). */
export function engineIdentity(): ServiceRecord['engine'] {
  ownStartTime ??= processStartTime(process.pid);
  return { pid: process.pid, startTime: ownStartTime };
}

/** The records of one stack's running services, kept by the engine that runs them. */
export class ServiceRecords {
  /** The process of each service being recorded or recorded, so that a record is not written after its removal. */
  private readonly current = new Map<string, number>();

  constructor(readonly stackDir: string) {}

  /** Record a service's new process (replacing its previous record). Never throws: a record is a safety net. */
  add(service: string, pid: number): void {
    this.current.set(service, pid);
    const startedAt = Date.now();
    // Written once the turn that spawned the process is over (a few file operations, ~0.2 ms):
    // the engine answers who runs now (status, events) first; the record is for a later engine.
    setImmediate(() =>
      processStartTimeAsync(pid, (startTime) => {
        // Gone already (then there is nothing to record), or removed or replaced meanwhile.
        if (startTime === undefined || this.current.get(service) !== pid) return;
        try {
          writeRecord(this.stackDir, { service, pid, pgid: pid, startTime, startedAt, engine: engineIdentity() });
        } catch {
          // A read-only or full disk must not stop the service from running.
        }
      }),
    );
  }

  /** Forget a service's process, if it is still the one recorded. */
  remove(service: string, pid: number): void {
    if (this.current.get(service) === pid) this.current.delete(service);
    const path = join(recordsDir(this.stackDir), `${service}.json`);
    try {
      if (readRecord(path)?.pid === pid) rmSync(path, { force: true });
    } catch {
      // as above: never in the way of supervising
    }
  }
}

/**
 * Write `<dir>/<service>.json` atomically: a temporary file (0600) renamed over it. Not synced to
 * disk: a record matters only while the machine runs (a reboot ends its processes anyway).
 */
export function writeRecord(stackDir: string, record: ServiceRecord): void {
  const dir = recordsDir(stackDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${record.service}.json`);
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(record, null, 2) + '\n');
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Every record of the stack that can be read; unreadable ones come back as their file names. */
export function readRecords(stackDir: string): { records: ServiceRecord[]; unreadable: string[] } {
  const dir = recordsDir(stackDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return { records: [], unreadable: [] };
  }
  const records: ServiceRecord[] = [];
  const unreadable: string[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const record = readRecord(join(dir, name));
    if (record) records.push(record);
    else unreadable.push(name);
  }
  return { records, unreadable };
}

/** Remove the record file of `service` (and any temporary file an interrupted write left). */
export function deleteRecord(stackDir: string, service: string): void {
  rmSync(join(recordsDir(stackDir), `${service}.json`), { force: true });
}

/** Remove files of the records folder that are not records (unreadable, or left by an interrupted write). */
export function deleteFiles(stackDir: string, names: string[]): void {
  for (const n of names) rmSync(join(recordsDir(stackDir), n), { force: true });
  try {
    for (const n of readdirSync(recordsDir(stackDir))) if (n.endsWith('.tmp')) rmSync(join(recordsDir(stackDir), n), { force: true });
  } catch {
    // no folder: nothing to tidy
  }
}

function readRecord(path: string): ServiceRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(path, 'utf8')) as ServiceRecord;
    const ok =
      typeof r.service === 'string' && Number.isInteger(r.pid) && r.pid > 1 && Number.isInteger(r.pgid) && r.pgid > 1 &&
      typeof r.startTime === 'string' && typeof r.engine === 'object' && r.engine !== null && Number.isInteger(r.engine.pid);
    return ok ? r : undefined;
  } catch {
    return undefined;
  }
}
