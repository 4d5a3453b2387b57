/**
 * What both export targets need to know of one service, read from its config: the object name a
 * container engine accepts, its ports, its data folders (from `backup:`), its command and working
 * folder in the container, and its environment split into plain values and secrets, with loopback
 * addresses of other services rewritten to their service names (each service is its own host in
 * a container network).
 */
import path from 'node:path';
import type { ServiceConfig } from '../config/schema';
import { isSecretName } from '../redact';
import { STACK_MOUNT, type ServiceImage } from './image-map';

/** A name Kubernetes accepts for an object and a DNS label (lower case, digits, `-`, starting with a letter). */
export function objectName(name: string): string {
  const n = name.replace(/_/g, '-');
  return /^[a-z]/.test(n) ? n : `s-${n}`.slice(0, 63);
}

/** The service's folder relative to the stack folder, POSIX style (`.` for the stack folder). */
export function serviceFolder(service: ServiceConfig): string {
  return path.posix.normalize((service.cwd ?? '.').replace(/\\/g, '/'));
}

/** Its working folder in a container that has the stack folder at /stack. */
export function containerWorkdir(service: ServiceConfig): string {
  return path.posix.join(STACK_MOUNT, serviceFolder(service));
}

/** Its command as an argv: a string command with `shell: true` runs under sh -c. */
export function commandArgv(service: ServiceConfig): string[] {
  return typeof service.command === 'string' ? ['sh', '-c', service.command] : service.command;
}

/** The ports it listens on, as far as the file says: its probes' ports and its `*PORT` variables. */
export function servicePorts(service: ServiceConfig, env: Record<string, string>): number[] {
  const ports = new Set<number>();
  for (const probe of [service.health.readiness, service.health.liveness]) {
    if (probe?.http) ports.add(urlPort(probe.http.url));
    if (probe?.tcp) ports.add(probe.tcp.port);
  }
  for (const [k, v] of Object.entries(env)) {
    if (/PORT$/i.test(k) && /^\d{1,5}$/.test(v) && Number(v) > 0 && Number(v) < 65536) ports.add(Number(v));
  }
  return [...ports].sort((a, b) => a - b);
}

export function urlPort(url: string): number {
  const u = new URL(url);
  return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
}

/** A folder of data a backup takes, relative to the stack folder, and the key that names it. */
export interface DataPath {
  path: string;
  from: string;
}

/**
 * The folders holding the data its `backup:` takes: each SQLite database's folder and the fixed
 * part of each `files` glob. A glob with no fixed folder (`*.json`) is the service folder itself,
 * which is no data volume: it is left out (the export's notes say so).
 */
export function dataPaths(service: ServiceConfig): { paths: DataPath[]; unmounted: string[] } {
  const base = serviceFolder(service);
  const found = new Map<string, string>();
  const unmounted: string[] = [];
  const add = (dir: string, from: string) => {
    if (dir === '.' || dir === '') return unmounted.push(from);
    const full = path.posix.normalize(path.posix.join(base, dir));
    if (![...found.keys()].some((k) => full === k || full.startsWith(`${k}/`))) {
      for (const k of [...found.keys()]) if (k.startsWith(`${full}/`)) found.delete(k);
      found.set(full, from);
    }
    return undefined;
  };
  for (const db of service.backup?.sqlite ?? []) add(path.posix.dirname(db.replace(/\\/g, '/')), `backup.sqlite ${db}`);
  for (const glob of service.backup?.files ?? []) add(globFolder(glob), `backup.files ${glob}`);
  return { paths: [...found].map(([p, from]) => ({ path: p, from })).sort((a, b) => a.path.localeCompare(b.path)), unmounted };
}

/** The fixed folder of a glob: `data/*.json` → data, `config/` → config, `notes.txt` → `.`. */
function globFolder(glob: string): string {
  const g = glob.replace(/\\/g, '/');
  const segments = g.replace(/\/+$/, '').split('/');
  if (!/[*?[{]/.test(g)) return g.endsWith('/') ? segments.join('/') : path.posix.dirname(segments.join('/'));
  const fixed: string[] = [];
  for (const s of segments) {
    if (/[*?[{]/.test(s)) break;
    fixed.push(s);
  }
  return fixed.join('/') || '.';
}

/** A name for a data folder inside its service's objects (`data/pg` → `data-pg`). */
export function dataSlug(p: string): string {
  return p.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'data';
}

/** A service's environment in a container: plain values, the names of its secrets, and the rewrites made. */
export interface ContainerEnv {
  plain: Record<string, string>;
  secrets: string[];
  rewrites: string[];
}

/**
 * Splits `env` into plain values and secrets (by name, as the redaction does: PASSWORD, TOKEN,
 * *_KEY, …) and rewrites `127.0.0.1:PORT` / `localhost:PORT` of another exported service to
 * `NAME:PORT`, its name on the container network.
 */
export function containerEnv(env: Record<string, string>, portOwners: Map<number, string>, self: string): ContainerEnv {
  const plain: Record<string, string> = {};
  const secrets: string[] = [];
  const rewrites: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (isSecretName(k)) {
      secrets.push(k);
      continue;
    }
    const value = v.replace(/\b(?:127\.0\.0\.1|localhost|\[::1\]):(\d{1,5})\b/g, (m, port: string) => {
      const owner = portOwners.get(Number(port));
      if (!owner || owner === self) return m;
      rewrites.push(`${k}: ${m} → ${objectName(owner)}:${port}`);
      return `${objectName(owner)}:${port}`;
    });
    plain[k] = value;
  }
  return { plain, secrets: secrets.sort(), rewrites };
}

/** Which exported service owns each port (the first to declare it). */
export function portOwners(ports: Record<string, number[]>): Map<number, string> {
  const owners = new Map<number, string>();
  for (const [name, list] of Object.entries(ports)) for (const p of list) if (!owners.has(p)) owners.set(p, name);
  return owners;
}

/** One exported service with what both targets read of it. */
export interface ServiceFacts {
  name: string;
  /** Its name as a Kubernetes object and a DNS label. */
  object: string;
  config: ServiceConfig;
  image: ServiceImage;
  env: ContainerEnv;
  ports: number[];
  data: DataPath[];
  /** Backed-up paths that name no folder of their own (the service folder itself): no volume. */
  unmounted: string[];
}

/**
 * The facts of the exported services, in the file's order: `envOf` gives each one's environment
 * with the exported profile applied.
 */
export function describeServices(services: Record<string, ServiceConfig>, exported: string[], images: Record<string, ServiceImage>, envOf: (name: string) => Record<string, string>): ServiceFacts[] {
  const envs = Object.fromEntries(exported.map((n) => [n, envOf(n)]));
  const ports = Object.fromEntries(exported.map((n) => [n, servicePorts(services[n]!, envs[n]!)]));
  const owners = portOwners(ports);
  return exported.map((name) => {
    const config = services[name]!;
    const { paths, unmounted } = dataPaths(config);
    return { name, object: objectName(name), config, image: images[name]!, env: containerEnv(envs[name]!, owners, name), ports: ports[name]!, data: paths, unmounted };
  });
}
