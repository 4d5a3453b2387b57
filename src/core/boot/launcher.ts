/**
 * How a unit runs Opsdeck itself: the Node binary and the CLI script this process was started
 * from, absolute (a unit has no shell and no PATH of the user's). A process that is not Node (the
 * VS Code extension host, Electron) uses the `node` on PATH. The daemon's Node flags come from
 * the surface that knows them (src/daemon/daemon-process.ts); its environment is the same from
 * every surface (daemon-env.ts).
 */
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { OpsError } from '../errors';
import { daemonEnvAdditions } from './daemon-env';
import type { Launcher } from './model';
import { resolveProgram } from './service-plan';

export interface LauncherParts {
  /** The CLI script (dist/cli.js, or src/cli/main.ts with tsx), default process.argv[1]. */
  cliScript?: string;
  /** Node flags for the daemon (DAEMON_NODE_FLAGS when this Node takes them). */
  daemonNodeFlags?: string[];
  /** The daemon's argv after node and its flags (daemonCommand(cliScript)). */
  daemonCommand?: string[];
  /** What the daemon's environment adds (default: daemonEnvAdditions(), as `up --detach` adds it). */
  daemonEnv?: Record<string, string>;
}

/** The Node binary: this one, unless this process is Electron (then `node` from PATH). */
function nodeBinary(): string {
  if (!process.versions.electron) return process.execPath;
  const found = resolveProgram('node', '/', process.env.PATH ?? '');
  if (!found) throw new OpsError('NOT_AVAILABLE', 'no `node` on PATH to run Opsdeck at boot with', 'install Node.js 20.19 or later and make sure `node` is on PATH');
  return found;
}

const real = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
};

/** Node flags of this process that load code (tsx from the sources), which every unit's node needs too. */
const loaderFlags = () =>
  process.execArgv.filter((a, i, all) => a.startsWith('--import') || a.startsWith('--require') || /^--(import|require)$/.test(all[i - 1] ?? ''));

/**
 * The launcher of this process: node, its loader flags (tsx when run from the sources), the CLI
 * script. In the engine daemon (dist/daemon.js) the CLI is its sibling dist/cli.js and the daemon
 * keeps its own Node flags; in a process that is neither (the extension host), `opsdeck` from PATH.
 */
export function launcherOf(parts: LauncherParts = {}): Launcher {
  const script = real(parts.cliScript ?? process.argv[1] ?? '');
  const base = path.basename(script);
  if (!parts.cliScript && base === 'daemon.js') {
    const flags = process.execArgv.filter((a) => !loaderFlags().includes(a));
    return { cli: [process.execPath, path.join(path.dirname(script), 'cli.js')], daemon: [process.execPath, ...flags, script], daemonEnv: parts.daemonEnv ?? daemonEnvAdditions() };
  }
  // The opsdeck CLI: the bundle (dist/cli.js beside dist/cli-program.js), its sources, or its npm link.
  const isOpsdeck = (base === 'cli.js' && existsSync(path.join(path.dirname(script), 'cli-program.js'))) || (base === 'main.ts' && script.endsWith(path.join('src', 'cli', 'main.ts'))) || base === 'opsdeck';
  if (process.versions.electron || !isOpsdeck) {
    const opsdeck = resolveProgram('opsdeck', '/', process.env.PATH ?? '');
    if (!opsdeck) throw new OpsError('NOT_AVAILABLE', 'cannot tell how to run Opsdeck from a boot unit: this process is not the opsdeck CLI and there is no `opsdeck` on PATH', 'install the CLI (npm install -g opsdeck) or run `opsdeck units` from a terminal');
    const node = resolveProgram('node', '/', process.env.PATH ?? '');
    const cli = node ? [node, real(opsdeck)] : [real(opsdeck)];
    return { cli, daemon: [...cli, 'daemon'], daemonEnv: parts.daemonEnv ?? daemonEnvAdditions() };
  }
  const node = nodeBinary();
  const loader = loaderFlags();
  const daemon = (parts.daemonCommand ?? [script, 'daemon']).map((a, i) => (i === 0 ? real(a) : a));
  return {
    cli: [node, ...loader, script],
    daemon: [node, ...(parts.daemonNodeFlags ?? []), ...loader, ...daemon],
    daemonEnv: parts.daemonEnv ?? daemonEnvAdditions(),
  };
}
