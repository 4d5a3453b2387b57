/**
 * The extension's one connection to the engine that owns the workspace's stack.
 *
 * `opsdeck.engine.mode`:
 *   auto      attach to the running owner (its lock names the API socket), else embed the engine
 *             in the extension host (EngineHost: takes the stack lock and serves the same API on
 *             the socket). If the owner we attached to exits, embed.
 *   embedded  always embed; while another process owns the stack, say so and wait for it to exit.
 *   attach    only attach; while nothing runs, wait (with backoff) for an owner.
 *
 * Either way everything goes through one ApiClient over the socket, so the extension behaves
 * the same whoever owns the stack. Engine events are pushed over server-sent events
 * (`GET /v1/events`, without the chatty `probe` and `log` types); each one schedules a single
 * coalesced status refresh. When the stream breaks the connection retries with exponential
 * backoff (0.5 s doubling to 30 s), never polls on a schedule otherwise. Timers come from an
 * injectable clock. No VS Code in here.
 */
import { type EngineEvent, type EngineStatus, type EventType, isOpsError, OpsError, type ProfilesInfo, type ServiceState } from '../core/contract';
import { ApiClient, type FetchLike, unixFetch } from '../core/client';
import { type LockInfo, openStack, readOwner as readOwnerLock } from '../core/host';
import { Emitter, type Disposable } from './emitter';
import { eventTypesOf, servesBackups } from './engine-openapi';
import type { ConnectionInfo, ConnectionMode } from './status-model';
import { markActivation } from './timings';

export type EngineModeSetting = 'auto' | 'embedded' | 'attach';

