/**
 * Profiles: which services run and with which environment. Selecting one gives a new view of
 * the stack; reconciling against what runs is planned here (what stops, restarts, starts).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedStack } from './config/load';
import { effectiveEnv } from './config/load';
import { OpsError } from './errors';
import { startWaves, stopWaves } from './graph';
import { didYouMean } from './config/suggest';

/** The stack seen through profile `name`. */
export function withProfile(stack: LoadedStack, name: string): LoadedStack {
  const names = Object.keys(stack.config.profiles);
  const profile = Object.hasOwn(stack.config.profiles, name) ? stack.config.profiles[name] : undefined;
  if (!profile) {
    throw new OpsError(
      'PROFILE_UNKNOWN',
      names.length ? `no profile named "${name}"` : `this stack has no profiles, so "${name}" cannot be used`,
      names.length ? (didYouMean(name, names) ?? `the profiles are ${names.join(', ')}`) : 'add a `profiles:` map to opsdeck.yaml (see docs/config.md)',
    );
  }
  return { ...stack, profile: name, services: profile.services ?? Object.keys(stack.config.services) };
}

import type { PlanStep } from './contract/status';
import { PRIVATE_FILE_MODE, privateDir, privateFile } from './private-files';

/**
 * What switching from `running` (the services up now, under `from`) to profile `to` does:
 * stop what the new profile leaves out (dependents first), restart what stays but whose
 * environment changes, start what is new (in dependency order).
 */
export function reconcilePlan(from: LoadedStack, to: LoadedStack, running: string[]): PlanStep[] {
  const services = from.config.services;
  const changedEnv = (s: string) => JSON.stringify(effectiveEnv(from, s)) !== JSON.stringify(effectiveEnv(to, s));
  const stop = running.filter((s) => !to.services.includes(s));
  const restart = running.filter((s) => to.services.includes(s) && changedEnv(s));
  const start = to.services.filter((s) => !running.includes(s));
  const steps: PlanStep[] = [];
  stopWaves(services, stop).forEach((wave, i) =>
    wave.forEach((service) => steps.push({ action: 'stop', service, wave: i, reason: `not in profile ${to.profile}` })),
  );
  startWaves(services, restart).forEach((wave, i) =>
    wave.forEach((service) => steps.push({ action: 'restart', service, wave: i, reason: 'environment changed' })),
  );
  startWaves(services, start).forEach((wave, i) =>
    wave.forEach((service) => steps.push({ action: 'start', service, wave: i, reason: `in profile ${to.profile}` })),
  );
  return steps;
}

/** The plan of `up` for services not running yet, and of `down`. */
export function upPlan(stack: LoadedStack, names: string[], running: string[]): PlanStep[] {
  return startWaves(stack.config.services, names.filter((n) => !running.includes(n))).flatMap((wave, i) =>
    wave.map((service) => ({ action: 'start' as const, service, wave: i, reason: 'requested' })),
  );
}

export function downPlan(stack: LoadedStack, names: string[]): PlanStep[] {
  return stopWaves(stack.config.services, names).flatMap((wave, i) =>
    wave.map((service) => ({ action: 'stop' as const, service, wave: i, reason: 'requested' })),
  );
}

// ---------------------------------------------------------------- the remembered profile

const stateFile = (stack: LoadedStack) => join(stack.dir, '.opsdeck', 'state.json');

/**
 * The profile chosen last (`opsdeck profile use`), if it still exists in the file. A state file
 * that cannot be understood (not JSON, or not `{ "active_profile": "name" }`) is not silently
 * ignored: it is renamed `state.json.corrupt-<UTC time>` (kept for a look, out of the way of the
 * next write) with a warning that names it and the problem, and the default profile is used.
 */
export function readRememberedProfile(stack: LoadedStack): string | undefined {
  const file = stateFile(stack);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined; // no profile remembered yet (or unreadable: nothing to keep aside)
  }
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch (err) {
    return setAside(file, `is not valid JSON (${(err as Error).message})`);
  }
  const name = (state as { active_profile?: unknown } | null)?.active_profile;
  if (typeof state !== 'object' || state === null || Array.isArray(state) || (name !== undefined && typeof name !== 'string')) {
    return setAside(file, 'is not an object with active_profile (a profile name)');
  }
  return typeof name === 'string' && Object.hasOwn(stack.config.profiles, name) ? name : undefined;
}

function setAside(file: string, problem: string): undefined {
  const aside = `${file}.corrupt-${new Date().toISOString().replace(/[-:]|\.\d+/g, '')}`;
  let kept: string;
  try {
    renameSync(file, aside);
    kept = `moved aside to ${aside}`;
  } catch (err) {
    kept = `could not be moved aside (${(err as Error).message})`;
  }
  process.emitWarning(`opsdeck: ${file} ${problem}: ${kept}; the stack's default profile is used`);
  return undefined;
}

/** Remember `stack.profile` for the next engine start (it wins over the file's active_profile). */
export function rememberProfile(stack: LoadedStack): void {
  privateDir(join(stack.dir, '.opsdeck'));
  writeFileSync(stateFile(stack), JSON.stringify({ active_profile: stack.profile }, null, 2) + '\n', { mode: PRIVATE_FILE_MODE });
  privateFile(stateFile(stack)); // a file an older version wrote 0644
}

/** The stack as the next engine start will see it: the remembered profile applied. */
export function withRememberedProfile(stack: LoadedStack): LoadedStack {
  const name = readRememberedProfile(stack);
  return name ? withProfile(stack, name) : stack;
}
