/**
 * How `status`, `health` and `profile list` print what they learn: shared by their commands
 * (status.ts, profile.ts) and by the quick path that answers them from a running engine without
 * loading the rest of the CLI (quick-path.ts), so both print the same.
 */
import { exitCodeOf, isOpsError, type EngineStatus, type ProfilesInfo, type StackHealth } from '../core/contract';
import { statusHeadline, statusTable, table } from './format';
import { printJson } from './stack-context';

/** A running engine's status: the headline and the table, or `{running: true, …}` as JSON. */
export function printStatus(status: EngineStatus, json: boolean): void {
  if (json) printJson({ running: true, ...status });
  else process.stdout.write(`${statusHeadline(status)}\n${statusTable(status)}\n`);
}

/**
 * The health `ask` answers, printed, its level as the exit code; a service name not in the stack
 * (SERVICE_UNKNOWN) is an error and CRITICAL for a monitor (exit 2). Other errors are thrown.
 */
export async function answerHealth(ask: () => Promise<StackHealth>, json: boolean): Promise<void> {
  let health: StackHealth;
  try {
    health = await ask();
  } catch (err) {
    if (!(isOpsError(err) && err.code === 'SERVICE_UNKNOWN')) throw err;
    process.stderr.write(err.format() + '\n');
    process.exitCode = exitCodeOf('CRITICAL');
    return;
  }
  if (json) printJson(health);
  else {
    process.stdout.write(`${health.level}: ${health.summary}\n`);
    if (health.services.length) process.stdout.write(table(['SERVICE', 'HEALTH', 'WHY'], health.services.map((s) => [s.service, s.level, s.reason])) + '\n');
  }
  process.exitCode = exitCodeOf(health.level);
}

/** The profiles, the active one marked (`*`): the engine's, or read from opsdeck.yaml (`active: null` when none is). */
export function printProfiles(info: Pick<ProfilesInfo, 'profiles'> & { active?: string | null }, json: boolean): void {
  if (json) return printJson(info);
  if (!info.profiles.length) return void process.stdout.write('this stack has no profiles: every service runs\n');
  process.stdout.write(table(['', 'PROFILE', 'SERVICES'], info.profiles.map((p) => [p.name === info.active ? '*' : '', p.name, p.services.join(', ')])) + '\n');
}
