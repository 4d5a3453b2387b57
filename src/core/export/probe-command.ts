/**
 * Opsdeck's http and tcp probes as shell commands, for where a container engine runs a command
 * instead of probing itself (a Compose healthcheck, a Kubernetes init container waiting for a
 * dependency). Images differ in their tools, so each command tries curl, then wget, then node,
 * and judges the answer as Opsdeck does (the expected status, else any 2xx or 3xx).
 */
import type { ProbeConfig } from '../config/schema';

/** What an http or tcp probe run as a process gets beyond its own timeout, to start that process (node takes a while in a container). */
export const PROCESS_START_ALLOWANCE_MS = 2000;

/** `s` quoted for sh. */
export function shQuote(s: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A sh script that exits 0 when `url` answers `method` with an accepted status within `timeoutMs`. */
export function httpCheckScript(url: string, method: string, status: number | number[] | undefined, timeoutMs = 1000): string {
  const u = shQuote(url);
  const secs = timeoutMs / 1000;
  const accepted = status === undefined ? '2??|3??' : (Array.isArray(status) ? status : [status]).join('|');
  return [
    `code=$(curl -s -o /dev/null -w '%{http_code}' --max-time ${secs} -X ${method} ${u} 2>/dev/null) || code=`,
    `{ [ -n "$code" ] && [ "$code" != 000 ]; } || code=$(wget -q -S -T ${Math.ceil(secs)} -O /dev/null ${u} 2>&1 | awk '/^ *HTTP\\//{c=$2} END{print c}')`,
    `[ -n "$code" ] || code=$(node -e 'fetch(process.argv[1],{method:process.argv[2],signal:AbortSignal.timeout(+process.argv[3])}).then(r=>console.log(r.status),()=>console.log(0))' ${u} ${method} ${timeoutMs} 2>/dev/null)`,
    `case "$code" in ${accepted}) exit 0;; *) exit 1;; esac`,
  ].join('; ');
}

/** A sh script that exits 0 when `host:port` accepts a TCP connection within `timeoutMs`. */
export function tcpCheckScript(host: string, port: number, timeoutMs = 1000): string {
  const h = shQuote(host);
  return `nc -z -w ${Math.ceil(timeoutMs / 1000)} ${h} ${port} 2>/dev/null || node -e 'const s=require("net").connect(+process.argv[2],process.argv[1]);s.on("connect",()=>process.exit(0));s.on("error",()=>process.exit(1));setTimeout(()=>process.exit(1),+process.argv[3])' ${h} ${port} ${timeoutMs}`;
}

/** A probe run inside the service's own container: argv for exec, a sh script for http and tcp, undefined for a log probe. */
export type ProbeCommand = { argv: string[] } | { script: string } | undefined;

export function probeCommand(probe: ProbeConfig): ProbeCommand {
  if (probe.exec) return { argv: probe.exec };
  if (probe.http) return { script: httpCheckScript(probe.http.url, probe.http.method, probe.http.status, probe.timeout) };
  if (probe.tcp) return { script: tcpCheckScript(probe.tcp.host, probe.tcp.port, probe.timeout) };
  return undefined;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1', '0.0.0.0']);

/**
 * The same probe run from another container, against `host` (the dependency's name on the
 * container network) when the probe names a loopback address; undefined when it cannot be run
 * from outside (an exec or log probe).
 */
export function remoteProbeScript(probe: ProbeConfig, host: string): string | undefined {
  if (probe.http) {
    const u = new URL(probe.http.url);
    if (LOOPBACK.has(u.hostname)) u.hostname = host;
    return httpCheckScript(u.toString(), probe.http.method, probe.http.status, probe.timeout);
  }
  if (probe.tcp) return tcpCheckScript(LOOPBACK.has(probe.tcp.host) ? host : probe.tcp.host, probe.tcp.port, probe.timeout);
  return undefined;
}
