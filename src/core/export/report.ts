/**
 * The export's report for one stack: a line for each key its opsdeck.yaml holds (defaults
 * included), from the mapping table (mapping-table.ts) for the target, with the services that
 * use the key; and the stack's own notes (addresses rewritten, services listening on loopback,
 * backed-up paths without a volume).
 */
import type { ExportLine, ExportTarget } from '../contract/export';
import type { StackConfig } from '../config/schema';
import { usedKeyPaths } from './config-keys';
import { mappingText, tableLineFor } from './mapping-table';
import type { ServiceFacts } from './service-facts';

const SERVICE_KEY = /^services\.<name>\./;

/** The report's lines for a config: one per table line used, in the table's order of keys. */
export function reportLines(config: StackConfig, target: ExportTarget, exported: string[]): ExportLine[] {
  const lines = new Map<string, ExportLine>();
  const add = (key: string, service?: string) => {
    const table = tableLineFor(key);
    const id = table?.key ?? key;
    const line = lines.get(id) ?? { key: id, ...(table ? mappingText(table[target]) : { status: 'not-mapped' as const, to: 'no line in the mapping table (an Opsdeck bug: please report it)' }) };
    if (service) line.services = [...new Set([...(line.services ?? []), service])];
    lines.set(id, line);
  };
  const { services, ...rest } = config;
  for (const key of usedKeyPaths(rest)) add(key);
  for (const name of exported) {
    for (const key of usedKeyPaths({ services: { [name]: services[name] } })) add(key, name);
  }
  return [...lines.values()].sort((a, b) => Number(SERVICE_KEY.test(a.key)) - Number(SERVICE_KEY.test(b.key)) || a.key.localeCompare(b.key));
}

/** What the table cannot know: findings about these services. */
export function stackNotes(services: ServiceFacts[]): string[] {
  const notes: string[] = [];
  for (const s of services) {
    for (const r of s.env.rewrites) notes.push(`${s.name}: ${r} (each service is its own host in a container network)`);
    const probes = [s.config.health.readiness, s.config.health.liveness];
    if (probes.some((p) => (p?.http && /\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(p.http.url)) || (p?.tcp && ['127.0.0.1', 'localhost', '::1'].includes(p.tcp.host)))) {
      notes.push(`${s.name}: its probes use a loopback address: in a container it must listen on all addresses (0.0.0.0) for other services${s.ports.length ? ' and Kubernetes probes' : ''} to reach it`);
    }
    if (s.config.tier === 'storage' && !s.data.length && s.config.restart.policy !== 'never') {
      notes.push(`${s.name} (tier storage) declares no backup paths, so no volume is made: its data lives in the container and goes with it (name its data folders under backup.files)`);
    }
    for (const u of s.unmounted) notes.push(`${s.name}: ${u} names files directly in the service's folder: no volume is made for it (give the data a folder of its own)`);
    for (const http of probes.map((p) => p?.http)) {
      if (http && http.method !== 'GET') notes.push(`${s.name}: Kubernetes' httpGet probes use GET, not ${http.method} (${http.url})`);
      if (http?.status !== undefined) notes.push(`${s.name}: Kubernetes' httpGet probes accept any status from 200 to 399, not only ${[http.status].flat().join(', ')} (${http.url})`);
    }
    if (s.image.runsCommand === false) notes.push(`${s.name}: runs the image ${s.image.image} with its own command (opsdeck.yaml's command is not used)`);
  }
  return notes;
}
