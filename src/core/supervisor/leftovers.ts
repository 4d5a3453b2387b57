/**
 * Services left running by an engine that died without stopping them (kill -9, a crash, a
 * closed VS Code window): found through their records (service-records.ts) and stopped before a
 * new engine starts anything, so that no service runs twice or unsupervised. Their output pipes
 * died with the old engine, so they are stopped, not adopted: the stop signal to the process
 * group, the grace period, SIGKILL, then a check that every process is gone.
 */
import { sleep } from '../clock';
import type { ServiceConfig } from '../config/schema';
import { OpsError } from '../errors';
import { stopWaves } from '../graph';
import { isAlive, processStartTime } from '../os/process-info';
import { processTree, readProcessTable, type ProcInfo } from './process-table';
import { deleteFiles, deleteRecord, readRecords, type ServiceRecord } from './service-records';

/** A service of a dead engine that was found running and stopped. */
export interface Leftover {
  service: string;
  /** The service's main process (its group leader), as recorded. */
  pid: number;
  /** The engine that ran it. */
  enginePid: number;
  /** Every process of it that was found alive (the leader, its group, its descendants). */
  processes: number[];
  /** `stopped`: gone within the grace period after the stop signal; `killed`: SIGKILL was needed. */
  outcome: 'stopped' | 'killed';
}

export interface StopPolicy {
  /** The stop signal and grace period of a service (its configuration, or defaults for a service no longer configured). */
  stopOf(service: string): { signal: NodeJS.Signals; graceMs: number };
  /** The services in the order to stop them, as waves (dependents first). */
  waves(services: string[]): string[][];
}

/** How long the processes get to disappear after SIGKILL before the new engine gives up. */
const KILL_WAIT_MS = 5000;

/** The grace period for a leftover service that is no longer in the configuration. */
const UNCONFIGURED_GRACE_MS = 10_000;

/** Stop leftovers as the configuration says: each service's stop signal and grace, dependents first. */
export function stopPolicy(services: Record<string, ServiceConfig>): StopPolicy {
  return {
    stopOf: (service) => {
      const cfg = Object.hasOwn(services, service) ? services[service] : undefined;
      return cfg ? { signal: cfg.stop_signal, graceMs: cfg.stop_grace } : { signal: 'SIGTERM', graceMs: UNCONFIGURED_GRACE_MS };
    },
    waves: (names) => stopWaves(services, names.filter((s) => Object.hasOwn(services, s))),
  };
}

/**
 * Stop the services recorded under `.opsdeck/run/services/` by an engine that is no longer
 * running, and remove their records. Records of a live engine (this one, or another process
 * that still runs) are left alone; records of processes already gone are removed silently.
 * With `only`, just the services it accepts. Throws STACK_LOCKED when a process survives
 * SIGKILL: the new engine must not start then.
 */
export async function stopLeftovers(stackDir: string, policy: StopPolicy, only?: (service: string) => boolean): Promise<Leftover[]> {
  const found = new Map((await findLeftovers(stackDir)).filter((f) => !only || only(f.record.service)).map((f) => [f.record.service, f]));
  const stopped: Leftover[] = [];
  const survivors: string[] = [];
  for (const wave of leftoverWaves(policy, [...found.keys()])) {
    await Promise.all(
      wave.map(async (service) => {
        const { record, processes } = found.get(service)!;
        const { signal, graceMs } = policy.stopOf(service);
        const outcome = await stopGroup(record.pgid, processes, signal, graceMs);
        const left = processes.filter(isAlive);
        if (left.length) survivors.push(`${service}: pid ${left.join(', ')}`);
        else deleteRecord(stackDir, service);
        stopped.push({ service, pid: record.pid, enginePid: record.engine.pid, processes, outcome });
      }),
    );
  }
  if (survivors.length) {
    throw new OpsError(
      'STACK_LOCKED',
      `processes left running by a previous engine survived SIGKILL (${survivors.join('; ')})`,
      'they may be stuck in the kernel (state D) or belong to another user; stop them, then start the stack again',
    );
  }
  return stopped;
}

