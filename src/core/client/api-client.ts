/**
 * The typed client of the control API, used by the CLI and the extension to talk to the engine
 * that owns a stack. `rpc` is hono's client typed by the routes themselves; ApiClient wraps it
 * in plain methods that return the engine's types and throw OpsError (rebuilt from the error
 * body; ENGINE_UNREACHABLE when nothing listens on the socket).
 */
import { hc } from 'hono/client';
import { OpsError } from '../errors';
import { fromErrorBody } from '../api/http-errors';
import type { ApiApp } from '../api/routes/app';
import type { MemoryHits } from '../contract/schemas/memory';
import type {
  BackupProgress,
  BackupRequest,
  BackupRunResult,
  BackupStatus,
  DrillRequest,
  DrillRunResult,
  ForgetRequest,
  ForgetRunResult,
  RestoreProgress,
  RestoreRequest,
  RestoreRunResult,
  VerifyProgress,
  VerifyRequest,
} from '../contract/backups';
import type { PruneReport, Snapshot, SnapshotDiff, SnapshotInfo, SnapshotListing, VerifyReport } from '../backup/repo';
import type { DeployRequest, ReleaseList, ReleaseRunResult, RollbackRequest, UpdateRequest } from '../contract/releases';
import type { CleanupRequest, CleanupResult, MaintenanceProgress, MaintenanceRequest, MaintenanceRunResult, MaintenanceTaskInfo } from '../contract/maintenance';
import { readSse } from '../api/sse';
import { unixFetch, type FetchLike } from './unix-fetch';
import { tcpFetch } from './tcp-fetch';
import type { ApiAccess, ApiTokens, TokenRotation, TokenScope } from '../contract/api-access';
import type { EngineStatus, PlanResult, ProfilesInfo } from '../contract/status';
import type { HistoryMetric, MetricsHistory } from '../contract/metrics';
import type { RollupAnswer, RollupResolution } from '../contract/metrics-store';
import type { ReportAnswer, ReportCommand, ReportList } from '../contract/reports';
import type { EngineEvent, EventType } from '../contract/events';
import type { StackHealth } from '../contract/health';
import type { LogLine } from '../contract/logs';
import type { DoctorReport, ProfileReport } from '../contract/doctor';
import type { BootMode, BootScope, BootTarget, UnitSet, UnitsChange, UnitsStatus } from '../contract/units';

/** Which units a /v1/units request means; absent keys come from `boot:` in opsdeck.yaml. */
export interface UnitsQuery {
  target?: BootTarget;
  mode?: BootMode;
  scope?: BootScope;
}
import type { AckRequest, AckResult, AlertsView, IncidentRecord, Silence, SilenceRequest, SilenceResult } from '../contract/alerts';

/** Where to look when a verify's or restore's progress stream ends without a result. */
const BACKUP_STREAM_HINT = 'see `opsdeck backups status` and the engine log in .opsdeck/logs';

/** A time as the API takes it: epoch ms, a Date, an ISO 8601 time, or a duration ago (`10m`). */
export type TimeArg = number | Date | string;

export interface MemorySearch {
  text?: string;
  service?: string | readonly string[];
  kind?: string | readonly string[];
  since?: TimeArg;
  until?: TimeArg;
  limit?: number;
}

export interface StackCommandOptions {
  services?: string[];
  dryRun?: boolean;
}

export interface LogsOptions {
  /** How many of the last lines (default 100). */
  lines?: number;
  since?: TimeArg;
}

export interface StreamOptions {
  /** Called once the stream is open (the subscription is in place on the engine). */
  onOpen?: () => void;
}

export interface MetricsHistoryOptions {
  /** Only samples at or after this time (default: all kept). */
  since?: TimeArg;
  services?: readonly string[];
  metrics?: readonly HistoryMetric[];
}

export interface RollupsOptions {
  since?: TimeArg;
  until?: TimeArg;
  services?: readonly string[];
  resolution?: RollupResolution;
  marks?: boolean;
}

