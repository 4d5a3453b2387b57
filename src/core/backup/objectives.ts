/**
 * The recovery objectives of a stack's services: where each stands against its RPO (the age of
 * its newest good backup, the last verification telling which snapshots are damaged, plus its
 * last measured recovery), and how a measured recovery compares with each service's RTO.
 */
import type { LoadedStack } from '../config/load';
import type { HistoryData } from './history';
import type { SnapshotInfo } from './repo';
import type { ObjectiveResult, RpoServiceStatus } from '../contract/backups';

/** The newest snapshot holding `service` that the last verification did not find damaged. */
export function newestGood(snaps: SnapshotInfo[], service: string, damaged: Set<string>): SnapshotInfo | undefined {
  let best: SnapshotInfo | undefined;
  for (const s of snaps) {
    if (!s.services.includes(service) || damaged.has(s.id)) continue;
    if (!best || Date.parse(s.time) > Date.parse(best.time)) best = s;
  }
  return best;
}

/** Every service of the stack's profile against its RPO at `now`, given the snapshots and the history. */
export function rpoStatus(stack: LoadedStack, snaps: SnapshotInfo[], history: HistoryData, now: number): RpoServiceStatus[] {
  const damaged = new Set(history.lastVerify?.damagedSnapshots ?? []);
  return stack.services.map((s) => {
    const cfg = stack.config.services[s]!;
    const newest = newestGood(snaps, s, damaged);
    const rec = [...history.recoveries].reverse().find((r) => r.services.includes(s) && r.mode !== 'target');
    const ageMs = newest ? now - Date.parse(newest.time) : undefined;
    const obj = rec?.objectives.find((o) => o.service === s);
    return {
      service: s,
      ...(cfg.rpo !== undefined ? { rpoMs: cfg.rpo } : {}),
      ...(cfg.rto !== undefined ? { rtoMs: cfg.rto } : {}),
      ...(newest ? { newest: { snapshot: newest.id, time: newest.time, ageMs: ageMs! } } : {}),
      rpo: cfg.rpo === undefined ? 'none' : ageMs !== undefined && ageMs <= cfg.rpo ? 'ok' : 'breach',
      ...(rec ? { lastRecovery: { at: rec.at, kind: rec.kind, recoveryMs: rec.recoveryMs, ok: rec.ok, ...(obj?.withinRto !== undefined ? { withinRto: obj.withinRto } : {}) } } : {}),
    };
  });
}

/** A recovery of `services` that took `recoveryMs`, held against each one's RTO. */
export function recoveryObjectives(stack: LoadedStack, services: string[], recoveryMs: number): ObjectiveResult[] {
  return services.map((s) => {
    const rtoMs = stack.config.services[s]?.rto;
    return rtoMs === undefined ? { service: s, recoveryMs } : { service: s, rtoMs, recoveryMs, withinRto: recoveryMs <= rtoMs };
  });
}

/** For a recovery's event: the tightest RTO among the services that declare one, and whether every one was met. */
export function tightestRto(obj: ObjectiveResult[]): { rtoMs?: number; withinRto?: boolean } {
  const withRto = obj.filter((o) => o.rtoMs !== undefined);
  if (!withRto.length) return {};
  const tightest = withRto.reduce((a, b) => (b.rtoMs! < a.rtoMs! ? b : a));
  return { rtoMs: tightest.rtoMs!, withinRto: withRto.every((o) => o.withinRto) };
}
