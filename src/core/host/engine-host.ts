/**
 * The owner of a stack: takes the stack lock, builds the Engine, stops what a dead previous owner
 * left running (src/core/supervisor/leftovers.ts), serves the control API on the stack's socket,
 * and releases everything on stop. `opsdeck up`, `opsdeck daemon` and the
 * extension (embedded mode) each run one EngineHost; every other client talks to it.
 */
import { loadConfig, type LoadOptions } from '../config/load';
import { Engine, type EngineOptions } from '../engine';
import { JournaledMemory } from '../memory/journaled-memory';
import { LongTermMetrics } from '../metrics/store/long-term-metrics';
import { acquireLock, socketPath, type AcquiredLock, type LockInfo } from '../stack-lock';
import { leftoverSummary, stopLeftovers, stopPolicy, type Leftover } from '../supervisor/leftovers';
import { join } from 'node:path';

export interface HostOptions extends EngineOptions, LoadOptions {
  /** Who runs it: `up`, `daemon`, `extension`. */
  owner: string;
  version: string;
}

export class EngineHost {
  private stopped = false;

  private constructor(
    readonly engine: Engine,
    private readonly memory: JournaledMemory,
    private readonly longTerm: LongTermMetrics,
    private readonly lock: AcquiredLock,
    private readonly api: { close(): Promise<void>; socketPath: string; url?: string },
    /** Services a dead engine left running, stopped before this one started anything. */
    readonly leftovers: Leftover[] = [],
  ) {}

  /** Take the stack at `path` (folder or opsdeck.yaml); fails with STACK_LOCKED if it has an owner. */
  static async start(path: string, opts: HostOptions): Promise<EngineHost> {
    const stack = await loadConfig(path, opts.profile === undefined ? {} : { profile: opts.profile });
    const socket = socketPath(stack.dir);
    const lock = acquireLock(stack.dir, { owner: opts.owner, socket, version: opts.version });
    let engine: Engine | undefined;
    let memory: JournaledMemory | undefined;
    let longTerm: LongTermMetrics | undefined;
    try {
      engine = new Engine(stack, opts);
      // Only the owner records memory: into the journal, indexed into memory.db on a worker thread.
      memory = JournaledMemory.open(join(stack.dir, '.opsdeck'));
      engine.useMemory(memory);
      // Only the owner keeps long-term metrics: rolled up on this thread, written by a worker (docs/metrics.md).
      const owned = engine;
      longTerm = new LongTermMetrics(join(stack.dir, '.opsdeck'), { clock: owned.supervisor.clock, retention: stack.config.metrics.retention, states: () => owned.supervisor.snapshot().map((s) => ({ name: s.name, state: s.state })) });
      engine.useLongTermMetrics(longTerm);
      // Before anything starts: stop what an engine that died (kill -9, a closed window) left running.
      const leftovers = await stopLeftovers(stack.dir, stopPolicy(stack.config.services));
      for (const l of leftovers) {
        engine.bus.emit({ type: 'leftover', service: l.service, at: engine.supervisor.clock.now(), pid: l.pid, enginePid: l.enginePid, processes: l.processes, outcome: l.outcome });
      }
      // The owner runs the backup schedule and the RPO watch (src/core/backup/schedule.ts).
      engine.backups.start();
      // And the daily maintenance (src/core/maintenance/schedule.ts).
      engine.maintenance.start();
      // The owner evaluates the alert rules and pages (src/core/alerts), resuming a previous owner's state.
      engine.alerts.start();
      // …and writes the scheduled report (docs/reports.md).
      engine.reports.start();
      // …on its socket, and on TCP with bearer tokens when opsdeck.yaml sets api.listen (docs/api.md).
      // Loaded here, not with this module: the one-shot commands that open a stack without serving
      // it (own-briefly: backup, restore) then never evaluate hono, its Node adapter and the routes
      // (whose Request / Response subclasses load Node's fetch on the spot).
      const { serveApi } = await import('../api/server');
      const listen = stack.config.api.listen;
      const api = await serveApi(engine, socket, { errorLog: join(stack.dir, '.opsdeck', 'logs', 'engine.log'), stackDir: stack.dir, ...(listen ? { listen } : {}) });
      return new EngineHost(engine, memory, longTerm, lock, api, leftovers);
    } catch (e) {
      await engine?.dispose();
      await memory?.close();
      await longTerm?.close();
      lock.release();
      throw e;
    }
  }

  /** One line about the services a dead engine left running and this one stopped, or undefined. */
  get leftoverNote(): string | undefined {
    return this.leftovers.length ? leftoverSummary(this.leftovers) : undefined;
  }

  get socketPath(): string {
    return this.api.socketPath;
  }

  /** The API's TCP listener (`http://127.0.0.1:9180`), when opsdeck.yaml sets api.listen. */
  get apiUrl(): string | undefined {
    return this.api.url;
  }

  /** The dead owner whose stale lock this host took over, if any. */
  get tookOverFrom(): LockInfo | undefined {
    return this.lock.tookOverFrom;
  }

  /** Stop every service, close the API, release the lock. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      await this.engine.dispose();
    } finally {
      await this.api.close().catch(() => undefined);
      try {
        await Promise.all([this.memory.close(), this.longTerm.close()]);
      } finally {
        this.lock.release();
      }
    }
  }
}