export interface ApiClientOptions {
  /** Give up on an answer after this long (not on streams). Default: wait. */
  timeoutMs?: number;
  /** Another transport (tests): default, HTTP over `socketPath`. */
  fetch?: FetchLike;
}

export const createRpc = (fetch: FetchLike) => hc<ApiApp>('http://opsdeck', { fetch });
export type ApiRpc = ReturnType<typeof createRpc>;

const time = (t: TimeArg | undefined) => (t === undefined ? undefined : t instanceof Date ? String(t.getTime()) : String(t));
const bool = (b: boolean | undefined) => (b ? 'true' : undefined);
/** Drop undefined members (so they are not sent as "undefined"). */
const defined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };

export class ApiClient {
  /** The typed hono client, for anything the methods below do not cover. */
  readonly rpc: ApiRpc;

  constructor(
    readonly socketPath: string,
    private readonly opts: ApiClientOptions = {},
  ) {
    this.rpc = createRpc(opts.fetch ?? unixFetch(socketPath));
  }

  /**
   * A client of the TCP listener at `url` (`http://127.0.0.1:9180`, opsdeck.yaml's `api.listen`)
   * with a bearer `token` (`opsdeck api token show`); the read-only token may only read.
   */
  static overTcp(url: string, token: string, opts: Omit<ApiClientOptions, 'fetch'> = {}): ApiClient {
    return new ApiClient(url, { ...opts, fetch: tcpFetch(url, token) });
  }

  /** The stack and its services (only `services` when given). */
  status(services?: readonly string[]): Promise<EngineStatus> {
    const service = services?.length ? services.join(',') : undefined;
    return this.json((init) => this.rpc.v1.status.$get({ query: defined({ service }) }, { init }));
  }

  /** Health now (of only `services` when given); with `check`, after running the running services' full-functionality checks. */
  health(check = false, services?: readonly string[]): Promise<StackHealth> {
    const service = services?.length ? services.join(',') : undefined;
    return this.json((init) => this.rpc.v1.health.$get({ query: defined({ check: bool(check), service }) }, { init }));
  }

  up(opts: StackCommandOptions = {}): Promise<PlanResult> {
    return this.json((init) => this.rpc.v1.stack.up.$post({ json: defined({ services: opts.services, dry_run: opts.dryRun }) }, { init }));
  }

  down(opts: StackCommandOptions = {}): Promise<PlanResult> {
    return this.json((init) => this.rpc.v1.stack.down.$post({ json: defined({ services: opts.services, dry_run: opts.dryRun }) }, { init }));
  }

  start(name: string, dryRun = false): Promise<PlanResult> {
    return this.json((init) => this.rpc.v1.services[':name'].start.$post({ param: { name }, query: defined({ dry_run: bool(dryRun) }) }, { init }));
  }

  stop(name: string, dryRun = false): Promise<PlanResult> {
    return this.json((init) => this.rpc.v1.services[':name'].stop.$post({ param: { name }, query: defined({ dry_run: bool(dryRun) }) }, { init }));
  }

  restart(name: string, dryRun = false): Promise<PlanResult> {
    return this.json((init) => this.rpc.v1.services[':name'].restart.$post({ param: { name }, query: defined({ dry_run: bool(dryRun) }) }, { init }));
  }

  /** Read opsdeck.yaml again and reconcile (POST /v1/stack/reload); CONFIG_INVALID when it has errors. */
  reload(dryRun = false): Promise<PlanResult> {
    return this.json((init) => this.rpc.v1.stack.reload.$post({ json: defined({ dry_run: dryRun || undefined }) }, { init }));
  }

  /** The boot units' status (GET /v1/units/status); absent keys come from `boot:` in opsdeck.yaml. */
  unitsStatus(q: UnitsQuery = {}): Promise<UnitsStatus> {
    return this.json((init) => this.rpc.v1.units.status.$get({ query: defined(q) }, { init }));
  }

