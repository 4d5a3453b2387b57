/**
 * Where a service answers, read from its config: the origin of its http probe (readiness first,
 * then liveness) or the host:port of its tcp probe; undefined when neither probe says. Shown by
 * the status (ServiceStatus.endpoint) so the surfaces can link to the service.
 */
import type { ServiceConfig } from './schema';

export function serviceEndpoint(service: ServiceConfig): string | undefined {
  const probes = [service.health.readiness, service.health.liveness];
  for (const p of probes) {
    if (!p?.http) continue;
    try {
      return new URL(p.http.url).origin;
    } catch {
      // validated as a URL when loaded; nothing to show otherwise
    }
  }
  for (const p of probes) if (p?.tcp) return `${p.tcp.host}:${p.tcp.port}`;
  return undefined;
}
