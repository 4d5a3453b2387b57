/**
 * What a launcher and the generator need (the unit set itself is the contract's: contract/units.ts):
 * how a unit runs Opsdeck, and the options of one generation.
 */
import type { BootMode, BootScope, BootTarget } from '../contract/units';

export type { BootMode, BootScope, BootTarget, UnitFile, UnitFileStatus, UnitSet, UnitsChange, UnitsStatus } from '../contract/units';

/** How to run Opsdeck itself from a unit: the Node binary and the CLI script (or a wrapper). */
export interface Launcher {
  /** The argv prefix of the `opsdeck` CLI, absolute paths (e.g. [/usr/bin/node, /opt/opsdeck/dist/cli.js]). */
  cli: string[];
  /** The argv prefix of the engine daemon (`… daemon` or the daemon bundle). */
  daemon: string[];
  /** Environment the daemon is started with (its malloc settings). */
  daemonEnv: Record<string, string>;
}

/** What the generator needs besides the stack. */
export interface GenerateOptions {
  target: BootTarget;
  mode: BootMode;
  scope: BootScope;
  launcher: Launcher;
  /** systemd's version (RestartSteps= and RestartMaxDelaySec= need 254). */
  systemdVersion: number;
  /** The Opsdeck version written in each file's header. */
  version: string;
  /** The PATH used to find each service's program (default: this process's). */
  path?: string;
  /** The uid, for launchd's `gui/UID` domain and log paths. */
  uid?: number;
}