  /** The unit files opsdeck.yaml makes (GET /v1/units/generate); nothing is written. */
  generateUnits(q: UnitsQuery = {}): Promise<UnitSet> {
    return this.json((init) => this.rpc.v1.units.generate.$get({ query: defined(q) }, { init }));
  }

  /** Write and enable the boot units (POST /v1/units/install); UNITS_FOREIGN_FILE over a file Opsdeck did not write. */
  installUnits(q: UnitsQuery = {}, dryRun = false): Promise<UnitsChange> {
    return this.json((init) => this.rpc.v1.units.install.$post({ json: defined({ ...q, dry_run: dryRun || undefined }) }, { init }));
  }

  profiles(): Promise<ProfilesInfo> {
    return this.json((init) => this.rpc.v1.profiles.$get(undefined, { init }));
  }

  useProfile(name: string, dryRun = false): Promise<PlanResult> {
    return this.json((init) => this.rpc.v1.profile.$put({ json: defined({ name, dry_run: dryRun || undefined }) }, { init }));
  }

  /** The last lines of a service's log, oldest first. */
  async logs(name: string, opts: LogsOptions = {}): Promise<LogLine[]> {
    const query = defined({ lines: opts.lines === undefined ? undefined : String(opts.lines), since: time(opts.since) });
    const body = await this.json<{ lines: LogLine[] }>((init) => this.rpc.v1.services[':name'].logs.$get({ param: { name }, query }, { init }));
    return body.lines;
  }

  /**
   * Every new line of a service's log, until `signal` aborts (resolves) or the engine closes
   * the stream (resolves). Only new lines unless `opts.lines` / `opts.since` ask for a tail first.
   */
  async followLogs(name: string, onLine: (line: LogLine) => void, signal?: AbortSignal, opts: LogsOptions & StreamOptions = {}): Promise<void> {
    const query = defined({ lines: String(opts.lines ?? (opts.since === undefined ? 0 : 100_000)), since: time(opts.since), follow: 'true' });
    await this.stream((init) => this.rpc.v1.services[':name'].logs.$get({ param: { name }, query }, { init }), 'log', (data) => onLine(data as LogLine), signal, opts);
  }

  /** Every engine event (or those of `opts.types`), until `signal` aborts or the engine closes the stream. */
  async events(onEvent: (e: EngineEvent) => void, opts: { types?: EventType[] } & StreamOptions = {}, signal?: AbortSignal): Promise<void> {
    const query = defined({ types: opts.types?.length ? opts.types.join(',') : undefined });
    await this.stream((init) => this.rpc.v1.events.$get({ query }, { init }), undefined, (data) => onEvent(data as EngineEvent), signal, opts);
  }

  /** Search the stack's memory. NOT_AVAILABLE (501) when the engine has no memory. */
  searchMemory(q: MemorySearch): Promise<MemoryHits> {
    const list = (v: string | readonly string[] | undefined) => (v === undefined ? undefined : typeof v === 'string' ? v : [...v]);
    const query = defined({
      text: q.text,
      service: list(q.service),
      kind: list(q.kind),
      since: time(q.since),
      until: time(q.until),
      limit: q.limit === undefined ? undefined : String(q.limit),
    });
    return this.json((init) => this.rpc.v1.memory.search.$get({ query }, { init }));
  }

  /** The engine's metrics as JSON. NOT_AVAILABLE (501) when the engine has none. */
  metrics(): Promise<Record<string, unknown>> {
    return this.json((init) => this.rpc.v1.metrics.$get(undefined, { init }));
  }

  /** The sampled history of the metrics, the IPC score and the restarts. NOT_AVAILABLE (501) when the engine has none. */
  metricsHistory(opts: MetricsHistoryOptions = {}): Promise<MetricsHistory> {
    const query = defined({
      since: time(opts.since),
      service: opts.services?.length ? opts.services.join(',') : undefined,
      metric: opts.metrics?.length ? opts.metrics.join(',') : undefined,
    });
    return this.json((init) => this.rpc.v1.metrics.history.$get({ query }, { init }));
  }

