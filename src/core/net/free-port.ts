/**
 * Free loopback TCP ports: the system picks them (listen on port 0), and they are given back
 * before they are returned, for a process to listen on next (a recovery drill's services, tests,
 * benchmarks). Free when found: another process may still take one in between.
 */
import { createServer, type Server } from 'node:net';

/** `n` distinct loopback ports that are free now (all held open until every one is found). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const srv = createServer();
      servers.push(srv);
      ports.push(
        await new Promise<number>((ok, fail) => {
          srv.once('error', fail);
          srv.listen(0, '127.0.0.1', () => ok((srv.address() as { port: number }).port));
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/** One loopback port that is free now. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}
