/**
 * Reloading opsdeck.yaml into a running engine: what differs between the stack the engine runs
 * and the file as it is now, per service, and the plan that reconciles them (like a profile
 * switch): stop what the file removed or the profile no longer runs (dependents first), restart
 * what runs with a changed command, environment, folder or probes (saying what changed), start
 * what the file or the profile added while the stack runs. Unchanged services are left alone.
 */
import { effectiveEnv, type LoadedStack } from './config/load';
import type { ServiceConfig } from './config/schema';
import type { PlanStep } from './contract/status';
import { startWaves, stopWaves } from './graph';

/**
 * The keys of a service that its process (ServiceRunner) was made with: a change to one of them
 * needs a new runner, and a restart when it runs. The others (tier, depends_on, ipc, backup,
 * rpo, rto, description) are read from the stack's config where they are used.
 */
const RUNNER_KEYS = ['command', 'shell', 'cwd', 'health', 'restart', 'limits', 'stop_signal', 'stop_grace'] as const satisfies readonly (keyof ServiceConfig)[];

/** How a changed key is named in a plan's reason. */
const KEY_WORDS: Partial<Record<(typeof RUNNER_KEYS)[number], string>> = { health: 'probes', restart: 'restart policy' };

/** What changed for `service` between `from` and `to` in what its process was made with (empty: nothing). */
export function runnerChanges(from: LoadedStack, to: LoadedStack, service: string): string[] {
  const before = from.config.services[service];
  const after = to.config.services[service];
  if (!before || !after) return [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const changed: string[] = RUNNER_KEYS.filter((k) => !same(before[k], after[k])).map((k) => KEY_WORDS[k] ?? k);
  // The environment as the process gets it (the service's, the profile's and its overrides), named after the command.
  if (!same(effectiveEnv(from, service), effectiveEnv(to, service))) changed.splice(changed[0] === 'command' ? 1 : 0, 0, 'env');
  return changed;
}

/** The services of `to` whose process must be made anew (a changed runner key or environment). */
export function changedServices(from: LoadedStack, to: LoadedStack): string[] {
  return Object.keys(to.config.services).filter((s) => runnerChanges(from, to, s).length > 0);
}

/**
 * The plan of a reload from `from` (what the engine runs, `running` being the services up now)
 * to `to` (the file read again, with the active profile applied). New services are started
 * only while the stack runs (some service is up).
 */
export function reloadPlan(from: LoadedStack, to: LoadedStack, running: string[]): PlanStep[] {
  const inFile = (s: string) => Object.hasOwn(to.config.services, s);
  const stopReason = (s: string) => (inFile(s) ? `not in profile ${to.profile} any more` : 'removed from opsdeck.yaml');
  const stop = running.filter((s) => !inFile(s) || !to.services.includes(s));
  const restart = running.filter((s) => !stop.includes(s) && runnerChanges(from, to, s).length > 0);
  const isNew = (s: string) => !Object.hasOwn(from.config.services, s) || !from.services.includes(s);
  const start = running.length ? to.services.filter((s) => !running.includes(s) && isNew(s)) : [];
  const steps: PlanStep[] = [];
  stopWaves(from.config.services, stop).forEach((wave, i) => wave.forEach((service) => steps.push({ action: 'stop', service, wave: i, reason: stopReason(service) })));
  startWaves(to.config.services, restart).forEach((wave, i) =>
    wave.forEach((service) => steps.push({ action: 'restart', service, wave: i, reason: `changed in opsdeck.yaml: ${runnerChanges(from, to, service).join(', ')}` })),
  );
  startWaves(to.config.services, start).forEach((wave, i) =>
    wave.forEach((service) =>
      steps.push({ action: 'start', service, wave: i, reason: Object.hasOwn(from.config.services, service) ? `added to profile ${to.profile}` : 'added to opsdeck.yaml' }),
    ),
  );
  return steps;
}