  /** The long-term rollups (GET /v1/metrics/rollups). NOT_AVAILABLE (501) when the engine keeps none. */
  metricsRollups(opts: RollupsOptions = {}): Promise<RollupAnswer> {
    const query = defined({
      since: time(opts.since),
      until: time(opts.until),
      service: opts.services?.length ? opts.services.join(',') : undefined,
      resolution: opts.resolution,
      marks: bool(opts.marks),
    });
    return this.json((init) => this.rpc.v1.metrics.rollups.$get({ query }, { init }));
  }

  /** Generate the operations report (POST /v1/reports); `save` writes it into .opsdeck/reports/. */
  async report(command: ReportCommand = {}): Promise<ReportAnswer> {
    return this.json((init) => this.rpc.v1.reports.$post({ json: command }, { init })) as Promise<unknown> as Promise<ReportAnswer>;
  }

  /** The reports written, newest first, and the schedule's next run. */
  listReports(): Promise<ReportList> {
    return this.json((init) => this.rpc.v1.reports.$get(undefined, { init }));
  }

  /** The engine's metrics in the Prometheus text format. NOT_AVAILABLE (501) when the engine has none. */
  prometheus(): Promise<string> {
    return this.request((init) => this.rpc.metrics.$get(undefined, { init }), (res) => res.text());
  }

  // ------------------------------------------------------------------ doctor (docs/doctor.md)

  /** Every check of the stack (only `services`' where given). NOT_AVAILABLE (501) from an engine without the doctor. */
  doctor(services?: readonly string[]): Promise<DoctorReport> {
    const query = defined({ service: services?.length ? services.join(',') : undefined });
    return this.json((init) => this.rpc.v1.doctor.$get({ query }, { init }));
  }

  /** Sample a running service for `duration` (`30s`, default) and profile a Node one; answers when done. */
  profileService(service: string, opts: { duration?: string; cpuProfile?: boolean } = {}): Promise<ProfileReport> {
    return this.json((init) => this.rpc.v1.doctor.profile.$post({ json: defined({ service, duration: opts.duration, cpuProfile: opts.cpuProfile }) }, { init }));
  }

  // ------------------------------------------------------------------ backups (docs/backup.md)

  backupStatus(): Promise<BackupStatus> {
    return this.json((init) => this.rpc.v1.backups.status.$get(undefined, { init }));
  }

  async listSnapshots(): Promise<SnapshotInfo[]> {
    return (await this.snapshotListing()).snapshots;
  }

  /** The snapshots and the manifests that cannot be read (an engine older than this client names none). */
  async snapshotListing(): Promise<SnapshotListing> {
    const body = await this.json<{ snapshots: SnapshotInfo[]; unreadable?: SnapshotListing['unreadable'] }>((init) => this.rpc.v1.backups.$get(undefined, { init }));
    return { snapshots: body.snapshots, unreadable: body.unreadable ?? [] };
  }

  /** Back up now; with `onProgress`, the engine streams its progress while it runs. */
  async backup(req: BackupRequest = {}, onProgress?: (p: BackupProgress) => void): Promise<BackupRunResult> {
    const json = defined({ services: req.services, tags: req.tags, dry_run: req.dryRun || undefined, progress: onProgress ? true : undefined });
    return this.jsonOrStream((init) => this.rpc.v1.backups.$post({ json }, init && { init }), onProgress, 'backup', 'see `opsdeck backups list` and the engine log in .opsdeck/logs');
  }

  showSnapshot(id: string): Promise<Snapshot> {
    return this.json((init) => this.rpc.v1.backups[':id'].$get({ param: { id } }, { init }));
  }

  diffSnapshots(a: string, b: string): Promise<SnapshotDiff> {
    return this.json((init) => this.rpc.v1.backups[':id'].diff[':other'].$get({ param: { id: a, other: b } }, { init }));
  }

