/**
 * RemoteEngine: the contract's EngineLike answered by the engine that owns the stack, over its
 * control API (ApiClient on the stack's socket). What `openStack` hands a surface when another
 * process owns the stack; the in-process Engine is the other implementation. Event subscriptions
 * open one server-sent event stream each (GET /v1/events, only the types asked for) and close it
 * on dispose.
 */
import type { AlertService } from '../contract/alerts';
import type { BackupService } from '../contract/backups';
import type { EngineLike, EventSource } from '../contract/engine';
import type { MaintenanceService } from '../contract/maintenance';
import type { Disposable, EngineEvent, EventOf, EventType } from '../contract/events';
import type { MemoryQuery } from '../contract/schemas/memory';
import type { MetricsHistoryQuery, StackMetrics } from '../contract/metrics';
import type { RollupQuery } from '../contract/metrics-store';
import type { ReportCommand } from '../contract/reports';
import type { ApiClient } from './api-client';

export class RemoteEngine implements EngineLike {
  readonly bus: EventSource;
  readonly backups: BackupService;
  readonly maintenance: MaintenanceService;
  readonly alerts: AlertService;

  constructor(readonly client: ApiClient) {
    this.bus = {
      on: <T extends EventType>(type: T, fn: (e: EventOf<T>) => void) => this.subscribe([type], (e) => fn(e as EventOf<T>)),
      onAny: (fn: (e: EngineEvent) => void) => this.subscribe(undefined, fn),
    };
    this.backups = backupsOver(client);
    this.maintenance = {
      tasks: (filter) => client.maintenanceTasks(filter),
      run: (req, o) => client.runMaintenance(req, o?.onProgress, o?.signal),
      cleanup: (req) => client.cleanup(req),
    };
    this.alerts = {
      list: () => client.alerts(),
      ack: (id, req) => client.ackAlert(id, req),
      silence: (req) => client.silence(req),
      unsilence: (id, o) => client.unsilence(id, !!o?.dryRun),
      history: (q) => client.alertHistory(q?.since),
    };
  }

  status(services?: readonly string[]) {
    return this.client.status(services);
  }
  health() {
    return this.client.health();
  }
  checkAll(services?: readonly string[]) {
    return this.client.health(true, services);
  }
  up(services?: string[], opts: { dryRun?: boolean } = {}) {
    return this.client.up({ ...(services ? { services } : {}), ...(opts.dryRun !== undefined ? { dryRun: opts.dryRun } : {}) });
  }
  down(services?: string[], opts: { dryRun?: boolean } = {}) {
    return this.client.down({ ...(services ? { services } : {}), ...(opts.dryRun !== undefined ? { dryRun: opts.dryRun } : {}) });
  }
  restart(service: string, opts: { dryRun?: boolean } = {}) {
    return this.client.restart(service, !!opts.dryRun);
  }
  reload(opts: { dryRun?: boolean } = {}) {
    return this.client.reload(!!opts.dryRun);
  }
  profiles() {
    return this.client.profiles();
  }
  useProfile(name: string, opts: { dryRun?: boolean } = {}) {
    return this.client.useProfile(name, !!opts.dryRun);
  }
  logs(service: string, opts: { lines?: number; since?: number } = {}) {
    return this.client.logs(service, opts);
  }
  searchMemory(query: MemoryQuery) {
    return this.client.searchMemory(query);
  }
  async metrics(): Promise<StackMetrics> {
    return (await this.client.metrics()) as unknown as StackMetrics;
  }
  metricsHistory(query: MetricsHistoryQuery) {
    return this.client.metricsHistory(query);
  }
  metricsRollups(query: RollupQuery) {
    return this.client.metricsRollups(query);
  }
  report(command: ReportCommand) {
    return this.client.report(command);
  }
  listReports() {
    return this.client.listReports();
  }
  prometheus() {
    return this.client.prometheus();
  }

  /** One event stream for a subscription; a broken stream ends it (the caller sees no more events). */
  private subscribe(types: EventType[] | undefined, fn: (e: EngineEvent) => void): Disposable {
    const stop = new AbortController();
    this.client.events(fn, types ? { types } : {}, stop.signal).catch(() => undefined);
    return { dispose: () => stop.abort() };
  }
}

/** The backup routes of the API as the contract's BackupService. */
export function backupsOver(client: ApiClient): BackupService {
  return {
    backup: (req, o) => client.backup(req, o?.onProgress),
    list: () => client.snapshotListing(),
    show: (id) => client.showSnapshot(id),
    diff: (a, b) => client.diffSnapshots(a, b),
    forget: (req) => client.forget(req),
    prune: (o) => client.prune(!!o?.dryRun),
    verify: (req, o) => client.verify(req, o?.onProgress),
    restore: (id, req, o) => client.restore(id, req, o?.onProgress),
    drill: (req) => client.drill(req),
    status: () => client.backupStatus(),
  };
}
