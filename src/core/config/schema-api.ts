/**
 * The zod schema of the stack's `api:` in opsdeck.yaml (docs/api.md, "TCP listener and tokens"):
 * an optional TCP listener of the control API besides the unix socket, which asks for a bearer
 * token. `listen` is `HOST:PORT` with an IP address or `localhost` (IPv6 in brackets:
 * `[::1]:9180`); an address other than loopback is refused unless `allow_remote: true`, since
 * the API speaks plain HTTP and the token would cross the network in clear text.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { objectCheck } from './schema-kit';

/** `listen` parsed: the host as node:net takes it (no brackets) and the port. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** `HOST:PORT` or `[V6]:PORT` parsed, or a sentence saying what is wrong. */
export function parseListen(text: string): ListenAddress | string {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!m) return 'must be HOST:PORT, e.g. 127.0.0.1:9180 (an IPv6 address in brackets: [::1]:9180)';
  const host = (m[1] ?? m[2])!;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return `port ${m[3]} is not a port number (1-65535)`;
  if (m[1] !== undefined && isIP(host) !== 6) return `[${host}] is not an IPv6 address`;
  if (m[2] !== undefined && host !== 'localhost' && isIP(host) !== 4) return `${host} is not an IP address or localhost (write the address, not a host name)`;
  return { host, port };
}

/** Whether `host` (as parseListen gives it) only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function buildApiSchema() {
  return z
    .strictObject({
      /** The TCP listener, `HOST:PORT`; absent: the unix socket only. */
      listen: z
        .string({ error: 'must be HOST:PORT, e.g. 127.0.0.1:9180' })
        .superRefine((value, ctx) => {
          const parsed = parseListen(value);
          if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed, input: value });
        })
        .meta({ description: 'HOST:PORT of a TCP listener that asks for a bearer token, e.g. 127.0.0.1:9180; absent: the unix socket only.' })
        .optional(),
      /** Accept a `listen` address other than loopback (plain HTTP: put TLS in front of it). */
      allow_remote: z.boolean({ error: 'must be true or false' }).default(false),
    })
    .check(
      objectCheck((a, ctx) => {
        if (ctx.hasIssueAt('listen') || typeof a.listen !== 'string' || a.allow_remote === true) return;
        const parsed = parseListen(a.listen);
        if (typeof parsed !== 'string' && !isLoopback(parsed.host)) {
          ctx.addIssue({
            code: 'custom',
            path: ['listen'],
            message: `${parsed.host} is not a loopback address: the API speaks plain HTTP and the token would cross the network in clear text; listen on 127.0.0.1 (or [::1]), or set api.allow_remote: true behind a TLS proxy`,
            input: a.listen,
          });
        }
      }),
    );
}
