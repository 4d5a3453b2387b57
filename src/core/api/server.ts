/**
 * Serving the control API on the stack's unix socket (mode 0600: only its user may connect).
 * A stale socket left by a dead engine is replaced; a live one is never stolen. Closing ends
 * every event stream cleanly, then the server, then removes the socket file.
 */
import { chmodSync, lstatSync, mkdirSync, rmSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { OpsError } from '../errors';
import type { ServedEngine } from './served-engine';
import { createApi, type ApiOptions } from './routes/app';

export interface ApiServer {
  readonly socketPath: string;
  /** End the event streams, stop the server, remove the socket. Safe to call twice. */
  close(): Promise<void>;
}

/** How long close() lets answers in progress finish before it cuts their connections. */
const CLOSE_GRACE_MS = 2000;

export async function serveApi(engine: ServedEngine, socketPath: string, opts: Omit<ApiOptions, 'signal'> = {}): Promise<ApiServer> {
  mkdirSync(dirname(socketPath), { recursive: true, mode: 0o700 });
  await removeStaleSocket(socketPath);
  const shutdown = new AbortController();
  const app = createApi(engine, { ...opts, signal: shutdown.signal });
  // overrideGlobalObjects: false, so an embedding process (the extension host) keeps its own Request/Response.
  const server = createAdaptorServer({ fetch: app.fetch, overrideGlobalObjects: false }) as Server;
  await listen(server, socketPath);
  chmodSync(socketPath, 0o600);
  const ino = statSync(socketPath).ino;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      shutdown.abort();
      await new Promise<void>((resolve) => {
        const deadline = Date.now() + CLOSE_GRACE_MS;
        // Streams just ended: their connections turn idle once the last bytes are out.
        const sweep = setInterval(() => {
          if (Date.now() > deadline) server.closeAllConnections();
          else server.closeIdleConnections();
        }, 20);
        server.close(() => {
          clearInterval(sweep);
          resolve();
        });
      });
      // libuv usually unlinks the socket on close; remove it if still there and still ours.
      try {
        if (statSync(socketPath).ino === ino) rmSync(socketPath, { force: true });
      } catch {
        /* already gone */
      }
    })());
  return { socketPath, close };
}

function listen(server: Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    // Binding a unix socket is synchronous: a tight umask for that moment makes it 0600 from the
    // start (chmod after listen covers where umask cannot be set, e.g. in a worker thread).
    let umask: number | undefined;
    try {
      umask = process.umask(0o177);
    } catch {
      umask = undefined;
    }
    try {
      server.listen(socketPath, () => {
        server.off('error', onError);
        resolve();
      });
    } finally {
      if (umask !== undefined) process.umask(umask);
    }
  });
}

/** Remove a socket file nobody answers on; refuse when an engine still listens there. */
async function removeStaleSocket(socketPath: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(socketPath).isSocket();
  } catch {
    return;
  }
  if (!isSocket) {
    throw new OpsError('INTERNAL', `${socketPath} exists and is not a socket`, 'remove that file, then start the engine again');
  }
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) {
    throw new OpsError('STACK_LOCKED', `another engine already serves ${socketPath}`, 'use `opsdeck status` to talk to it, or `opsdeck down` to stop it first');
  }
  rmSync(socketPath, { force: true });
}
