/**
 * How a unit runs Opsdeck itself: the Node binary and the CLI script this process was started
 * from, absolute (a unit has no shell and no PATH of the user's). A process that is not Node (the
 * VS Code extension host, Electron) uses the `node` on PATH. The daemon's Node flags and
 * environment come from the surface that knows them (src/daemon/daemon-process.ts).
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { OpsError } from '../errors';
import type { Launcher } from './model';
import { resolveProgram } from './service-plan';

export interface LauncherParts {
  /** The CLI script (dist/cli.js, or src/cli/main.ts with tsx), default process.argv[1]. */
  cliScript?: string;
  /** Node flags for the daemon (DAEMON_NODE_FLAGS when this Node takes them). */
  daemonNodeFlags?: string[];
  /** The daemon's argv after node and its flags (daemonCommand(cliScript)). */
  daemonCommand?: string[];
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

/** The launcher of this process: node, its loader flags (tsx when run from the sources), the CLI script. */
export function launcherOf(parts: LauncherParts = {}): Launcher {
  const script = real(parts.cliScript ?? process.argv[1] ?? '');
  const node = nodeBinary();
  // From the sources, tsx's loader is in execArgv; a bundled CLI has none.
  const loader = process.versions.electron ? [] : process.execArgv.filter((a, i, all) => a.startsWith('--import') || a.startsWith('--require') || /^--(import|require)$/.test(all[i - 1] ?? ''));
  const daemon = (parts.daemonCommand ?? [script, 'daemon']).map((a, i) => (i === 0 ? real(a) : a));
  return {
    cli: [node, ...loader, script],
    daemon: [node, ...(parts.daemonNodeFlags ?? []), ...loader, ...daemon],
    daemonEnv: parts.daemonEnv ?? {},
  };
}
