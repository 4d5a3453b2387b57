/**
 * Checking a release's `requires:` (its own and each service's) before anything is installed:
 * programs on PATH with their minimum versions, the Opsdeck version range, loopback ports still
 * free, free disk. Every problem says what is missing and how to get it.
 */
import { execa } from 'execa';
import { statfs } from 'node:fs/promises';
import net from 'node:net';
import type { LoadedStack } from '../config/load';
import type { RequiresConfig } from '../config/schema';
import { OPSDECK_VERSION } from '../version';
import { compareVersions, satisfiesRange } from './versions';

/** Debian package names of common programs, for the hint; anything else: the program's name. */
const APT_NAMES: Record<string, string> = { psql: 'postgresql-client', pg_dump: 'postgresql-client', postgres: 'postgresql', 'redis-server': 'redis-server', 'redis-cli': 'redis-tools', node: 'nodejs', git: 'git', nginx: 'nginx' };

const installHint = (program: string) => `install it (Debian: apt-get install ${APT_NAMES[program] ?? program}; macOS: brew install ${program})`;

/** The first version number a program prints for --version (`psql (PostgreSQL) 15.8` → 15.8). */
async function programVersion(program: string): Promise<string | undefined | null> {
  const r = await execa(program, ['--version'], { reject: false, timeout: 10_000 });
  if (r.exitCode === undefined || (r.failed && /ENOENT/.test(String(r.code ?? r.shortMessage)))) return null;
  return /(\d+(?:\.\d+)+|\d+)/.exec(`${String(r.stdout)} ${String(r.stderr)}`)?.[1];
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** The release's requirements and each service's, merged (the highest minimum of a program wins). */
export function requirementsOf(stack: LoadedStack): Required<Pick<RequiresConfig, 'commands' | 'ports'>> & { opsdeck: string[]; diskFreeMb?: number } {
  const all = [stack.config.release?.requires, ...Object.values(stack.config.services).map((s) => s.requires)].filter((r): r is RequiresConfig => !!r);
  const commands: Record<string, string> = {};
  for (const r of all) for (const [p, v] of Object.entries(r.commands)) if (!commands[p] || compareVersions(v, commands[p]) > 0) commands[p] = v;
  const disk = all.map((r) => r.disk_free_mb).filter((d): d is number => d !== undefined);
  return {
    commands,
    ports: [...new Set(all.flatMap((r) => r.ports))],
    opsdeck: all.map((r) => r.opsdeck).filter((o): o is string => !!o),
    ...(disk.length ? { diskFreeMb: Math.max(...disk) } : {}),
  };
}

/**
 * The problems with the release's requirements on this machine (empty: all hold). `checkPorts`
 * is false when the stack already runs (its own services hold the ports).
 */
export async function checkRequirements(stack: LoadedStack, stackDir: string, opts: { checkPorts: boolean; opsdeckVersion?: string }): Promise<string[]> {
  const req = requirementsOf(stack);
  const problems: string[] = [];
  const mine = (opts.opsdeckVersion ?? OPSDECK_VERSION).replace(/-.*$/, '');
  for (const range of req.opsdeck) {
    if (!satisfiesRange(mine, range)) problems.push(`needs Opsdeck ${range}, this is ${opts.opsdeckVersion ?? OPSDECK_VERSION}: update Opsdeck first (npm install -g opsdeck, or scripts/deploy.sh)`);
  }
  await Promise.all(
    Object.entries(req.commands).map(async ([program, min]) => {
      const v = await programVersion(program);
      if (v === null) problems.push(`needs ${program}${min ? ` ${min} or later` : ''}, which is not on PATH: ${installHint(program)}`);
      else if (min && (v === undefined || compareVersions(v, min) < 0)) problems.push(`needs ${program} ${min} or later, found ${v ?? 'an unknown version'}: ${installHint(program)}`);
    }),
  );
  if (opts.checkPorts) {
    for (const port of req.ports) if (!(await portFree(port))) problems.push(`needs port ${port} on 127.0.0.1, which is in use: stop what listens there (ss -ltnp 'sport = :${port}')`);
  }
  if (req.diskFreeMb !== undefined) {
    const fs = await statfs(stackDir);
    const freeMb = Math.floor((fs.bavail * fs.bsize) / 1024 / 1024);
    if (freeMb < req.diskFreeMb) problems.push(`needs ${req.diskFreeMb} MB free in ${stackDir}, there are ${freeMb} MB: free some space`);
  }
  return problems.sort();
}
