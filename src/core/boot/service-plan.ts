/**
 * What a native unit of one service is made of, whichever init system runs it: its argv (the
 * program found on PATH now, as init systems search a fixed PATH of their own), working folder,
 * environment split into plain values and secrets, what it must start after and wait for, its
 * restart policy in seconds, and whether it is a task others wait to complete.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { REPEAT_INITIAL_MS } from '../supervisor/backoff';
import { effectiveEnv, type LoadedStack } from '../config/load';
import type { DependencyCondition, ServiceConfig } from '../config/schema';
import { TIERS } from '../config/schema';
import { isSecretName } from '../redact';

export interface ServicePlan {
  name: string;
  config: ServiceConfig;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  secrets: Record<string, string>;
  /** depends_on, each with its condition. */
  dependsOn: [string, DependencyCondition][];
  /** Services that start before this one (dependencies and lower tiers), for ordering only. */
  after: string[];
  /** Another service waits for this one to complete: it runs once (a task). */
  task: boolean;
  /** The program was not found on PATH: the init system will look for it in its own PATH. */
  unresolved?: string;
}

/** The program of `argv0`, absolute: a path is taken from `cwd`, a bare name looked up in `PATH`. */
export function resolveProgram(argv0: string, cwd: string, searchPath: string): string | undefined {
  if (argv0.includes('/')) return path.resolve(cwd, argv0);
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir || !path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, argv0);
    try {
      if (statSync(candidate).isFile()) {
        accessSync(candidate, constants.X_OK);
        return candidate;
      }
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The plans of the services the stack's active profile runs, in the file's order. */
export function servicePlans(stack: LoadedStack, searchPath: string): ServicePlan[] {
  const selected = new Set(stack.services);
  const services = stack.config.services;
  const completedDeps = new Set<string>();
  for (const name of selected) {
    for (const [dep, cond] of Object.entries(services[name]!.depends_on)) if (cond === 'completed') completedDeps.add(dep);
  }
  return stack.services.map((name) => {
    const config = services[name]!;
    const cwd = path.resolve(stack.dir, config.cwd ?? '.');
    const raw = typeof config.command === 'string' ? ['/bin/sh', '-c', config.command] : [...config.command];
    const program = resolveProgram(raw[0]!, cwd, searchPath);
    const all = { ...effectiveEnv(stack, name), OPSDECK_SERVICE: name, OPSDECK_STACK_DIR: stack.dir };
    const env: Record<string, string> = {};
    const secrets: Record<string, string> = {};
    for (const [k, v] of Object.entries(all)) (isSecretName(k) ? secrets : env)[k] = v;
    const dependsOn = Object.entries(config.depends_on).filter(([d]) => selected.has(d));
    const rank = TIERS.indexOf(config.tier);
    const lower = stack.services.filter((o) => o !== name && TIERS.indexOf(services[o]!.tier) < rank);
    const after = [...new Set([...dependsOn.map(([d]) => d), ...lower])];
    return {
      name,
      config,
      argv: [program ?? raw[0]!, ...raw.slice(1)],
      cwd,
      env,
      secrets,
      dependsOn,
      after,
      task: completedDeps.has(name),
      ...(program ? {} : { unresolved: raw[0]! }),
    };
  });
}

/** The first restart's delay in ms: `backoff.initial`, else the engine's 500 ms of repeated restarts. */
export const firstRestartMs = (s: ServiceConfig) => s.restart.backoff.initial ?? REPEAT_INITIAL_MS;

/**
 * The `--wait-for` arguments of `opsdeck exec` for this service: dependencies that must be
 * healthy (when they have a readiness probe; else started), and, with `all`, also those that
 * must be started or completed (launchd, which knows no order at all).
 */
export function waitFors(plan: ServicePlan, services: Record<string, ServiceConfig>, all: boolean): string[] {
  const out: string[] = [];
  for (const [dep, cond] of plan.dependsOn) {
    const probed = !!services[dep]?.health.readiness;
    const want = cond === 'healthy' && !probed ? 'started' : cond;
    if (want === 'healthy' || all) out.push(`${dep}:${want}`);
  }
  return out;
}
