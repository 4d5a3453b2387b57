/**
 * kill -9 of a supervised service, timed from just before the kill to (a) the supervisor listing a
 * new pid for it (asked through a PidLister) and (b) the service answering 200 on /health again
 * (asked by the bench itself, once the killed process is gone). One service per kill, each
 * a different one, so every kill is a first crash for its supervisor (no backoff for repeated
 * crashes in play); the same procedure and poll gap for every supervisor.
 */
import { alive, healthStatus, sleep, stats, type Stats } from './common';
import type { PidLister } from './pid-listers';

export interface KillTarget {
  name: string;
  port: number;
}

export interface KillSample {
  service: string;
  oldPid: number;
  newPid: number;
  /** kill → the supervisor lists a pid other than the killed one, ms */
  pidListedMs: number;
  /** kill → the service's /health answers 200 (from the new process), ms */
  healthyMs: number;
  /** questions to the supervisor until the new pid was listed */
  listPolls: number;
}

export interface KillSummary {
  samples: KillSample[];
  pidListed: Stats;
  healthy: Stats;
}

export interface KillOptions {
  kills: number;
  /** the pause between two questions (to the supervisor, and to /health), ms */
  pollMs: number;
  /** after a service is back: let the supervisor settle before the next kill, ms */
  pauseMs: number;
  timeoutMs: number;
  log?: (text: string) => void;
}

/** Kill `opts.kills` services of `targets` one after the other (SIGKILL to the listed pid) and time their return. */
export async function measureKills(tool: string, targets: KillTarget[], lister: PidLister, opts: KillOptions): Promise<KillSummary> {
  if (opts.kills > targets.length) throw new Error(`--kills ${opts.kills}: only ${targets.length} services to kill (one kill each)`);
  const samples: KillSample[] = [];
  for (const target of targets.slice(0, opts.kills)) {
    samples.push(await killOne(tool, target, lister, opts));
    await sleep(opts.pauseMs);
  }
  opts.log?.(`${tool}: ${samples.length} kills: new pid listed ${samples.map((s) => s.pidListedMs.toFixed(0)).join(' ')} ms; /health 200 ${samples.map((s) => s.healthyMs.toFixed(0)).join(' ')} ms`);
  return { samples, pidListed: stats(samples.map((s) => s.pidListedMs)), healthy: stats(samples.map((s) => s.healthyMs)) };
}

async function killOne(tool: string, target: KillTarget, lister: PidLister, opts: KillOptions): Promise<KillSample> {
  const oldPid = await lister.pidOf(target.name);
  if (oldPid === undefined || !alive(oldPid)) throw new Error(`${tool}: ${target.name} has no running process to kill (listed pid ${oldPid})`);
  if ((await healthStatus(target.port)) !== 200) throw new Error(`${tool}: ${target.name} does not answer 200 on /health before the kill`);
  const deadline = performance.now() + opts.timeoutMs;
  const overdue = (what: string) => {
    if (performance.now() > deadline) throw new Error(`${tool}: ${target.name} (pid ${oldPid} killed): ${what} not seen within ${opts.timeoutMs} ms`);
  };
  const t0 = performance.now();
  process.kill(oldPid, 'SIGKILL');

  const listed = (async () => {
    for (let polls = 1; ; polls++) {
      const pid = await lister.pidOf(target.name);
      const at = performance.now();
      if (pid !== undefined && pid !== oldPid) return { pid, ms: at - t0, polls };
      overdue('a new pid listed');
      await sleep(opts.pollMs);
    }
  })();
  const healthy = (async () => {
    // The killed process may answer for a moment after kill() returns: wait until it is gone.
    while (alive(oldPid)) {
      overdue('the killed process gone');
      await sleep(1);
    }
    for (;;) {
      if ((await healthStatus(target.port, 1000)) === 200) return performance.now() - t0;
      overdue('/health 200');
      await sleep(opts.pollMs);
    }
  })();
  const [l, h] = await Promise.all([listed, healthy]);
  return { service: target.name, oldPid, newPid: l.pid, pidListedMs: Math.round(l.ms * 10) / 10, healthyMs: Math.round(h * 10) / 10, listPolls: l.polls };
}
