/**
 * Where each init system reads its units: systemd's user or system folder, launchd's
 * LaunchAgents or LaunchDaemons, cron's /etc/cron.d (system) or Opsdeck's own folder for the
 * user's crontab block. `--unit-dir` or OPSDECK_UNIT_DIR puts them elsewhere (tests, packaging):
 * then nothing is enabled or loaded, as the init system does not read that folder.
 */
import os from 'node:os';
import path from 'node:path';
import type { BootScope, BootTarget } from './model';

export interface UnitDir {
  dir: string;
  /** The init system reads this folder: install may enable and load what it writes there. */
  native: boolean;
}

/** The folder the init system reads for `target` and `scope`. */
export function defaultUnitDir(target: BootTarget, scope: BootScope, env: NodeJS.ProcessEnv = process.env): string {
  const home = env.HOME || os.homedir();
  if (target === 'systemd') return scope === 'system' ? '/etc/systemd/system' : path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'systemd', 'user');
  if (target === 'launchd') return scope === 'system' ? '/Library/LaunchDaemons' : path.join(home, 'Library', 'LaunchAgents');
  return scope === 'system' ? '/etc/cron.d' : path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'opsdeck', 'cron');
}

/** The unit folder: the one given (`--unit-dir`, then OPSDECK_UNIT_DIR), else the init system's. */
export function unitDir(target: BootTarget, scope: BootScope, given?: string, env: NodeJS.ProcessEnv = process.env): UnitDir {
  const chosen = given ?? env.OPSDECK_UNIT_DIR;
  if (chosen) return { dir: path.resolve(chosen), native: false };
  return { dir: defaultUnitDir(target, scope, env), native: true };
}

/** The init system of this platform when none is named. */
export const platformTarget = (): BootTarget => (process.platform === 'darwin' ? 'launchd' : 'systemd');
