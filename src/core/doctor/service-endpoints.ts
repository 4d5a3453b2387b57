/**
 * Where a service answers, as the doctor tests it: every http and tcp target of its readiness
 * and liveness probes, its PostgreSQL backup's server, and the ports its environment declares
 * (`PORT`, `<NAME>_PORT`, and `PGPORT` / `REDIS_PORT` of a PostgreSQL / Redis server), each with
 * the key path it is written at; and what kind of server it is, when its command, name, probes
 * or environment say (PostgreSQL, Redis).
 */
import { basename } from 'node:path';
import type { ServiceConfig } from '../config/schema';

export interface Endpoint {
  /** Where it is declared: `health.readiness`, `health.liveness`, `backup.postgres`. */
  source: string;
  kind: 'http' | 'tcp';
  host: string;
  port: number;
  /** http: the probe's URL. */
  url?: string;
}

export type ServerKind = 'postgres' | 'redis';

export function serviceEndpoints(name: string, service: ServiceConfig): Endpoint[] {
  const out: Endpoint[] = [];
  for (const role of ['readiness', 'liveness'] as const) {
    const p = service.health[role];
    if (p?.http) {
      const u = new URL(p.http.url);
      const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
      out.push({ source: `health.${role}`, kind: 'http', host: u.hostname.replace(/^\[|\]$/g, ''), port, url: p.http.url });
    }
    if (p?.tcp) out.push({ source: `health.${role}`, kind: 'tcp', host: p.tcp.host, port: p.tcp.port });
  }
  const pg = service.backup?.postgres;
  if (pg) {
    const port = pg.port ?? Number(service.env.PGPORT ?? 5432);
    const host = pg.host ?? service.env.PGHOST ?? '127.0.0.1';
    if (!host.startsWith('/')) out.push({ source: 'backup.postgres', kind: 'tcp', host, port });
  }
  const kind = serverKind(name, service);
  const vars = ['PORT', `${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_PORT`, ...(kind === 'postgres' ? ['PGPORT'] : kind === 'redis' ? ['REDIS_PORT'] : [])];
  for (const v of vars) {
    const port = Number(service.env[v]);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) continue;
    const host = kind === 'postgres' && service.env.PGHOST && !service.env.PGHOST.startsWith('/') ? service.env.PGHOST : '127.0.0.1';
    out.push({ source: `env.${v}`, kind: 'tcp', host, port });
  }
  return out;
}

/** The service's own ports: those its probes and backup target, once each, with where first written. */
export function ownPorts(name: string, service: ServiceConfig): Map<number, Endpoint> {
  const ports = new Map<number, Endpoint>();
  for (const e of serviceEndpoints(name, service)) if (isLocalHost(e.host) && !ports.has(e.port)) ports.set(e.port, e);
  return ports;
}

export const isLocalHost = (host: string) => ['127.0.0.1', 'localhost', '0.0.0.0', '::1', '::', ''].includes(host) || host.startsWith('127.');

/** PostgreSQL or Redis, when the backup config, the command, the probes, the environment or the name says so. */
export function serverKind(name: string, service: ServiceConfig): ServerKind | undefined {
  if (service.backup?.postgres) return 'postgres';
  const argv = typeof service.command === 'string' ? service.command.split(/\s+/) : service.command;
  const words = [...argv.slice(0, 3).map((a) => basename(a)), ...(service.health.readiness?.exec ?? []).join(' ').split(/[\s"'()$]+/)];
  if (words.some((w) => /^(postgres|postmaster|pg_ctl|pg_isready)$/.test(w)) || 'PGPORT' in service.env || /^(postgres|postgresql|pg)$/.test(name)) return 'postgres';
  if (words.some((w) => /^(redis-server|redis-cli)$/.test(w)) || 'REDIS_PORT' in service.env || name === 'redis') return 'redis';
  return undefined;
}
