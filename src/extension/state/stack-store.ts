/**
 * The extension's one state model: everything the status bar, the Services tree, the Metrics view
 * and the notifications show comes from one StackSnapshot, so they can never disagree. It is fed
 * by the engine connection (status after events, profiles, the connection's mode and problem)
 * plus a periodic metrics sample (the IPC score with it) and the backup status; every change
 * makes a new snapshot with a higher `seq`.
 *
 *   no engine (not started, unreachable, config broken)  → status, metrics, profiles, backups
 *                                                          cleared; `connection.problem` says why
 *   (re)connected, or the engine behind the socket changed → `epoch` + 1 and everything read again
 *                                                          (views reload what they fetched: history)
 *   while connected                                        → metrics every sample interval (5 s),
 *                                                          backups every minute and after backup events
 *
 * No VS Code in here: timers are injected, so the store runs in unit tests.
 */
import type { BackupStatus, EngineEvent, EngineStatus, ProfilesInfo, StackMetrics } from '../../core/contract';
import { Emitter, type Disposable } from '../emitter';
import type { ConnectionInfo } from '../status-model';

export interface StackSnapshot {
  /** Bumped on every change; a view can tell whether what it shows is current. */
  readonly seq: number;
  /** Bumped on every (re)connection and engine restart: data fetched for an older epoch is stale. */
  readonly epoch: number;
  /** When this snapshot was made (epoch ms). */
  readonly at: number;
  readonly connection: ConnectionInfo;
  /** The engine's status; undefined while there is no engine (see `connection.problem`). */
  readonly status: EngineStatus | undefined;
  /** The latest metrics sample (IPC score included); undefined until the first one is read. */
  readonly metrics: StackMetrics | undefined;
  readonly profiles: ProfilesInfo | undefined;
  /** Whether the engine serves backups, and their status when it does (undefined until read). */
  readonly backupsAvailable: boolean;
  readonly backups: BackupStatus | undefined;
  /** Why the backup status could not be read, if it could not. */
  readonly backupsError?: string;
  /** The stack's start-at-login units (`opsdeck units status`), once read (boot-units.ts). */
  readonly units?: UnitsSummary;
  /** The release `current` points to, for a stack with releases (release-state.ts). */
  readonly release?: ReleaseSummary;
}

/** What the views show of a stack's releases: the running version and how the last operation ended. */
export interface ReleaseSummary {
  current: string;
  /** The last deploy, update or rollback: `update 2 → 3 rolled-back`. */
  last?: string;
}

/** What the views show of the boot units: installed for which init system and mode, drifted from opsdeck.yaml. */
export interface UnitsSummary {
  target: string;
  mode: string;
  installed: boolean;
  drifted: boolean;
}

/** The IPC score a view shows: the newest of the metrics sample and the status. */
export function currentIpc(s: StackSnapshot): EngineStatus['ipc'] | undefined {
  if (!s.status) return undefined;
  const m = s.metrics?.ipc;
  return m ? { score: m.score, level: m.level, summary: m.summary } : s.status.ipc;
}

/** What the store needs of the engine connection (EngineConnection, or a fake in tests). */
export interface StoreConnection {
  readonly info: ConnectionInfo;
  readonly status: EngineStatus | undefined;
  readonly profiles: ProfilesInfo | undefined;
  readonly backupsAvailable: boolean;
  readonly client: { metrics(): Promise<unknown>; backupStatus(): Promise<BackupStatus> } | undefined;
  onDidChangeStatus(fn: (s: EngineStatus | undefined) => void): Disposable;
  onDidChangeProfiles(fn: (p: ProfilesInfo | undefined) => void): Disposable;
  onDidChangeMode(fn: (mode: ConnectionInfo['mode']) => void): Disposable;
  onDidReceiveEvent(fn: (e: EngineEvent) => void): Disposable;
  onDidFail(fn: (p: { message: string }) => void): Disposable;
  refresh(): Promise<EngineStatus | undefined>;
}

export interface StoreTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  now(): number;
}

export interface StackStoreOptions {
  timers?: StoreTimers;
  /** Metrics sample period until the engine tells its own (default 5 s). */
  metricsMs?: number;
  /** Backup status refresh period (default 60 s). */
  backupsMs?: number;
  log?: (line: string) => void;
}

const realTimers: StoreTimers = {
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
  now: () => Date.now(),
};

/** Events after which the backup status is read again. */
const BACKUP_EVENTS = new Set<string>(['backup', 'restore', 'verify', 'retention', 'rpo', 'drill']);

export class StackStore implements Disposable {
  private current: StackSnapshot;
  private readonly emitter = new Emitter<StackSnapshot>();
  private readonly subscriptions: Disposable[] = [];
  private readonly timers: StoreTimers;
  private metricsTimer: unknown;
  private backupsTimer: unknown;
  private metricsMs: number;
  private enginePid: number | undefined;
  private disposed = false;

  /** A new snapshot (after any change). */
  readonly onDidChange = this.emitter.event;