  forget(req: ForgetRequest): Promise<ForgetRunResult> {
    const json = defined({
      keep_last: req.keepLast, keep_hourly: req.keepHourly, keep_daily: req.keepDaily, keep_weekly: req.keepWeekly, keep_monthly: req.keepMonthly,
      keep_yearly: req.keepYearly, keep_within: req.keepWithin, keep_tags: req.keepTags, prune: req.prune, dry_run: req.dryRun || undefined,
    });
    return this.json((init) => this.rpc.v1.backups.forget.$post({ json }, { init }));
  }

  prune(dryRun = false): Promise<PruneReport> {
    return this.json((init) => this.rpc.v1.backups.prune.$post({ json: defined({ dry_run: dryRun || undefined }) }, { init }));
  }

  /** Check the repository; with `onProgress`, the engine streams its progress while it runs. */
  async verify(req: VerifyRequest = {}, onProgress?: (p: VerifyProgress) => void): Promise<VerifyReport> {
    const json = defined({ read_data: req.readData, progress: onProgress ? true : undefined });
    return this.jsonOrStream((init) => this.rpc.v1.backups.verify.$post({ json }, init && { init }), onProgress, 'verify', BACKUP_STREAM_HINT);
  }

  drill(req: DrillRequest = {}): Promise<DrillRunResult> {
    const json = defined({ snapshot: req.snapshot, services: req.services, keep: req.keep, health_timeout_ms: req.healthTimeoutMs });
    return this.json((init) => this.rpc.v1.backups.drill.$post({ json }, { init }));
  }

  /** Restore a snapshot; with `onProgress`, the engine streams its progress while it runs. */
  async restore(id: string, req: RestoreRequest, onProgress?: (p: RestoreProgress) => void): Promise<RestoreRunResult> {
    const json = defined({
      services: req.services, include: req.include, target: req.target, in_place: req.inPlace, dry_run: req.dryRun || undefined, health_timeout_ms: req.healthTimeoutMs,
      keep_special_bits: req.keepSpecialBits || undefined, progress: onProgress ? true : undefined,
    });
    return this.jsonOrStream((init) => this.rpc.v1.backups[':id'].restore.$post({ param: { id }, json }, init && { init }), onProgress, 'restore', BACKUP_STREAM_HINT);
  }

  // ------------------------------------------------------------------ releases (docs/releases.md)

  /** The releases, the current one, the schema versions and the ledger (GET /v1/releases). */
  releases(): Promise<ReleaseList> {
    return this.json((init) => this.rpc.v1.releases.$get({}, { init }));
  }

  /** Deploy (POST /v1/releases/deploy); on a stack running a release, an update to it. */
  deploy(req: DeployRequest = {}): Promise<ReleaseRunResult> {
    return this.json((init) => this.rpc.v1.releases.deploy.$post({ json: defined({ version: req.version, from: req.from, dry_run: req.dryRun || undefined }) }, { init }));
  }

  /** Update (POST /v1/releases/update): ok false when it failed and was rolled back (the report says what was done). */
  update(req: UpdateRequest = {}): Promise<ReleaseRunResult> {
    return this.json((init) => this.rpc.v1.releases.update.$post({ json: defined({ to: req.to, allow_downgrade: req.allowDowngrade || undefined, dry_run: req.dryRun || undefined }) }, { init }));
  }

  /** Roll back (POST /v1/releases/rollback) to `to` or the release before, the data following `data`. */
  rollback(req: RollbackRequest = {}): Promise<ReleaseRunResult> {
    return this.json((init) => this.rpc.v1.releases.rollback.$post({ json: defined({ to: req.to, data: req.data, dry_run: req.dryRun || undefined }) }, { init }));
  }

  // ------------------------------------------------------------------ maintenance (docs/maintenance.md)

