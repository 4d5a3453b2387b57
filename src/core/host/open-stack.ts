/**
 * The one way a surface opens a stack: `openStack(dir, { mode })` answers "is there an owner, or
 * do I become one?" and returns the contract's EngineLike either way, saying which it is.
 *
 *   attach       the running owner's engine over its control API; STACK_NOT_RUNNING without one
 *   embed        become the owner: EngineHost (lock, stale-owner take-over, leftovers of a dead
 *                owner stopped, backup schedule, the API on the socket); STACK_LOCKED when owned
 *   auto         attach when an owner runs, else embed
 *   own-briefly  attach when an owner runs, else hold the stack for one command (the lock unless
 *                `lock: false`, an Engine without schedule or API, memory recorded while locked)
 *
 * The CLI's commands, the daemon, `opsdeck up` and the extension all come through here.
 */
import { join } from 'node:path';
import { ApiClient } from '../client/api-client';
import { RemoteEngine } from '../client/remote-engine';
import type { EngineLike } from '../contract/engine';
import { Engine } from '../engine';
import { JournaledMemory } from '../memory/journaled-memory';
import { OpsError } from '../errors';
import { acquireLock, readOwner, type LockInfo } from '../stack-lock';
import { EngineHost, type HostOptions } from './engine-host';

export type OpenMode = 'auto' | 'attach' | 'embed' | 'own-briefly';

export interface OpenStackOptions extends Omit<HostOptions, 'owner' | 'version'> {
  mode: OpenMode;
  /** Who opens it (`up`, `daemon`, `extension`, `backup`…): written in the lock when it becomes the owner. */
  owner: string;
  version: string;
  /** own-briefly: take the stack lock (default true); without it nothing is recorded to memory. */
  lock?: boolean;
  /** attach: the client's request timeout. */
  timeoutMs?: number;
}

interface Opened {
  readonly engine: EngineLike;
  /** Let go: stop an owned stack, release the lock; nothing for an attached one. */
  close(): Promise<void>;
}

/** What openStack returns, by `role`: attached to another process's engine, the owner, or held for one command. */
export type OpenedStack =
  | (Opened & { readonly role: 'attached'; readonly ownerInfo: LockInfo; readonly client: ApiClient })
  | (Opened & { readonly role: 'owner'; readonly host: EngineHost; readonly local: Engine })
  | (Opened & { readonly role: 'brief'; readonly local: Engine });

/** The engine that owns the stack in `dir`, if one runs, as a client and a RemoteEngine. */
export function runningOwner(dir: string, opts: { timeoutMs?: number } = {}): { info: LockInfo; client: ApiClient; engine: RemoteEngine } | undefined {
  const info = readOwner(dir);
  if (!info?.socket) return undefined;
  const client = new ApiClient(info.socket, opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs });
  return { info, client, engine: new RemoteEngine(client) };
}

export async function openStack(dir: string, opts: OpenStackOptions): Promise<OpenedStack> {
  const { mode, lock: takeLock = true, timeoutMs, ...hostOpts } = opts;
  if (mode !== 'embed') {
    const running = runningOwner(dir, timeoutMs === undefined ? {} : { timeoutMs });
    if (running) return { engine: running.engine, role: 'attached', ownerInfo: running.info, client: running.client, close: async () => undefined };
    if (mode === 'attach') {
      throw new OpsError('STACK_NOT_RUNNING', `no engine is running for the stack in ${dir}`, 'start it with `opsdeck up` (or `opsdeck up --detach`)');
    }
  }
  if (mode === 'own-briefly') return holdBriefly(dir, opts.owner, opts.version, takeLock);
  const host = await EngineHost.start(dir, hostOpts as HostOptions);
  return { engine: host.engine, role: 'owner', host, local: host.engine, close: () => host.stop() };
}

/** Hold the stack for one command: the lock (unless told not to), an Engine, memory while locked. */
async function holdBriefly(dir: string, owner: string, version: string, takeLock: boolean): Promise<OpenedStack> {
  const lock = takeLock ? acquireLock(dir, { owner, version }) : undefined;
  let engine: Engine | undefined;
  let memory: JournaledMemory | undefined;
  try {
    engine = await Engine.open(dir);
    if (lock) {
      // Holding the stack lock, this command is the stack's owner for now: it records its events,
      // as an owner does, in the journal; memory.db (SQLite) is opened on a worker only if the
      // command searches or compacts memory, and otherwise the next owner takes the journal in.
      const opsdeckDir = join(engine.stack.dir, '.opsdeck');
      memory = JournaledMemory.open(opsdeckDir);
      engine.useMemory(memory);
      // …and may compact the long-term metrics store in-process (`opsdeck maintain opsdeck:metrics`).
      const held = engine;
      engine.useMetricsUpkeep({
        compact: async () => (await import('../metrics/store/ingest')).compactRollupsInProcess(opsdeckDir, Date.now(), held.stack.config.metrics.retention),
      });
    }
  } catch (e) {
    await engine?.dispose();
    await memory?.close();
    lock?.release();
    throw e;
  }
  const held = engine;
  let closed = false;
  return {
    engine: held,
    role: 'brief',
    local: held,
    close: async () => {
      if (closed) return;
      closed = true;
      try {
        await held.dispose();
      } finally {
        await memory?.close();
        lock?.release();
      }
    },
  };
}