/** What the connection needs from an embedded engine host (EngineHost, or a fake in tests). */
export interface HostLike {
  readonly socketPath: string;
  readonly tookOverFrom?: LockInfo | undefined;
  /** Services a dead engine left running, which the host stopped before starting anything. */
  readonly leftoverNote?: string | undefined;
  stop(): Promise<void>;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface ConnectionOptions {
  /** The stack folder; undefined while the workspace has none (see `useStack`). */
  stackDir: string | undefined;
  mode: () => EngineModeSetting;
  version: string;
  log: Logger;
  timers?: Timers;
  /** Take the stack (default: openStack in `embed` mode, owner `extension`). */
  startHost?: (stackDir: string) => Promise<HostLike>;
  readOwner?: (stackDir: string) => LockInfo | undefined;
  /** Transport for a socket (tests). */
  fetchFor?: (socketPath: string) => FetchLike;
  /** Request timeout of the client (default 120 s: stopping a stack waits for grace periods; streams have none). */
  timeoutMs?: number;
  /** Delay between an event and the status refresh it causes (coalesces bursts). Default 100 ms. */
  refreshDelayMs?: number;
}

/** Event types the extension does not need pushed: high-rate, and not state. */
const QUIET_TYPES: ReadonlySet<string> = new Set(['probe', 'log']);
export const RETRY_INITIAL_MS = 500;
export const RETRY_MAX_MS = 30_000;

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export class EngineConnection implements Disposable {
  private _mode: ConnectionMode = 'none';
  private _client: ApiClient | undefined;
  private _status: EngineStatus | undefined;
  private _profiles: ProfilesInfo | undefined;
  private _backupsAvailable = false;
  private _problem: string | undefined;
  private owner: LockInfo | undefined;
  private host: HostLike | undefined;
  private stream: AbortController | undefined;
  private retryTimer: unknown;
  private retryDelay = RETRY_INITIAL_MS;
  private refreshTimer: unknown;
  private refreshing: Promise<EngineStatus | undefined> | undefined;
  private refreshAgain = false;
  private connecting: Promise<void> | undefined;
  private generation = 0;
  private disposed = false;
  private readonly timers: Timers;

  private readonly statusEmitter = new Emitter<EngineStatus | undefined>();
  private readonly eventEmitter = new Emitter<EngineEvent>();
  private readonly modeEmitter = new Emitter<ConnectionMode>();
  private readonly problemEmitter = new Emitter<{ message: string; key: string; severity?: 'error' | 'warning' }>();
  private readonly profilesEmitter = new Emitter<ProfilesInfo | undefined>();

  /** A new status (undefined: no engine). */
  readonly onDidChangeStatus = this.statusEmitter.event;
  /** Every pushed engine event (not probe or log). */
  readonly onDidReceiveEvent = this.eventEmitter.event;
  readonly onDidChangeMode = this.modeEmitter.event;
  /** Something the user should hear about (engine failed to start, owner went away). */
  readonly onDidFail = this.problemEmitter.event;
  readonly onDidChangeProfiles = this.profilesEmitter.event;

  private stackDirNow: string | undefined;

  constructor(private readonly opts: ConnectionOptions) {
    this.timers = opts.timers ?? realTimers;
    this.stackDirNow = opts.stackDir;
  }

  get mode(): ConnectionMode {
    return this._mode;
  }
  get client(): ApiClient | undefined {
    return this._client;
  }
  get status(): EngineStatus | undefined {
    return this._status;
  }
  get profiles(): ProfilesInfo | undefined {
    return this._profiles;
  }
  /** The engine serves the backup routes (its OpenAPI document lists them). */
  get backupsAvailable(): boolean {
    return this._backupsAvailable;
  }
  get stackDir(): string | undefined {
    return this.stackDirNow;
  }

  /** Switch to another stack folder (e.g. one just created): drops the current engine and connects. */
  async useStack(dir: string): Promise<void> {
    if (dir === this.stackDirNow) return;
    await this.teardown();
    this.stackDirNow = dir;
    this.retryDelay = RETRY_INITIAL_MS;
    await this.connect();
  }
  get info(): ConnectionInfo {
    const engine = this._mode === 'embedded' ? { pid: process.pid, owner: 'extension' } : this.owner ? { pid: this.owner.pid, owner: this.owner.owner } : undefined;
    return { mode: this._mode, ...(this._problem ? { problem: this._problem } : {}), ...(engine ? { engine } : {}) };
  }

  /** The client, or an error saying why there is none (commands use this). */
  requireClient(): ApiClient {
    if (this._client) return this._client;
    throw new OpsError('STACK_NOT_RUNNING', this._problem ?? 'no engine is connected for this stack', 'see Opsdeck: Show Engine Output, or set opsdeck.engine.mode to auto');
  }

  /**
   * A client for one long operation (a backup, a restore, a verification): no request timeout,
   * and its requests are aborted with `signal` (a cancelled progress notification).
   */
  operationClient(signal?: AbortSignal): ApiClient {
    return this.clientFor(this.requireClient().socketPath, { signal });
  }

  /** Connect according to the setting; resolves once connected or known not to be possible now. */
  connect(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    this.connecting ??= this.doConnect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** The setting changed: drop what we have if it no longer fits, and connect again. */
  async reconfigure(): Promise<void> {
    const want = this.opts.mode();
    const fits = (this._mode === 'embedded' && want !== 'attach') || (this._mode === 'attach' && want !== 'embedded');
    if (fits) return;
    await this.teardown();
    this.retryDelay = RETRY_INITIAL_MS;
    await this.connect();
  }

  /** Fetch the status now (coalesced: concurrent callers share one request, and one follows a burst). */
  refresh(): Promise<EngineStatus | undefined> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    const gen = this.generation;
    this.refreshing = (async () => {
      let result: EngineStatus | undefined;
      do {
        this.refreshAgain = false;
        const client = this._client;
        if (!client) return undefined;
        try {
          result = await client.status();
        } catch (e) {
          if (gen === this.generation) this.opts.log.warn(`status: ${(e as Error).message}`);
          return this._status;
        }
        if (gen !== this.generation) return undefined;
        const profileChanged = this._status?.profile !== result.profile;
        this._status = result;
        this.statusEmitter.fire(result);
        if (profileChanged) void this.loadProfiles();
      } while (this.refreshAgain);
      return result;
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** Refresh soon (after the burst of events that usually comes together). */
  scheduleRefresh(): void {
    if (this.refreshTimer !== undefined) return;
    this.refreshTimer = this.timers.setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refresh();
    }, this.opts.refreshDelayMs ?? 100);
  }

  /** Stop an embedded engine cleanly (the whole stack, in reverse dependency order), detach otherwise. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.teardown();
    for (const e of [this.statusEmitter, this.eventEmitter, this.modeEmitter, this.problemEmitter, this.profilesEmitter]) e.dispose();
  }

  // ------------------------------------------------------------------ connecting

  private async doConnect(): Promise<void> {
    this.cancelRetry();
    if (this._mode !== 'none') return;
    const dir = this.stackDirNow;
    if (!dir) {
      this.setProblem('no opsdeck.yaml in this workspace');
      return;
    }
    const want = this.opts.mode();
    const owner = (this.opts.readOwner ?? readOwnerLock)(dir);
    if (owner && want !== 'embedded') {
      if (owner.socket) return this.attach(owner);
      this.setProblem(`the stack is held by ${owner.owner} (pid ${owner.pid}), which serves no API; waiting for it to finish`);
      return this.scheduleRetry();
    }
    if (want === 'attach') {
      this.setProblem('no engine is running for this stack (opsdeck.engine.mode is attach): start one with `opsdeck up`');
      return this.scheduleRetry();
    }
    if (owner) {
      this.setProblem(`the stack is already run by ${owner.owner} (pid ${owner.pid}); opsdeck.engine.mode is embedded, so waiting for it to exit`);
      return this.scheduleRetry();
    }
    return this.embed(dir);
  }

  private async embed(dir: string): Promise<void> {
    let host: HostLike;
    try {
      markActivation('engineStartMs');
      host = await (this.opts.startHost ?? ((d) => embed(d, this.opts.version)))(dir);
      markActivation('engineStartedMs');
    } catch (e) {
      if (isOpsError(e) && e.code === 'STACK_LOCKED') {
        // Someone took the stack at the same moment: attach to them (auto) or wait (embedded).
        this.opts.log.info(`stack taken meanwhile: ${e.message}`);
        this.retryDelay = RETRY_INITIAL_MS;
        return this.scheduleRetry(50);
      }
      const msg = describe(e);
      // A config error is fixed by editing opsdeck.yaml, which connects again (the extension watches it).
      if (isOpsError(e) && (e.code.startsWith('CONFIG_') || e.code.startsWith('GRAPH_'))) {
        // Its problems are diagnostics on the file (config-diagnostics.ts, with one notification):
        // the views get one short line pointing there, the log the whole text.
        this.opts.log.error(`the engine could not start: ${msg}`);
        this.setProblem(configProblem(e), { logged: true });
        return;
      }
      this.setProblem(`the engine could not start: ${msg}`);
      this.problemEmitter.fire({ message: `Opsdeck could not start the engine: ${msg}`, key: 'start' });
      return this.scheduleRetry();
    }
    if (this.disposed) {
      await host.stop();
      return;
    }
    this.host = host;
    if (host.tookOverFrom) this.opts.log.warn(`took over the stack from a dead ${host.tookOverFrom.owner} engine (pid ${host.tookOverFrom.pid})`);
    if (host.leftoverNote) this.opts.log.warn(host.leftoverNote);
    this.opts.log.info(`engine embedded in the extension host (pid ${process.pid}), API on ${host.socketPath}`);
    await this.use('embedded', host.socketPath, undefined);
  }

  private async attach(owner: LockInfo): Promise<void> {
    const client = this.makeClient(owner.socket!);
    try {
      await client.status();
    } catch (e) {
      this.setProblem(`the engine of pid ${owner.pid} (${owner.owner}) does not answer: ${describe(e)}`);
      return this.scheduleRetry();
    }
    this.owner = owner;
    this.opts.log.info(`attached to the engine of ${owner.owner} (pid ${owner.pid}, version ${owner.version}) on ${owner.socket}`);
    await this.use('attach', owner.socket!, client);
  }

  private makeClient(socket: string): ApiClient {
    return this.clientFor(socket, { timeoutMs: this.opts.timeoutMs ?? 120_000 });
  }

  /** A client on `socket` (through `fetchFor` in tests), with a request timeout or an abort signal when given. */
  private clientFor(socket: string, opts: { timeoutMs?: number; signal?: AbortSignal | undefined }): ApiClient {
    const base = this.opts.fetchFor?.(socket) ?? unixFetch(socket);
    const { signal } = opts;
    const fetch: FetchLike = signal ? (input, init) => base(input, { ...init, signal }) : base;
    return new ApiClient(socket, { fetch, ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}) });
  }