  /** The stack's maintenance tasks; with a filter, those a run of it would pick (an unknown task or service throws). */
  async maintenanceTasks(filter: Pick<MaintenanceRequest, 'tasks' | 'service' | 'preset'> = {}): Promise<MaintenanceTaskInfo[]> {
    const query = defined({ tasks: filter.tasks?.length ? filter.tasks.join(',') : undefined, service: filter.service, preset: filter.preset });
    return (await this.json<{ tasks: MaintenanceTaskInfo[] }>((init) => this.rpc.v1.maintenance.tasks.$get({ query }, { init }))).tasks;
  }

  /** Run maintenance; with `onProgress`, the engine streams its progress; aborting `signal` stops the run before its next task. */
  async runMaintenance(req: MaintenanceRequest = {}, onProgress?: (p: MaintenanceProgress) => void, signal?: AbortSignal): Promise<MaintenanceRunResult> {
    const json = defined({ tasks: req.tasks, service: req.service, preset: req.preset, dry_run: req.dryRun || undefined, progress: onProgress ? true : undefined });
    if (!onProgress) return this.json((init) => this.rpc.v1.maintenance.run.$post({ json }, { init: { ...init, ...(signal ? { signal } : {}) } }));
    return this.progressStream(() => this.rpc.v1.maintenance.run.$post({ json }, signal ? { init: { signal } } : undefined), onProgress, 'maintenance', 'see `opsdeck memory search maintenance` and the engine log in .opsdeck/logs');
  }

  cleanup(req: CleanupRequest = {}): Promise<CleanupResult> {
    return this.json((init) => this.rpc.v1.cleanup.$post({ json: defined({ dry_run: req.dryRun || undefined, older_than_ms: req.olderThanMs }) }, { init }));
  }

  // ------------------------------------------------------------------ alerts (docs/alerts.md)

  alerts(): Promise<AlertsView> {
    return this.json((init) => this.rpc.v1.alerts.$get(undefined, { init }));
  }

  /** `id`: an incident's id, or a firing alert's `rule/service` (its slash encoded into the path). */
  ackAlert(id: string, req: AckRequest = {}): Promise<AckResult> {
    return this.json((init) => this.rpc.v1.alerts[':id'].ack.$post({ param: { id: encodeURIComponent(id) }, json: defined({ comment: req.comment, by: req.by, dry_run: req.dryRun || undefined }) }, { init }));
  }

  silence(req: SilenceRequest): Promise<SilenceResult> {
    const json = defined({ matchers: req.matchers, duration_ms: req.durationMs, ends_at: req.endsAt, comment: req.comment, by: req.by, dry_run: req.dryRun || undefined });
    return this.json((init) => this.rpc.v1.silences.$post({ json }, { init }));
  }

  unsilence(id: string, dryRun = false): Promise<{ dryRun: boolean; silence: Silence }> {
    return this.json((init) => this.rpc.v1.silences[':id'].$delete({ param: { id }, query: defined({ dry_run: bool(dryRun) }) }, { init }));
  }

  alertHistory(since?: TimeArg): Promise<{ incidents: IncidentRecord[] }> {
    return this.json((init) => this.rpc.v1.alerts.history.$get({ query: defined({ since: time(since) }) }, { init }));
  }

  // ------------------------------------------------------------------ the API's own access (docs/api.md)

  /** Where the API listens and where its tokens are (no secrets). */
  apiAccess(): Promise<ApiAccess> {
    return this.json((init) => this.rpc.v1.api.$get(undefined, { init }));
  }

  /** The TCP listener's tokens (over the unix socket only), made first if there are none. */
  apiTokens(): Promise<ApiTokens> {
    return this.json((init) => this.rpc.v1.api.tokens.$get(undefined, { init }));
  }

  /** Replace the tokens of `scope` (default: both); the old ones stop working at once. */
  rotateApiTokens(scope: TokenScope | 'all' = 'all', dryRun = false): Promise<TokenRotation> {
    return this.json((init) => this.rpc.v1.api.tokens.rotate.$post({ json: defined({ scope, dry_run: dryRun || undefined }) }, { init }));
  }

  // ------------------------------------------------------------------ plumbing

