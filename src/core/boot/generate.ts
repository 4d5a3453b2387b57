/**
 * `opsdeck units generate`: the unit set of a stack for one init system, mode and scope, each
 * file with its header (stack, source hash, version). Flags override `boot:` of opsdeck.yaml.
 */
import { readFileSync } from 'node:fs';
import type { LoadedStack } from '../config/load';
import { OpsError } from '../errors';
import { cronLines } from './cron-writer';
import { sourceHash, type Header } from './header';
import { launchdJobs } from './launchd-writer';
import type { BootMode, BootScope, BootTarget, Launcher, UnitSet } from './model';
import { systemdUnits } from './systemd-writer';
import { BASELINE_SYSTEMD, detectSystemdVersion } from './systemd-version';
import { platformTarget, unitDir, type UnitDir } from './unit-dir';

/** What a caller may choose; the rest comes from `boot:` and this machine. */
export interface UnitsRequest {
  target?: BootTarget;
  mode?: BootMode;
  scope?: BootScope;
  /** Another unit folder than the init system's (nothing is then enabled). */
  unitDir?: string;
  launcher: Launcher;
  version: string;
  /** systemd's version; default: asked of `systemctl --version`. */
  systemdVersion?: number;
  path?: string;
}

export interface ResolvedRequest {
  target: BootTarget;
  mode: BootMode;
  scope: BootScope;
  dir: UnitDir;
}

/** The target, mode, scope and unit folder of a request, flags before `boot:` before the platform's. */
export function resolveRequest(stack: LoadedStack, req: Omit<UnitsRequest, 'launcher' | 'version'>): ResolvedRequest {
  const boot = stack.config.boot;
  const target = req.target ?? boot.target ?? platformTarget();
  const scope = req.scope ?? boot.scope;
  return { target, mode: req.mode ?? boot.mode, scope, dir: unitDir(target, scope, req.unitDir) };
}

/** The unit set of `stack`. */
export async function generateUnits(stack: LoadedStack, req: UnitsRequest): Promise<UnitSet> {
  const r = resolveRequest(stack, req);
  if (r.scope === 'user' && stack.config.boot.user) {
    throw new OpsError('BAD_REQUEST', `boot.user (${stack.config.boot.user}) is for system units, and these are user units`, 'install with --system (as root), or remove boot.user');
  }
  const header: Header = { stack: stack.config.name, stackDir: stack.dir, sourceHash: sourceHash(readFileSync(stack.file, 'utf8')), version: req.version };
  const systemdVersion = req.systemdVersion ?? (r.target === 'systemd' ? detectSystemdVersion() : undefined) ?? BASELINE_SYSTEMD;
  const opts = { target: r.target, mode: r.mode, scope: r.scope, launcher: req.launcher, systemdVersion, version: req.version, ...(req.path ? { path: req.path } : {}) };
  const made =
    r.target === 'systemd' ? systemdUnits(stack, header, opts, r.dir.dir) : r.target === 'launchd' ? await launchdJobs(stack, header, opts) : cronLines(stack, header, opts);
  return { stack: stack.config.name, stackDir: stack.dir, target: r.target, mode: r.mode, scope: r.scope, ...made };
}
