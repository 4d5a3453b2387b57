/**
 * What every `opsdeck units` command reads from its flags: the stack (the remembered profile
 * applied, as the daemon sees it), the init system, mode, scope and unit folder, and how a unit
 * runs Opsdeck (this CLI's node and script, the daemon's flags and environment).
 */
import { realpathSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { OPSDECK_VERSION as VERSION, OpsError } from '../../core/contract';
import { type Launcher, launcherOf, loadConfig, type LoadedStack, type UnitsRequest, withProfile, withRememberedProfile } from '../../core/host';
import { daemonCommand, daemonNodeFlags } from '../../daemon/daemon-process';
import { stackDir } from '../stack-context';

export interface UnitsFlags {
  target?: 'systemd' | 'launchd' | 'cron';
  mode?: 'engine' | 'native';
  system?: boolean;
  user?: boolean;
  unitDir?: string;
  profile?: string;
  json?: boolean;
  dryRun?: boolean;
}

const choice = <T extends string>(values: readonly T[], what: string) => (v: string): T => {
  if (!(values as readonly string[]).includes(v)) throw new InvalidArgumentError(`"${v}" is not a ${what}: use one of ${values.join(', ')}`);
  return v as T;
};

/** The options every `units` subcommand takes. */
export function unitsOptions(cmd: Command): Command {
  return cmd
    .option('--target <init>', 'systemd, launchd or cron (default: boot.target, else launchd on macOS, systemd elsewhere)', choice(['systemd', 'launchd', 'cron'] as const, 'target'))
    .option('--mode <mode>', 'engine (one unit runs the engine) or native (one unit per service) (default: boot.mode, else engine)', choice(['engine', 'native'] as const, 'mode'))
    .option('--system', 'system units started at boot (root): /etc/systemd/system, /Library/LaunchDaemons, /etc/cron.d')
    .option('--user', 'user units started at login (the default unless boot.scope is system)')
    .option('--unit-dir <dir>', 'use this folder instead of the init system\'s (also OPSDECK_UNIT_DIR); nothing is then enabled or loaded')
    .option('-p, --profile <name>', 'the services of this profile (default: the profile the engine would use)')
    .option('--json', 'print the result as JSON');
}

/** The daemon's environment additions (its malloc settings), as daemon-process.ts sets them. */
/** How a unit runs Opsdeck from this CLI: its node and script, the daemon's flags and environment (the doctor's boot check uses it too). */
export function cliLauncher(): Launcher {
  const script = realpathSync(process.argv[1] ?? '.');
  return launcherOf({ cliScript: script, daemonCommand: daemonCommand(script), daemonNodeFlags: daemonNodeFlags() });
}

/** The stack and the request the flags make. */
export async function unitsRequest(cmd: Command, flags: UnitsFlags): Promise<{ stack: LoadedStack; req: UnitsRequest }> {
  if (flags.system && flags.user) throw new OpsError('BAD_REQUEST', '--system and --user exclude each other', 'give one: --system for units started at boot, --user (the default) for units started at login');
  const loaded = await loadConfig(stackDir(cmd));
  const stack = flags.profile ? withProfile(loaded, flags.profile) : withRememberedProfile(loaded);
  const launcher = cliLauncher();
  const req: UnitsRequest = {
    launcher,
    version: VERSION,
    ...(flags.target ? { target: flags.target } : {}),
    ...(flags.mode ? { mode: flags.mode } : {}),
    ...(flags.system ? { scope: 'system' as const } : flags.user ? { scope: 'user' as const } : {}),
    ...(flags.unitDir ? { unitDir: flags.unitDir } : {}),
  };
  return { stack, req };
}