  /** One request (JSON or text answer), with the client's timeout; an error status throws its OpsError. */
  private async request<T>(call: (init: RequestInit) => Promise<Response>, read: (res: Response) => Promise<T>): Promise<T> {
    const timeout = this.opts.timeoutMs;
    const signal = timeout === undefined ? undefined : AbortSignal.timeout(timeout);
    try {
      const res = await call(signal ? { signal } : {});
      if (!res.ok) throw fromErrorBody(res.status, await res.json().catch(() => undefined));
      return await read(res);
    } catch (e) {
      if (signal?.aborted && !(e instanceof OpsError)) {
        throw new OpsError('ENGINE_UNREACHABLE', `the engine did not answer within ${timeout} ms`, 'check it with `opsdeck status`; its log is in .opsdeck/logs', { socketPath: this.socketPath });
      }
      throw e;
    }
  }

  /**
   * An operation that answers with JSON, or (asked with `progress: true` because there is an
   * `onProgress`) as a progress stream, read without the request timeout.
   */
  private jsonOrStream<P, R>(call: (init?: RequestInit) => Promise<Response>, onProgress: ((p: P) => void) | undefined, what: string, hint: string): Promise<R> {
    return onProgress ? this.progressStream(() => call(), onProgress, what, hint) : this.json((init) => call(init));
  }

  /** An operation answered as a server-sent event stream: its `progress` events to `onProgress`, then its `result` (or its `error` thrown). */
  private async progressStream<P, R>(call: () => Promise<Response>, onProgress: (p: P) => void, what: string, hint: string): Promise<R> {
    let result: R | undefined;
    let failure: OpsError | undefined;
    const res = await call();
    if (!res.ok) throw fromErrorBody(res.status, await res.json().catch(() => undefined));
    if (!res.body) throw new OpsError('ENGINE_UNREACHABLE', `the engine answered the ${what} with no body`, 'check the engine with `opsdeck status`');
    await readSse(res.body, (m) => {
      const data = JSON.parse(m.data) as unknown;
      if (m.event === 'progress') onProgress(data as P);
      else if (m.event === 'result') result = data as R;
      else if (m.event === 'error') failure = fromErrorBody(500, data);
    });
    if (failure) throw failure;
    if (result === undefined) throw new OpsError('ENGINE_UNREACHABLE', `the ${what} stream from the engine ended without a result`, hint);
    return result;
  }

  private json<T>(call: (init: RequestInit) => Promise<Response>): Promise<T> {
    return this.request(call, (res) => res.json() as Promise<T>);
  }

  /** Read an SSE answer to its end, passing the JSON of each message (of `event`, if given) on. */
  private async stream(
    call: (init: RequestInit) => Promise<Response>,
    event: string | undefined,
    onData: (data: unknown) => void,
    signal: AbortSignal | undefined,
    opts: StreamOptions,
  ): Promise<void> {
    if (signal?.aborted) return;
    // A throwing callback stops the stream and is rethrown as it is (not taken for a broken connection).
    const callback: { failed?: { error: unknown } } = {};
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await call(signal ? { signal } : {});
      if (!res.ok) throw fromErrorBody(res.status, await res.json().catch(() => undefined));
      if (!res.body) return;
      opts.onOpen?.();
      await readSse(
        res.body,
        (m) => {
          if (callback.failed || stop.signal.aborted) return;
          if (event !== undefined && m.event !== event) return;
          try {
            onData(JSON.parse(m.data));
          } catch (error) {
            callback.failed = { error };
            stop.abort();
          }
        },
        stop.signal,
      );
    } catch (e) {
      if (callback.failed) throw callback.failed.error;
      if (signal?.aborted) return;
      if (e instanceof OpsError) throw e;
      throw new OpsError('ENGINE_UNREACHABLE', `the stream from the engine broke: ${(e as Error).message}`, 'check that the engine is still running: `opsdeck status`', { socketPath: this.socketPath });
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    if (callback.failed) throw callback.failed.error;
  }
}
