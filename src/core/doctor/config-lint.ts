/**
 * The doctor's config lint, beyond what validation refuses: a stateful service without a backup,
 * a service without a readiness probe, a liveness probe that depends on an upstream (an outage
 * upstream would restart this service for nothing), a port declared by two services, and a
 * service's port already taken by a process that is not the service (named). Each finding says
 * where in opsdeck.yaml it is, for the editor's diagnostics.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import type { LoadedStack } from '../config/load';
import { SourcePositions } from '../config/positions';
import type { ServiceConfig } from '../config/schema';
import { processTree, type ProcInfo } from '../supervisor/process-table';
import { check, fix, type DoctorCheck } from './check';
import type { DoctorContext } from './context';
import { listenersOn, type PortListener } from './port-owners';
import { ownPorts, serverKind } from './service-endpoints';

type Locate = (path: (string | number)[]) => NonNullable<DoctorCheck['at']>;

/** Positions in the stack's opsdeck.yaml of key paths (1:1 when it cannot be read). */
function locator(stack: LoadedStack): Locate {
  let positions: SourcePositions | undefined;
  try {
    const lines = new LineCounter();
    const doc = parseDocument(readFileSync(stack.file, 'utf8'), { lineCounter: lines, uniqueKeys: false });
    positions = new SourcePositions(doc, lines);
  } catch {
    positions = undefined;
  }
  return (path) => ({ path: path.join('.'), ...(positions?.keyOf(path) ?? { line: 1, column: 1 }) });
}

export function configChecks(ctx: DoctorContext, table: ProcInfo[]): DoctorCheck[] {
  const at = locator(ctx.stack);
  const services = ctx.stack.config.services;
  const out: DoctorCheck[] = [];
  const completedDeps = new Set(Object.values(services).flatMap((s) => Object.entries(s.depends_on).filter(([, c]) => c === 'completed').map(([d]) => d)));
  for (const name of ctx.services) {
    const s = services[name]!;
    out.push(backupLint(name, s, completedDeps.has(name), at), readinessLint(name, s, completedDeps.has(name), at), livenessLint(name, s, services, at));
  }
  out.push(...portLint(ctx, table, at));
  return out;
}

const isStateful = (name: string, s: ServiceConfig) => s.tier === 'storage' || s.tier === 'messaging' || serverKind(name, s) !== undefined;

function backupLint(name: string, s: ServiceConfig, oneShot: boolean, at: Locate): DoctorCheck {
  const title = 'Stateful service has a backup';
  if (oneShot) return check('config', 'config.backup', title, 'ok', 'a one-shot job: it holds no data of its own', { service: name });
  if (!isStateful(name, s)) return check('config', 'config.backup', title, 'ok', `not stateful (tier ${s.tier})`, { service: name });
  if (s.backup) return check('config', 'config.backup', title, 'ok', 'declares what a backup takes', { service: name });
  return check('config', 'config.backup', title, 'warn', `tier ${s.tier} holds data, but nothing of it is backed up`, {
    service: name,
    at: at(['services', name]),
    fix: fix(`add \`backup:\` to ${name} (sqlite, files, postgres or command: docs/backup.md)`),
    data: { tier: s.tier, kind: serverKind(name, s) ?? null },
  });
}

function readinessLint(name: string, s: ServiceConfig, oneShot: boolean, at: Locate): DoctorCheck {
  const title = 'Has a readiness probe';
  if (s.health.readiness) return check('config', 'config.readiness', title, 'ok', `readiness by ${probeKind(s.health.readiness)}`, { service: name });
  if (oneShot) return check('config', 'config.readiness', title, 'ok', 'a one-shot job (a dependency of others as `completed`): its exit says enough', { service: name });
  return check('config', 'config.readiness', title, 'warn', 'no readiness probe: dependents start as soon as it is spawned, not when it answers', {
    service: name,
    at: at(['services', name, 'health']),
    fix: fix(`add health.readiness to ${name} (an http or tcp probe of where it listens)`),
  });
}

const probeKind = (p: NonNullable<ServiceConfig['health']['readiness']>) => (p.http ? `http ${p.http.url}` : p.tcp ? `tcp ${p.tcp.host}:${p.tcp.port}` : p.exec ? `exec ${p.exec.join(' ')}` : 'log');

/**
 * A liveness probe that targets another service's port, or whose command names an upstream (its
 * name, or its port), fails when that upstream is down: the engine would restart this service,
 * which cannot help.
 */
