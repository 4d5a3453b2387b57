/**
 * The vocabulary of boot units: a unit set (the files one stack needs for one init system, in one
 * mode and scope), each file with its name, text and mode, what must be enabled once they are
 * written, and what the init system cannot express (notes).
 */
import type { BootMode, BootScope, BootTarget } from '../config/schema';

export type { BootMode, BootScope, BootTarget };

/** One generated file. */
export interface UnitFile {
  /** The file name inside the unit folder (e.g. `opsdeck-shop.service`). */
  name: string;
  /** Its full text, header included. */
  text: string;
  /** Its permission bits: 0o600 for files holding secrets, else 0o644. */
  mode: number;
  /** What it is, for people and for status. */
  role: 'engine' | 'service' | 'target' | 'timer' | 'backup' | 'verify' | 'environment' | 'crontab';
  /** The service it runs, when it runs one. */
  service?: string;
}

/** The files one stack needs to start at boot, and what installing them then does. */
export interface UnitSet {
  stack: string;
  stackDir: string;
  target: BootTarget;
  mode: BootMode;
  scope: BootScope;
  files: UnitFile[];
  /** What `install` enables / loads once the files are written (unit names, labels). */
  activate: string[];
  /** What of opsdeck.yaml this init system cannot express, or expresses differently. */
  notes: string[];
}

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

/** The state of one unit file on this machine. */
export interface UnitFileStatus {
  name: string;
  path: string;
  /** `missing`: not there; `ours`: written by Opsdeck for this stack; `foreign`: someone else's file. */
  installed: 'missing' | 'ours' | 'foreign';
  /** The file differs from what the current opsdeck.yaml would generate. */
  drifted: boolean;
  /** Enabled / loaded / running as the init system says (undefined: not asked or not known). */
  enabled?: boolean;
  loaded?: boolean;
  running?: boolean;
}

/** `opsdeck units status`. */
export interface UnitsStatus {
  stack: string;
  target: BootTarget;
  mode: BootMode;
  scope: BootScope;
  unitDir: string;
  /** Every expected file is installed and ours. */
  installed: boolean;
  /** Some installed file differs from what opsdeck.yaml generates now, or an old file of ours is left. */
  drifted: boolean;
  files: UnitFileStatus[];
  /** Files of ours for this stack that the current opsdeck.yaml no longer generates. */
  stale: string[];
}

/** What install / uninstall did, or would do with dryRun. */
export interface UnitsChange {
  dryRun: boolean;
  unitDir: string;
  written: string[];
  unchanged: string[];
  removed: string[];
  /** The commands run (or to run) to reload and enable, each an argv. */
  commands: string[][];
  notes: string[];
}
