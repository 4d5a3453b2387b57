/**
 * Serving the control API on the stack's unix socket (mode 0600: only its user may connect) and,
 * with `listen` (opsdeck.yaml's `api.listen`), on a TCP listener that asks for a bearer token
 * (auth.ts, tokens.ts). A stale socket left by a dead engine is replaced; a live one is never
 * stolen. Closing ends every event stream cleanly, then the servers, then removes the socket file.
 */
import { chmodSync, lstatSync, mkdirSync, rmSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { OpsError } from '../errors';
import { parseListen } from '../config/schema-api';
import type { ServedEngine } from './served-engine';
import { listenUrl, withTokens } from './auth';
import { createApi, type ApiOptions } from './routes/app';
import { TokenChecker, ensureTokens } from './tokens';

export interface ApiServer {
  readonly socketPath: string;
  /** The TCP listener's base URL (`http://127.0.0.1:9180`), when there is one. */
  readonly url?: string;
  /** End the event streams, stop the server, remove the socket. Safe to call twice. */
  close(): Promise<void>;
}

/** How long close() lets answers in progress finish before it cuts their connections. */
const CLOSE_GRACE_MS = 2000;

/**
 * Serve `engine`'s API on `socketPath` and, with `opts.listen` (which needs `opts.stackDir`, where
 * the tokens are kept), on TCP. A TCP address in use fails the start (the socket is closed again).
 */
export async function serveApi(engine: ServedEngine, socketPath: string, opts: Omit<ApiOptions, 'signal' | 'socketPath'> = {}): Promise<ApiServer> {
  mkdirSync(dirname(socketPath), { recursive: true, mode: 0o700 });
  await removeStaleSocket(socketPath);
  const shutdown = new AbortController();
  const app = createApi(engine, { ...opts, socketPath, signal: shutdown.signal });
  // overrideGlobalObjects: false, so an embedding process (the extension host) keeps its own Request/Response.
  const server = createAdaptorServer({ fetch: app.fetch, overrideGlobalObjects: false }) as Server;
  await listen(server, socketPath);
  chmodSync(socketPath, 0o600);
  const ino = statSync(socketPath).ino;
  const servers = [server];

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      shutdown.abort();
      await Promise.all(servers.map(closeServer));
      // libuv usually unlinks the socket on close; remove it if still there and still ours.
      try {
        if (statSync(socketPath).ino === ino) rmSync(socketPath, { force: true });
      } catch {
        /* already gone */
      }
    })());

  if (!opts.listen) return { socketPath, close };
  try {
    const tcp = await serveTcp(app.fetch, opts.listen, opts.stackDir);
    servers.push(tcp);
    return { socketPath, url: listenUrl(opts.listen), close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** The TCP listener: every request's token checked before `fetch` sees it. */
async function serveTcp(fetch: Parameters<typeof withTokens>[0], listenAt: string, stackDir: string | undefined): Promise<Server> {
  const address = parseListen(listenAt);
  if (typeof address === 'string') throw new OpsError('CONFIG_INVALID', `api.listen: ${address}`, 'fix api.listen in opsdeck.yaml (docs/config.md)');
  if (!stackDir) throw new OpsError('INTERNAL', 'a TCP listener needs the stack folder, where its tokens are kept');
  ensureTokens(stackDir);
  const server = createAdaptorServer({ fetch: withTokens(fetch, new TokenChecker(stackDir)), overrideGlobalObjects: false }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE' || e.code === 'EADDRNOTAVAIL' || e.code === 'EACCES'
          ? new OpsError('CONFIG_INVALID', `api.listen ${listenAt}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : e.code === 'EACCES' ? 'permission denied' : 'no such address on this machine'}`, 'pick another address or port for api.listen in opsdeck.yaml, or stop what listens there', { cause: e.code })
          : e,
      ),
    );
    server.listen(address.port, address.host, () => resolve());
  });
  return server;
}

/** Stop `server`: idle connections at once, busy ones once their answers are out (or after the grace). */
function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!server.listening) return resolve();
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