  private async use(mode: ConnectionMode, socket: string, client: ApiClient | undefined): Promise<void> {
    this.generation++;
    this._client = client ?? this.makeClient(socket);
    this._mode = mode;
    this._problem = undefined;
    this.retryDelay = RETRY_INITIAL_MS;
    const doc = await this.openApi(socket);
    this._backupsAvailable = servesBackups(doc, this._client);
    this.modeEmitter.fire(mode);
    this.openStream(eventTypesOf(doc));
    await Promise.all([this.refresh(), this.loadProfiles()]);
  }

  private async openApi(socket: string): Promise<unknown> {
    try {
      const res = await (this.opts.fetchFor?.(socket) ?? unixFetch(socket))('http://opsdeck/openapi.json', { signal: AbortSignal.timeout(10_000) });
      return res.ok ? await res.json() : undefined;
    } catch {
      return undefined;
    }
  }

  private async loadProfiles(): Promise<void> {
    const client = this._client;
    if (!client) return;
    try {
      this._profiles = await client.profiles();
      this.profilesEmitter.fire(this._profiles);
    } catch (e) {
      this.opts.log.warn(`profiles: ${(e as Error).message}`);
    }
  }

  private openStream(known: string[] | undefined): void {
    const client = this._client!;
    const gen = this.generation;
    const ac = new AbortController();
    this.stream = ac;
    // With the engine's list of types, ask only for the ones we use; without it, take all and drop the quiet ones here.
    const types = known?.filter((t) => !QUIET_TYPES.has(t)) as EventType[] | undefined;
    let opened = false;
    client
      .events(
        (e) => {
          if (QUIET_TYPES.has(e.type)) return;
          if (e.type === 'state') this.applyState(e);
          this.eventEmitter.fire(e);
          this.scheduleRefresh();
        },
        {
          ...(types?.length ? { types } : {}),
          onOpen: () => {
            opened = true;
            this.retryDelay = RETRY_INITIAL_MS;
            // Anything that happened before the stream was open is in the status.
            void this.refresh();
          },
        },
        ac.signal,
      )
      .then(
        () => undefined,
        (e) => e as Error,
      )
      .then((error) => {
        if (ac.signal.aborted || this.disposed || gen !== this.generation) return;
        void this.streamLost(error, opened);
      });
  }

