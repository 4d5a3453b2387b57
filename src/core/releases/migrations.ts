/**
 * The schema steps of a release (`migrate:` of each service): which steps take the data from the
 * schema versions the ledger records to those a release needs (up, from the target release; down,
 * from the release that wrote them), whether they chain with no gap, and running one step in the
 * release's folder with the service's environment.
 */
import path from 'node:path';
import { effectiveEnv, RELEASE_CWD, type LoadedStack } from '../config/load';
import type { MigrationStep } from '../config/schema';
import { runCommand } from '../health/run-command';
import { OpsError } from '../errors';

export interface PlannedStep {
  service: string;
  version: number;
  direction: 'up' | 'down';
  command: string[] | string | undefined;
  /** The release whose code runs the step (its folder, its opsdeck.yaml). */
  release: string;
}

/** The schema version a release brings a service to: its last step (0 without any). */
export const schemaVersionOf = (stack: LoadedStack, service: string): number => stack.config.services[service]?.migrate?.at(-1)?.version ?? 0;

/** Every service of either stack that has (or had) a schema. */
export function schemaServices(...stacks: LoadedStack[]): string[] {
  return [...new Set(stacks.flatMap((s) => Object.entries(s.config.services).filter(([, c]) => c.migrate).map(([n]) => n)))];
}

const stepOf = (stack: LoadedStack, service: string, version: number): MigrationStep | undefined => stack.config.services[service]?.migrate?.find((m) => m.version === version);

/**
 * The steps from `schema` (the ledger's versions) to what `target` needs: up-steps from `target`,
 * down-steps from `current` (the newer code knows how to undo its steps). Problems (a gap, a
 * step unknown to both) are returned, not thrown, so that a check can list them all.
 */
export function planMigrations(schema: Record<string, number>, current: { version: string; stack: LoadedStack } | undefined, target: { version: string; stack: LoadedStack }): { steps: PlannedStep[]; problems: string[] } {
  const steps: PlannedStep[] = [];
  const problems: string[] = [];
  for (const service of schemaServices(target.stack, ...(current ? [current.stack] : []))) {
    const have = schema[service] ?? 0;
    const want = schemaVersionOf(target.stack, service);
    if (want > have) {
      for (let v = have + 1; v <= want; v++) {
        const step = stepOf(target.stack, service, v);
        if (!step) {
          const first = target.stack.config.services[service]!.migrate![0]!.version;
          problems.push(`${service}: the schema is at version ${have}, and release ${target.version}'s migrations start at ${first}: step ${v} is missing (update to a release that still has it first)`);
          break;
        }
        steps.push({ service, version: v, direction: 'up', command: step.up, release: target.version });
      }
    } else if (want < have) {
      for (let v = have; v > want; v--) {
        const step = (current && stepOf(current.stack, service, v)) ?? stepOf(target.stack, service, v);
        if (!step) {
          problems.push(`${service}: the schema is at version ${have} and release ${target.version} needs ${want}, but no release at hand knows step ${v}`);
          break;
        }
        steps.push({ service, version: v, direction: 'down', command: step.down, release: current && stepOf(current.stack, service, v) ? current.version : target.version });
      }
    }
  }
  return { steps, problems };
}

/** The folder a service's commands run in within a release: its `cwd` with `current` replaced by the release's folder. */
export function serviceDirIn(stack: LoadedStack, service: string, stackDir: string, releaseFolder: string): string {
  const cwd = stack.config.services[service]?.cwd ?? RELEASE_CWD;
  const parts = cwd.split(/[\\/]/);
  return parts[0] === RELEASE_CWD ? path.join(releaseFolder, ...parts.slice(1)) : path.resolve(stackDir, cwd);
}

/** The environment of a release command: the engine's, the service's, and where the release is. */
export function releaseEnv(stack: LoadedStack, service: string, stackDir: string, version: string, releaseFolder: string): Record<string, string> {
  const base = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  return { ...base, ...effectiveEnv(stack, service), OPSDECK_STACK_DIR: stackDir, OPSDECK_RELEASE: version, OPSDECK_RELEASE_DIR: releaseFolder, OPSDECK_SERVICE: service };
}

/** Run one command of a release (an install or migration step); throws RELEASE_FAILED with its last lines. */
export async function runReleaseCommand(command: string[] | string, what: string, opts: { cwd: string; env: Record<string, string>; timeoutMs?: number }): Promise<void> {
  const argv = typeof command === 'string' ? ['sh', '-c', command] : command;
  const r = await runCommand(argv, { cwd: opts.cwd, env: opts.env, timeoutMs: opts.timeoutMs ?? 30 * 60_000 });
  if (r.exitCode === 0) return;
  const why = r.startError ?? (r.timedOut ? 'timed out' : r.signal ? `killed by ${r.signal}` : `exit code ${r.exitCode}`);
  const tail = r.output.trim().split('\n').slice(-3).join(' | ');
  throw new OpsError('RELEASE_FAILED', `${what} failed (${why})${tail ? `: ${tail}` : ''}`, `run it by hand in ${opts.cwd} to see why`);
}