/** The order to stop leftovers in: services no longer configured first, then the policy's waves. */
export function leftoverWaves(policy: StopPolicy, services: string[]): string[][] {
  const inWaves = policy.waves(services);
  const known = new Set(inWaves.flat());
  return [services.filter((s) => !known.has(s)), ...inWaves].filter((w) => w.length > 0);
}

/**
 * The services of dead engines that still have processes alive, with those processes. Removes
 * the records of services whose processes are all gone, and files that are no records.
 */
export async function findLeftovers(stackDir: string): Promise<{ record: ServiceRecord; processes: number[] }[]> {
  const { records, unreadable } = readRecords(stackDir);
  deleteFiles(stackDir, unreadable);
  const orphaned = records.filter((r) => !engineAlive(r.engine));
  if (!orphaned.length) return [];
  const table = await readProcessTable().catch((): ProcInfo[] => []);
  const found: { record: ServiceRecord; processes: number[] }[] = [];
  for (const record of orphaned) {
    const processes = processesOf(record, table);
    if (processes.length) found.push({ record, processes });
    else deleteRecord(stackDir, record.service);
  }
  return found;
}

/**
 * One line for people: "stopped 2 services left running by the previous engine (pid 1234, no
 * longer running): web pid 1240, worker pid 1250 (SIGKILL after the grace period)".
 */
export function leftoverSummary(stopped: Leftover[]): string {
  const engines = [...new Set(stopped.map((l) => l.enginePid))];
  const parts = engines.map((pid) => {
    const mine = stopped.filter((l) => l.enginePid === pid);
    const list = mine.map((l) => `${l.service} pid ${l.pid}${l.outcome === 'killed' ? ' (SIGKILL after the grace period)' : ''}`).join(', ');
    return `${mine.length} service${mine.length === 1 ? '' : 's'} left running by the previous engine (pid ${pid}, no longer running): ${list}`;
  });
  return `stopped ${parts.join('; and ')}`;
}

/** Whether the engine of a record still runs: the same pid with the same start time (or ours). */
function engineAlive(engine: ServiceRecord['engine']): boolean {
  if (engine.pid === process.pid) return true;
  if (!isAlive(engine.pid)) return false;
  const now = processStartTime(engine.pid);
  return engine.startTime === undefined || now === undefined || now === engine.startTime;
}

/**
 * The processes of a recorded service still alive: the leader if it is the same process (same
 * start time), its group and its descendants. When the leader is gone, what is left of its group:
 * a pid is not reused while a process group of that id exists, so those are the service's. When
 * the pid now belongs to another process, the service's group is gone too.
 */
function processesOf(record: ServiceRecord, table: ProcInfo[]): number[] {
  const leader = table.find((p) => p.pid === record.pid);
  if (leader && (record.startTime === '' || processStartTime(record.pid) !== record.startTime)) return [];
  const mine = new Set([process.pid, process.ppid]);
  return processTree(table, record.pgid)
    .map((p) => p.pid)
    .filter((pid) => !mine.has(pid) && pid > 1);
}

/** The stop signal (and SIGCONT) to the group and every process, the grace, then SIGKILL; waits for all to be gone. */
async function stopGroup(pgid: number, processes: number[], signal: NodeJS.Signals, graceMs: number): Promise<Leftover['outcome']> {
  const send = (sig: NodeJS.Signals) => {
    // The group as one, and each process still alive that may have left it.
    for (const target of [-pgid, ...processes.filter(isAlive)]) {
      try {
        process.kill(target, sig);
      } catch {
        // gone already (or the group is empty)
      }
    }
  };
  send(signal);
  send('SIGCONT');
  const deadline = Date.now() + graceMs;
  while (processes.some(isAlive) && Date.now() < deadline) await sleep(Math.min(25, Math.max(1, deadline - Date.now())));
  if (!processes.some(isAlive)) return 'stopped';
  send('SIGKILL');
  const killDeadline = Date.now() + KILL_WAIT_MS;
  while (processes.some(isAlive) && Date.now() < killDeadline) await sleep(25);
  return 'killed';
}