  /** Show a state change at once (the status refresh it schedules fills in the rest: health, pid…). */
  private applyState(e: { service: string; to: ServiceState; reason: string; at: number }): void {
    const status = this._status;
    const service = status?.services.find((s) => s.name === e.service);
    if (!status || !service || service.state === e.to) return;
    this._status = { ...status, services: status.services.map((s) => (s === service ? { ...s, state: e.to, reason: e.reason, since: e.at } : s)) };
    this.statusEmitter.fire(this._status);
  }

  /** The event stream ended: the owner went away (or restarted its API). */
  private async streamLost(error: Error | undefined, wasOpen: boolean): Promise<void> {
    const why = error ? describe(error) : 'the engine closed the event stream';
    if (this._mode === 'embedded') {
      // Our own engine is still here: reopen the stream after a pause.
      this.opts.log.warn(`event stream broke (${why}); reopening`);
      const delay = this.nextDelay();
      this.retryTimer = this.timers.setTimeout(() => {
        this.retryTimer = undefined;
        if (this._mode === 'embedded' && !this.disposed) this.openStream(undefined);
      }, delay);
      return;
    }
    const owner = this.owner;
    this.opts.log.warn(`lost the engine of pid ${owner?.pid ?? '?'} (${why})`);
    await this.teardown({ keepRetry: true });
    const gone = !this.stackDirNow || !(this.opts.readOwner ?? readOwnerLock)(this.stackDirNow);
    const want = this.opts.mode();
    if (wasOpen && gone) {
      const next = want === 'auto' ? 'embedding the engine' : 'waiting for an engine';
      this.problemEmitter.fire({ message: `The Opsdeck engine (${owner?.owner ?? 'owner'}, pid ${owner?.pid ?? '?'}) exited; ${next}.`, key: 'owner-exit', severity: 'warning' });
    }
    this.setProblem(gone ? 'the engine exited' : `lost the connection to the engine: ${why}`);
    if (gone && want === 'auto') {
      await this.connect();
      return;
    }
    this.scheduleRetry();
  }

