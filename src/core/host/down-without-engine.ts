/**
 * `opsdeck down` when no engine owns the stack: stop (or, with dryRun, list) the services a dead
 * engine left running (kill -9, a closed window), found through their records, holding the stack
 * lock meanwhile so that no engine starts in between.
 */
import { loadConfig } from '../config/load';
import type { PlanResult, PlanStep } from '../contract/status';
import { acquireLock } from '../stack-lock';
import { findLeftovers, leftoverSummary, leftoverWaves, stopLeftovers, stopPolicy } from '../supervisor/leftovers';
import { readRecords } from '../supervisor/service-records';

export async function downWithoutEngine(dir: string, services: string[], dryRun: boolean, version: string): Promise<{ result: PlanResult; note?: string }> {
  if (!readRecords(dir).records.length) return { result: { dryRun, plan: [] } };
  const stack = await loadConfig(dir);
  const only = (s: string) => !services.length || services.includes(s);
  const policy = stopPolicy(stack.config.services);
  const lock = acquireLock(dir, { owner: 'down', version });
  try {
    const found = (await findLeftovers(dir)).map((f) => f.record.service).filter(only);
    const plan: PlanStep[] = leftoverWaves(policy, found).flatMap((wave, i) => wave.map((service) => ({ action: 'stop' as const, service, wave: i, reason: 'left running by an engine that died' })));
    if (dryRun || !plan.length) return { result: { dryRun, plan } };
    const stopped = await stopLeftovers(dir, policy, only);
    return { result: { dryRun, plan }, ...(stopped.length ? { note: leftoverSummary(stopped) } : {}) };
  } finally {
    lock.release();
  }
}
