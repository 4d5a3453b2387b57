/**
 * The sandbox of a recovery drill: a folder that looks like the stack to its services, with the
 * restored data in it and the stack's code linked in, and a copy of the stack's config in which
 * every service runs from the sandbox on free ports.
 *
 * What is linked (one symbolic link per file, real folders, so nothing a service writes in the
 * sandbox lands in the live stack through a linked folder):
 *   - in a git checkout: the files git tracks (code, scripts, config) and a top-level node_modules;
 *   - otherwise: every file except `.opsdeck/`, the backup scopes of every service (declared
 *     databases, files globs) and the top-level run-time folders `data`, `var`, `tmp`, `run`,
 *     `log`, `logs` (where services keep state that a drill must not touch).
 * Restored files always win over links.
 *
 * Ports: the ports of the drilled services (env values named *PORT, the ports of http and tcp
 * probes, backup.postgres.port) are mapped to free ports, and every env value, probe and check
 * argument that mentions them is rewritten, consistently across the services, so a drill runs
 * next to the live stack without a clash.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { LoadedStack } from '../config/load';
import type { ServiceConfig, StackConfig } from '../config/schema';
import { freePort } from '../net/free-port';
import { compileGlobs } from '../glob';

const RUNTIME_DIRS = new Set(['data', 'var', 'tmp', 'run', 'log', 'logs']);

/** Files git tracks in `dir` (relative POSIX paths), or undefined when `dir` is not in a work tree. */
async function gitTracked(dir: string): Promise<string[] | undefined> {
  const r = await execa('git', ['ls-files', '-z', '--cached', '--', '.'], { cwd: dir, reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) return undefined;
  return String(r.stdout).split('\0').filter(Boolean);
}

/** Link the stack's code into the sandbox (see the header), never over a restored file. */
export async function linkStack(stack: LoadedStack, sandbox: string): Promise<{ linked: number; mode: 'git' | 'scan' }> {
  const scopes = Object.entries(stack.config.services).flatMap(([, s]) => {
    const b = s.backup;
    if (!b) return [];
    const cwd = path.relative(stack.dir, path.resolve(stack.dir, s.cwd ?? '.')).split(path.sep).join('/');
    const prefix = cwd ? `${cwd}/` : '';
    return [...b.sqlite.map((p) => prefix + p.replace(/^\.\//, '')), ...b.files.map((g) => prefix + g.replace(/^\.\//, ''))];
  });
  const inScope = compileGlobs(scopes.length ? scopes : [], 'backup scope');
  const link = (rel: string) => {
    const dst = path.join(sandbox, ...rel.split('/'));
    if (existsSync(dst) || isLink(dst)) return false;
    mkdirSync(path.dirname(dst), { recursive: true });
    symlinkSync(path.join(stack.dir, ...rel.split('/')), dst);
    return true;
  };
  let linked = 0;
  const tracked = await gitTracked(stack.dir);
  if (tracked) {
    for (const rel of tracked) {
      if (rel.startsWith('.opsdeck/') || inScope.matches(rel)) continue;
      if (!existsSync(path.join(stack.dir, rel))) continue;
      if (link(rel)) linked++;
    }
    if (existsSync(path.join(stack.dir, 'node_modules')) && link('node_modules')) linked++;
    return { linked, mode: 'git' };
  }
  const walk = (rel: string) => {
    const abs = path.join(stack.dir, ...rel.split('/').filter(Boolean));
    for (const name of readdirSync(abs)) {
      const child = rel ? `${rel}/${name}` : name;
      if (!rel && (name === '.opsdeck' || RUNTIME_DIRS.has(name))) continue;
      if (inScope.matches(child)) continue;
      const st = lstatSync(path.join(abs, name));
      if (!rel && name === 'node_modules') {
        if (link(child)) linked++;
      } else if (st.isDirectory()) walk(child);
      else if (link(child)) linked++;
    }
  };
  walk('');
  return { linked, mode: 'scan' };
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------ ports

/** Ports a service is reachable on, as its config says. */
export function portsOf(svc: ServiceConfig): number[] {
  const out = new Set<number>();
  const add = (n: unknown) => {
    const v = typeof n === 'string' ? Number(n) : n;
    if (typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 65536) out.add(v);
  };
  for (const [k, v] of Object.entries(svc.env)) if (/PORT$/i.test(k)) add(v);
  for (const p of [svc.health.readiness, svc.health.liveness]) {
    if (!p) continue;
    if (p.http) {
      const u = new URL(p.http.url);
      add(u.port ? Number(u.port) : undefined);
    }
    if (p.tcp) add(p.tcp.port);
  }
  if (svc.backup?.postgres?.port) add(svc.backup.postgres.port);
  return [...out];
}

/** Replace every whole-number mention of a mapped port in `text`. */
export function rewritePorts(text: string, map: Map<number, number>): string {
  if (!map.size) return text;
  return text.replace(/(?<![\d.])(\d{2,5})(?![\d.])/g, (m) => {
    const to = map.get(Number(m));
    return to === undefined ? m : String(to);
  });
}

/**
 * The stack as the drill runs it: only `services`, from `sandbox`, every mapped port rewritten
 * in env values, probes, checks and commands. No profiles (the services are chosen here).
 */
export function sandboxStack(stack: LoadedStack, sandbox: string, services: string[], ports: Map<number, number>): LoadedStack {
  const rw = (s: string) => rewritePorts(s, ports);
  const profile = stack.profile === undefined ? undefined : stack.config.profiles[stack.profile];
  const out: Record<string, ServiceConfig> = {};
  for (const name of services) {
    const svc = structuredClone(stack.config.services[name]!);
    // The profile's environment is folded in: the drill stack has no profiles.
    const env = { ...svc.env, ...profile?.env, ...profile?.overrides[name]?.env };
    svc.env = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, rw(v)]));
    svc.command = Array.isArray(svc.command) ? svc.command.map(rw) : rw(svc.command);
    for (const role of ['readiness', 'liveness'] as const) {
      const p = svc.health[role];
      if (!p) continue;
      if (p.http) p.http.url = rw(p.http.url);
      if (p.tcp) p.tcp.port = ports.get(p.tcp.port) ?? p.tcp.port;
      if (p.exec) p.exec = p.exec.map(rw);
    }
    if (svc.health.check) svc.health.check.exec = svc.health.check.exec.map(rw);
    if (svc.backup?.postgres?.port) svc.backup.postgres.port = ports.get(svc.backup.postgres.port) ?? svc.backup.postgres.port;
    // Dependencies outside the drill are dropped (they are not started).
    svc.depends_on = Object.fromEntries(Object.entries(svc.depends_on).filter(([d]) => services.includes(d)));
    out[name] = svc;
  }
  const config: StackConfig = { ...stack.config, name: `${stack.config.name}-drill`, profiles: {}, active_profile: undefined, services: out };
  return { file: path.join(sandbox, 'opsdeck.yaml'), dir: sandbox, config, profile: undefined, services };
}

/** A free port for every port of `services`. */
export async function mapPorts(stack: LoadedStack, services: string[]): Promise<Map<number, number>> {
  const ports = new Map<number, number>();
  const used = new Set<number>();
  for (const s of services) {
    for (const p of portsOf(stack.config.services[s]!)) {
      if (ports.has(p)) continue;
      let free: number;
      do free = await freePort();
      while (used.has(free));
      used.add(free);
      ports.set(p, free);
    }
  }
  return ports;
}