  private nextDelay(): number {
    const delay = this.retryDelay;
    this.retryDelay = Math.min(RETRY_MAX_MS, this.retryDelay * 2);
    return delay;
  }

  private scheduleRetry(delay = this.nextDelay()): void {
    if (this.disposed) return;
    this.cancelRetry();
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, delay);
  }

  private cancelRetry(): void {
    if (this.retryTimer !== undefined) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private setProblem(problem: string, opts: { logged?: boolean } = {}): void {
    if (this._problem !== problem && !opts.logged) this.opts.log.info(problem);
    this._problem = problem;
    this.statusEmitter.fire(this._status);
  }

  /** Close the stream, stop an embedded engine (stack first), forget the client. */
  private async teardown(opts: { keepRetry?: boolean } = {}): Promise<void> {
    this.generation++;
    if (!opts.keepRetry) this.cancelRetry();
    if (this.refreshTimer !== undefined) this.timers.clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    this.stream?.abort();
    this.stream = undefined;
    const host = this.host;
    const client = this._client;
    this.host = undefined;
    this._client = undefined;
    this._backupsAvailable = false;
    this.owner = undefined;
    const wasMode = this._mode;
    this._mode = 'none';
    this._status = undefined;
    this._profiles = undefined;
    if (host) {
      this.opts.log.info('stopping the embedded engine and its stack');
      try {
        // No request timeout here: stopping waits for each service's grace period.
        if (client) await this.clientFor(host.socketPath, {}).down();
      } catch (e) {
        this.opts.log.warn(`stopping the stack: ${(e as Error).message}`);
      }
      await host.stop().catch((e: unknown) => this.opts.log.error(`stopping the engine: ${(e as Error).message}`));
    }
    if (wasMode !== 'none' && !this.disposed) {
      this.modeEmitter.fire('none');
      this.statusEmitter.fire(undefined);
    }
  }
}

/** The views' line for an engine that opsdeck.yaml kept from starting: how many problems, and where they are shown. */
function configProblem(e: OpsError): string {
  const issues = (e.details as { issues?: unknown[] } | undefined)?.issues;
  if (e.code !== 'CONFIG_INVALID' || !issues?.length) return `the engine could not start: ${e.message}`;
  return `the engine could not start: opsdeck.yaml has ${issues.length} problem${issues.length === 1 ? '' : 's'} (see Problems)`;
}

function describe(e: unknown): string {
  if (isOpsError(e)) return e.hint ? `${e.message} (${e.hint})` : e.message;
  return e instanceof Error ? e.message : String(e);
}

/** Become the stack's owner in the extension host (src/core/host/open-stack.ts, `embed`). */
async function embed(dir: string, version: string): Promise<HostLike> {
  const opened = await openStack(dir, { mode: 'embed', owner: 'extension', version });
  if (opened.role !== 'owner') throw new OpsError('INTERNAL', `openStack in embed mode answered ${opened.role}`, 'this is a bug in Opsdeck');
  return opened.host;
}