function livenessLint(name: string, s: ServiceConfig, all: Record<string, ServiceConfig>, at: Locate): DoctorCheck {
  const title = 'Liveness probe is about the service itself';
  const live = s.health.liveness;
  if (!live) return check('config', 'config.liveness', title, 'ok', 'no liveness probe', { service: name });
  const mine = ownPortsOf(name, s, 'health.readiness');
  const upstream: string[] = [];
  for (const [other, o] of Object.entries(all)) {
    if (other === name) continue;
    const theirs = [...ownPorts(other, o).keys()];
    const targets = [live.http ? Number(new URL(live.http.url).port || 80) : undefined, live.tcp?.port].filter((p): p is number => p !== undefined && !mine.has(p));
    const words = (live.exec ?? []).join(' ');
    const namesIt = new RegExp(`(^|[^A-Za-z0-9_-])${other.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}($|[^A-Za-z0-9_-])`).test(words);
    const portIn = theirs.some((p) => targets.includes(p) || new RegExp(`(^|\\D)${p}(\\D|$)`).test(words));
    if (namesIt || portIn) upstream.push(other);
  }
  if (!upstream.length) return check('config', 'config.liveness', title, 'ok', `liveness by ${probeKind(live)}`, { service: name });
  return check('config', 'config.liveness', title, 'warn', `the liveness probe depends on ${upstream.join(', ')}: an outage there restarts ${name} for nothing`, {
    service: name,
    at: at(['services', name, 'health', 'liveness']),
    fix: fix(`make ${name}'s liveness probe check ${name} alone (a shallow /livez), and put upstream checks in readiness or health.check`),
    data: { upstream, probe: probeKind(live) },
  });
}

const ownPortsOf = (name: string, s: ServiceConfig, source: string) => new Set([...ownPorts(name, s).values()].filter((e) => e.source === source).map((e) => e.port));

/** Ports declared by two services, and ports taken by a process that is not the service. */
function portLint(ctx: DoctorContext, table: ProcInfo[], at: Locate): DoctorCheck[] {
  const services = ctx.stack.config.services;
  const declared = new Map<number, { service: string; source: string }[]>();
  for (const [name, s] of Object.entries(services)) {
    // A service's own port is the one its readiness probe (or, without one, its liveness probe or backup) targets.
    const own = [...ownPorts(name, s).values()].filter((e, _, all) => e.source === 'health.readiness' || !all.some((x) => x.source === 'health.readiness'));
    for (const e of own) (declared.get(e.port) ?? declared.set(e.port, []).get(e.port)!).push({ service: name, source: e.source });
  }
  const out: DoctorCheck[] = [];
  for (const [port, by] of declared) {
    if (by.length > 1 && by.some((b) => ctx.services.includes(b.service))) {
      const [first, ...rest] = by;
      out.push(
        check('config', 'config.ports.twice', `Port ${port} declared once`, 'fail', `port ${port} is declared by ${by.map((b) => b.service).join(' and ')}`, {
          service: rest[0]!.service,
          at: at(['services', rest[0]!.service, ...rest[0]!.source.split('.')]),
          fix: fix(`give ${rest.map((r) => r.service).join(', ')} a port of its own (${first!.service} has ${port})`),
          data: { port, services: by },
        }),
      );
    }
  }
  const mine = (service: string) => {
    const pid = ctx.pids.get(service);
    return new Set(pid === undefined ? [] : processTree(table, pid).map((p) => p.pid));
  };
  const listeners = listenersOn(declared.keys());
  for (const [port, by] of declared) {
    for (const b of by) {
      if (!ctx.services.includes(b.service)) continue;
      const here = listeners.filter((l) => l.port === port);
      const own = mine(b.service);
      const others = here.filter((l) => l.pid === undefined || !own.has(l.pid));
      const title = `Port ${port} is free for ${b.service}`;
      if (!others.length) {
        out.push(check('config', 'config.ports.taken', title, 'ok', here.length ? `${b.service} listens on it` : 'nothing else listens on it', { service: b.service, data: { port, listeners: here } }));
        continue;
      }
      const who = others.map(describe).join('; ');
      out.push(
        check('config', 'config.ports.taken', title, 'fail', `port ${port} is taken by ${who}`, {
          service: b.service,
          at: at(['services', b.service, ...b.source.split('.')]),
          fix: others[0]!.pid !== undefined ? fix(`stop that process, or give ${b.service} another port`, `kill ${others[0]!.pid}`) : fix(`stop that process (another user's), or give ${b.service} another port`),
          data: { port, listeners: here },
        }),
      );
    }
  }
  return out;
}

const describe = (l: PortListener) => (l.pid !== undefined ? `pid ${l.pid} (${l.command ?? '?'}) on ${l.address}` : `a process of another user on ${l.address} (socket inode ${l.inode})`);