  constructor(
    private readonly connection: StoreConnection,
    private readonly opts: StackStoreOptions = {},
  ) {
    this.timers = opts.timers ?? realTimers;
    this.metricsMs = opts.metricsMs ?? 5000;
    this.current = {
      seq: 0,
      epoch: 0,
      at: this.timers.now(),
      connection: connection.info,
      status: undefined,
      metrics: undefined,
      profiles: undefined,
      backupsAvailable: false,
      backups: undefined,
    };
    this.subscriptions.push(
      connection.onDidChangeStatus((status) => this.set({ status: this.connected() ? status : undefined })),
      connection.onDidChangeProfiles((profiles) => this.set({ profiles: this.connected() ? profiles : undefined })),
      connection.onDidChangeMode(() => this.resync()),
      connection.onDidFail(() => this.set({})),
      connection.onDidReceiveEvent((e) => {
        if (BACKUP_EVENTS.has(e.type)) void this.readBackups();
      }),
    );
    this.resync();
  }

  get snapshot(): StackSnapshot {
    return this.current;
  }

  /** Read everything again now (a command that changed the stack, a test). */
  async refresh(): Promise<StackSnapshot> {
    await Promise.all([this.connection.refresh(), this.readMetrics(), this.readBackups()]);
    return this.current;
  }

  dispose(): void {
    this.disposed = true;
    this.stopTimers();
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.emitter.dispose();
  }

  // ------------------------------------------------------------------ feeding

  private connected(): boolean {
    return this.connection.info.mode !== 'none';
  }

  /** The connection changed: a new epoch, cleared or re-read state, timers started or stopped. */
  private resync(): void {
    if (this.disposed) return;
    this.stopTimers();
    if (!this.connected()) {
      this.enginePid = undefined;
      this.set({ status: undefined, metrics: undefined, profiles: undefined, backups: undefined, backupsError: undefined, backupsAvailable: false }, true);
      return;
    }
    this.enginePid = this.connection.info.engine?.pid;
    this.set({ status: this.connection.status, profiles: this.connection.profiles, metrics: undefined, backups: undefined, backupsError: undefined, backupsAvailable: this.connection.backupsAvailable }, true);
    this.metricsTimer = this.timers.setInterval(() => void this.readMetrics(), this.metricsMs);
    this.backupsTimer = this.timers.setInterval(() => void this.readBackups(), this.opts.backupsMs ?? 60_000);
    void this.readMetrics();
    void this.readBackups();
  }

  private stopTimers(): void {
    if (this.metricsTimer !== undefined) this.timers.clearInterval(this.metricsTimer);
    if (this.backupsTimer !== undefined) this.timers.clearInterval(this.backupsTimer);
    this.metricsTimer = this.backupsTimer = undefined;
  }

  private async readMetrics(): Promise<void> {
    const client = this.connection.client;
    if (!client || !this.connected()) return;
    const epoch = this.current.epoch;
    try {
      const metrics = (await client.metrics()) as StackMetrics;
      if (epoch !== this.current.epoch || this.disposed) return;
      // The engine samples at its own interval: follow it.
      if (metrics.intervalMs > 0 && metrics.intervalMs !== this.metricsMs) {
        this.metricsMs = Math.max(1000, metrics.intervalMs);
        if (this.metricsTimer !== undefined) {
          this.timers.clearInterval(this.metricsTimer);
          this.metricsTimer = this.timers.setInterval(() => void this.readMetrics(), this.metricsMs);
        }
      }
      this.set({ metrics });
    } catch (e) {
      this.opts.log?.(`metrics: ${(e as Error).message}`);
    }
  }

  private async readBackups(): Promise<void> {
    const client = this.connection.client;
    if (!client || !this.connected() || !this.connection.backupsAvailable) return;
    const epoch = this.current.epoch;
    try {
      const backups = await client.backupStatus();
      if (epoch === this.current.epoch && !this.disposed) this.set({ backups, backupsError: undefined });
    } catch (e) {
      if (epoch === this.current.epoch && !this.disposed) this.set({ backupsError: (e as Error).message });
    }
  }

  /** The boot units' status, read by boot-units.ts (it does not change with the engine). */
  setUnits(units: UnitsSummary | undefined): void {
    this.set({ units });
  }

  /** The running release, read by release-state.ts from the stack folder. */
  setRelease(release: ReleaseSummary | undefined): void {
    if (JSON.stringify(release) !== JSON.stringify(this.current.release)) this.set({ release });
  }

  private set(patch: Partial<Omit<StackSnapshot, 'seq' | 'epoch' | 'at' | 'connection'>>, newEpoch = false): void {
    if (this.disposed) return;
    const connection = this.connection.info;
    // The engine behind the socket restarted (another pid): what was fetched before is stale.
    const pid = connection.mode === 'none' ? undefined : connection.engine?.pid;
    const restarted = !newEpoch && pid !== undefined && this.enginePid !== undefined && pid !== this.enginePid;
    if (restarted) this.enginePid = pid;
    const next: StackSnapshot = {
      ...this.current,
      ...patch,
      connection,
      seq: this.current.seq + 1,
      epoch: this.current.epoch + (newEpoch || restarted ? 1 : 0),
      at: this.timers.now(),
    };
    // Without an engine nothing of one is shown, whatever arrives late.
    if (connection.mode === 'none') Object.assign(next, { status: undefined, metrics: undefined, profiles: undefined, backups: undefined });
    this.current = next;
    this.emitter.fire(next);
  }
}
