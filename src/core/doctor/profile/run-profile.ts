/**
 * `opsdeck doctor profile SERVICE`: the service's process tree sampled from /proc for a while
 * (tree-sampler.ts) and, when one of its processes is Node, a V8 CPU profile of it taken at the
 * same time (cpu-profile.ts), written under `.opsdeck/profiles/`. Linux only (/proc).
 */
import { join } from 'node:path';
import { assertServiceName, type LoadedStack } from '../../config/load';
import type { ProfileReport } from '../../contract/doctor';
import { OpsError } from '../../errors';
import { privateDir } from '../../private-files';
import { processTree, readProcessTable } from '../../supervisor/process-table';
import { runningPids } from '../context';
import { isNodeProcess, takeCpuProfile } from './cpu-profile';
import { sampleTree } from './tree-sampler';

export interface ProfileOptions {
  durationMs?: number;
  /** Sampling period of /proc (default 50 ms: 20 samples a second). */
  intervalMs?: number;
  /** Take a V8 CPU profile of a Node service (default true). */
  cpuProfile?: boolean;
  /** Where the .cpuprofile goes (default `.opsdeck/profiles/<service>-<time>.cpuprofile`). */
  file?: string;
}

export const DEFAULT_PROFILE_MS = 30_000;

export async function profileService(stack: LoadedStack, service: string, opts: ProfileOptions = {}): Promise<ProfileReport> {
  assertServiceName(stack, service);
  if (process.platform !== 'linux') throw new OpsError('NOT_AVAILABLE', 'profiling reads /proc, which only Linux has', 'run it on Linux');
  const pid = runningPids(stack.dir).get(service);
  if (pid === undefined) throw new OpsError('BAD_REQUEST', `service ${service} is not running: there is nothing to profile`, `start it first: opsdeck up ${service}`);
  const durationMs = opts.durationMs ?? DEFAULT_PROFILE_MS;
  const intervalMs = opts.intervalMs ?? 50;
  const tree = processTree(await readProcessTable(), pid).map((p) => p.pid);
  const nodePid = opts.cpuProfile === false ? undefined : tree.find(isNodeProcess);
  let file = opts.file;
  if (nodePid !== undefined && !file) {
    const dir = join(stack.dir, '.opsdeck', 'profiles');
    privateDir(dir);
    file = join(dir, `${service}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
  }
  const [samples, cpu] = await Promise.all([
    sampleTree(pid, durationMs, intervalMs),
    nodePid !== undefined ? takeCpuProfile(nodePid, durationMs, file!).catch((e: Error) => e) : Promise.resolve(undefined),
  ]);
  const skipped = opts.cpuProfile === false ? 'not asked for' : nodePid === undefined ? 'no Node process in the service\'s tree' : cpu instanceof Error ? `the inspector failed: ${cpu.message}` : undefined;
  return {
    service,
    pid,
    durationMs,
    intervalMs,
    samples: samples.samples,
    processes: samples.processes,
    total: {
      cpuAvgPercent: Math.round(samples.processes.reduce((s, p) => s + p.cpuAvgPercent, 0) * 100) / 100,
      rssMaxMb: Math.round(samples.processes.reduce((s, p) => s + p.rssMaxMb, 0) * 100) / 100,
      processes: samples.processes.length,
    },
    ...(cpu && !(cpu instanceof Error) ? { cpuProfile: cpu } : {}),
    ...(skipped ? { cpuProfileSkipped: skipped } : {}),
  };
}
