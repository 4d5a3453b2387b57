/**
 * The composition root of the engine for one stack: its config, event bus, supervisor and the
 * questions every surface asks (status, health, plans, logs). The CLI, the daemon and the
 * extension create one Engine and talk to it (directly, or through the control API); they
 * never wire the parts themselves.
 */
import { join } from 'node:path';
import { systemClock, type Clock } from './clock';
import { serviceEndpoint } from './config/endpoint';
import type { ServiceConfig } from './config/schema';
import { assertServiceName, loadConfig, type LoadedStack, type LoadOptions } from './config/load';
import { OpsError } from './errors';
import { EventBus } from './events';
import { healthOf as healthOfNamed, stackHealth } from './health/summary';
import { tailLog } from './logs/read-log';
import { downPlan, reconcilePlan, rememberProfile, withRememberedProfile, upPlan, withProfile } from './profiles';
import { MetricsCollector } from './metrics/collector';
import { toPrometheus } from './metrics/prometheus';
import { Supervisor } from './supervisor/supervisor';
import { BackupManager } from './backup/manager';
import { MaintenanceManager } from './maintenance/manager';
import type { MemoryUpkeep, MetricsUpkeep } from './maintenance/task';
import { withDependencies } from './graph';
import { serviceControl } from './service-control';
import { changedServices, reloadPlan } from './config-reload';
import type { EngineLike } from './contract/engine';
import type { DoctorReport, ProfileReport } from './contract/doctor';
import { AlertManager } from './alerts/manager';
import { diskFreePercent } from './alerts/disk';
import { queryRollups } from './metrics/store/rollup-query';
import type { RollupReader } from './metrics/store/rollup-reader';
import { configMark, engineMark, profileMark } from './metrics/store/stack-marks';
import { ReportService } from './report/report-service';
import type { MetricsMark, RollupAnswer, RollupQuery } from './contract/metrics-store';
import type { ReportAnswer, ReportCommand, ReportList } from './contract/reports';

export interface EngineOptions extends LoadOptions {
  clock?: Clock;
  random?: () => number;
}


import type { StackHealth } from './contract/health';
import type { LogLine } from './contract/logs';
import type { EngineStatus, PlanResult, PlanStep, ServiceSnapshot, ServiceStatus } from './contract/status';
import { DEFAULT_IPC_THRESHOLDS, HISTORY_METRICS, type MetricsHistory, type MetricsHistoryQuery, type RestartMark, type StackMetrics } from './contract/metrics';
import type { MemoryHit, MemoryQuery } from './contract/memory';
import type { Disposable, EventOf } from './contract/events';

/**
 * Where an engine records its events and searches them: the owner's journal and memory.db
 * (JournaledMemory), or a MemoryStore opened in-process by a one-shot command or a test.
 */
export interface EngineMemory {
  attach(bus: EventBus): Disposable;
  search(query: MemoryQuery): MemoryHit[] | Promise<MemoryHit[]>;
  /** Upkeep for `opsdeck maintain` (src/core/maintenance), when the memory offers it. */
  compactJournal?(): { segments: number; rows: number } | Promise<{ segments: number; rows: number }>;
  optimize?(rebuild: boolean): { bytesBefore: number; bytesAfter: number; rows: number } | Promise<{ bytesBefore: number; bytesAfter: number; rows: number }>;
}

/**
 * The long-term metrics store an engine feeds and reads (LongTermMetrics for the owner; a store
 * opened in-process reads only).
 */
export interface LongTermStore extends RollupReader {
  attach?(bus: EventBus): Disposable;
  sample?(metrics: StackMetrics): void;
  mark?(mark: MetricsMark): void;
  /** Upkeep for `opsdeck maintain opsdeck:metrics`, when the store offers it (the owner's). */
  compact?: MetricsUpkeep['compact'];
}

/** Restarts an engine remembers for its metrics history (the oldest go first). */
const RESTART_LOG_MAX = 1000;

export class Engine implements EngineLike {
  readonly bus = new EventBus();
  readonly supervisor: Supervisor;
  readonly startedAt = Date.now();
  readonly collector: MetricsCollector;
  private metricsRunning = false;
  private current: LoadedStack;
  private readonly stackDownListeners: (() => void)[] = [];
  private memory: { store: EngineMemory; sub: Disposable } | undefined;
  private readonly restartLog: RestartMark[] = [];
  private longTerm: { store: LongTermStore; sub: Disposable | undefined } | undefined;
  private reportService: ReportService | undefined;
  /** The reload in progress: reloads and profile switches run one after the other. */
  private reconciling: Promise<unknown> = Promise.resolve();
  /** Each service's endpoint (ServiceStatus.endpoint), by its configuration: parsed once per loaded configuration. */
  private readonly endpoints = new WeakMap<ServiceConfig, string | undefined>();
  /** Each service's last restart (ServiceStatus.lastRestart). */
  private readonly lastRestart = new Map<string, NonNullable<ServiceStatus['lastRestart']>>();

  constructor(
    private loaded: LoadedStack,
    opts: EngineOptions = {},
  ) {
    this.current = opts.profile === undefined ? withRememberedProfile(loaded) : loaded;
    this.supervisor = new Supervisor(this.current, {
      bus: this.bus,
      clock: opts.clock ?? systemClock,
      ...(opts.random ? { random: opts.random } : {}),
    });
    this.collector = new MetricsCollector({
      bus: this.bus,
      clock: opts.clock ?? systemClock,
      snapshot: () => this.supervisor.snapshot(),
      // Only the services' processes, read once when the memory-limit sampler's tick meets this one.
      processTable: () => this.supervisor.readProcesses(),
      latencyBudgetMs: (service) => this.current.config.services[service]?.ipc.latency_budget,
      thresholds: () => (this.current.profile ? this.current.config.profiles[this.current.profile]!.ipc : DEFAULT_IPC_THRESHOLDS),
      onSample: (m) => this.longTerm?.store.sample?.(m),
      onIpcLevel: (c) =>
        this.bus.emit({ type: 'ipc', at: c.at, service: c.ipc.worst?.service ?? 'stack', from: c.from, to: c.to, score: c.score, summary: c.ipc.summary }),
    });
    this.bus.on('restart', (e: EventOf<'restart'>) => {
      this.restartLog.push({ at: e.at, service: e.service, cause: e.cause, detail: e.detail, attempt: e.attempt });
      this.lastRestart.set(e.service, { at: e.at, cause: e.cause, detail: e.detail });
      if (this.restartLog.length > RESTART_LOG_MAX) this.restartLog.splice(0, this.restartLog.length - RESTART_LOG_MAX);
    });
  }

  /** Load `opsdeck.yaml` (a file or the folder holding it) and build its engine. */
  static async open(path: string, opts: EngineOptions = {}): Promise<Engine> {
    return new Engine(await loadConfig(path, opts), opts);
  }

  get stack(): LoadedStack {
    return this.current;
  }

  get logDir(): string {
    return join(this.current.dir, '.opsdeck', 'logs');
  }

  // ------------------------------------------------------------------ queries

  /**
   * The stack and every service; with `services`, only those (in the stack's order), the health's
   * level and summary from them alone. Throws SERVICE_UNKNOWN for a name not in the stack.
   */
  status(services?: readonly string[]): EngineStatus {
    let names = Object.keys(this.current.config.services);
    if (services?.length) {
      services.forEach((s) => this.assertService(s));
      names = names.filter((n) => services.includes(n));
    }
    // One snapshot of the services serves both the health and the list.
    const snapshots = this.supervisor.snapshot(services?.length ? names : undefined);
    // as GET /v1/health?service=: a service named but outside the active profile and not running is UNKNOWN
    const health = services?.length ? healthOfNamed(this.healthOf(snapshots), names, names) : this.healthOf(snapshots);
    const level = new Map(health.services.map((h) => [h.service, h.level]));
    const byName = new Map(snapshots.map((s) => [s.name, s]));
    return {
      stack: this.current.config.name,
      dir: this.current.dir,
      profile: this.current.profile,
      // Every service asked for: those outside the active profile stay listed (inProfile false).
      services: names.map((name) => {
        const s = byName.get(name) ?? this.supervisor.service(name);
        const config = this.current.config.services[name]!;
        const endpoint = this.endpointOf(config);
        const last = this.lastRestart.get(s.name);
        return {
          ...s,
          tier: config.tier,
          inProfile: this.current.services.includes(s.name),
          health: level.get(s.name) ?? 'UNKNOWN',
          ...(endpoint ? { endpoint } : {}),
          ...(last ? { lastRestart: last } : {}),
        };
      }),
      health,
      ipc: (({ score, level, summary }) => ({ score, level, summary }))(this.collector.current().ipc),
      engine: { pid: process.pid, startedAt: this.startedAt },
    };
  }

  /** Where a service answers, from its configuration (see `endpoints`). */
  private endpointOf(config: ServiceConfig): string | undefined {
    if (!this.endpoints.has(config)) this.endpoints.set(config, serviceEndpoint(config));
    return this.endpoints.get(config);
  }

  /** OK / WARNING / CRITICAL / UNKNOWN for every service and the stack. */
  health(): StackHealth {
    return this.healthOf(this.supervisor.snapshot());
  }

  private healthOf(snapshots: ServiceSnapshot[]): StackHealth {
    return stackHealth(snapshots, (name) => this.supervisor.isActive(name));
  }

  /** Run the full-functionality check of every running service (or of those in `services`), then report health. */
  async checkAll(services?: readonly string[]): Promise<StackHealth> {
    const run = this.supervisor.activeServices.filter((s) => !services || services.includes(s));
    await Promise.all(run.map((s) => this.supervisor.check(s)));
    return this.health();
  }

  /** CPU, memory, fds, uptime, restarts, probe latency per service, and the IPC score. */
  metrics(): StackMetrics {
    return this.collector.current();
  }

  /** The history of the sampled metrics per service, the IPC score's, and the restarts in it. */
  metricsHistory(query: MetricsHistoryQuery = {}): MetricsHistory {
    const { since } = query;
    const names = query.services?.length ? query.services : Object.keys(this.current.config.services);
    names.forEach((s) => this.assertService(s));
    const metrics = query.metrics?.length ? query.metrics : HISTORY_METRICS;
    const points = (samples: { at: number; value: number }[]) => samples.map((p): [number, number] => [p.at, p.value]);
    const services = Object.fromEntries(names.map((n) => [n, Object.fromEntries(metrics.map((m) => [m, points(this.collector.history(n, m, since))]))]));
    const current = this.collector.current();
    return {
      at: current.at,
      ...(since !== undefined ? { since } : {}),
      intervalMs: this.collector.intervalMs,
      thresholds: current.ipc.thresholds,
      services,
      ipc: points(this.collector.ipcHistory(since)),
      restarts: this.restartLog
        .filter((r) => (since === undefined || r.at >= since) && names.includes(r.service))
        .sort((a, b) => a.at - b.at),
    };
  }

  /** Feed the long-term metrics store (rollups, marks) and read it for queries and reports. */
  useLongTermMetrics(store: LongTermStore): void {
    this.longTerm?.sub?.dispose();
    this.longTerm = { store, sub: store.attach?.(this.bus) };
    if (store.compact) this.useMetricsUpkeep({ compact: () => store.compact!() });
    const now = this.supervisor.clock.now();
    store.mark?.(engineMark(now));
    store.mark?.(profileMark(this.current.profile, now));
    const config = configMark(this.current.file, now);
    if (config) store.mark?.(config);
  }

  /** The long-term rollups (minutes or hours) of the services and the stack, with marks if asked. */
  async metricsRollups(query: RollupQuery = {}): Promise<RollupAnswer> {
    if (!this.longTerm) throw new OpsError('NOT_AVAILABLE', 'this engine keeps no long-term metrics', 'they are kept by the engine that owns the stack (`opsdeck up`)');
    query.services?.forEach((s) => this.assertService(s));
    return queryRollups(this.longTerm.store, query, this.supervisor.clock.now(), this.current.config.metrics.retention);
  }

  /** The operations report (docs/reports.md): generate (and save), list, schedule. */
  get reports(): ReportService {
    return (this.reportService ??= new ReportService({ stack: () => this.current, reader: () => this.longTerm?.store, clock: this.supervisor.clock, bus: this.bus }));
  }

  report(command: ReportCommand): Promise<ReportAnswer> {
    return this.reports.answer(command);
  }

  listReports(): ReportList {
    const next = this.reports.nextRun();
    return { reports: this.reports.list(), ...(next ? { nextRun: next } : {}) };
  }

  /** The same, in Prometheus text format. */
  prometheus(): string {
    return toPrometheus(this.collector.current(), this.current.config.name);
  }

  /** Record every event of this engine in `store` (the owner's memory) and search it. */
  useMemory(store: EngineMemory): void {
    this.memory?.sub.dispose();
    this.memory = { store, sub: store.attach(this.bus) };
  }

  /** Full-text search of the stack's history (events and log lines). */
  async searchMemory(query: MemoryQuery): Promise<{ hits: MemoryHit[] }> {
    if (!this.memory) throw new OpsError('NOT_AVAILABLE', 'this engine keeps no memory', 'memory is kept by the engine that owns the stack (`opsdeck up`)');
    return { hits: await this.memory.store.search(query) };
  }

  profiles(): { active: string | undefined; profiles: { name: string; services: string[]; description?: string }[] } {
    return {
      active: this.current.profile,
      profiles: Object.entries(this.current.config.profiles).map(([name, p]) => ({
        name,
        services: p.services ?? Object.keys(this.current.config.services),
        ...(p.description ? { description: p.description } : {}),
      })),
    };
  }

  logs(service: string, opts: { lines?: number; since?: number } = {}): LogLine[] {
    this.assertService(service);
    return tailLog(this.logDir, service, { ...opts, keep: this.current.config.logs.keep });
  }

  // ------------------------------------------------------------------ commands (dryRun: plan only)

  /** Start services (default: the profile's) and what they wait for (depends_on, transitively), in dependency order. */
  up(services: string[] = this.current.services, opts: { dryRun?: boolean } = {}): PlanResult {
    services.forEach((s) => this.assertService(s));
    const names = withDependencies(this.current.config.services, services);
    // A failed service is still wanted (active) but has no process: starting it is part of the plan.
    const running = this.supervisor.activeServices.filter((n) => this.supervisor.service(n).state !== 'failed');
    const plan = upPlan(this.current, names, running);
    if (!opts.dryRun) {
      this.supervisor.up(names);
      if (!this.metricsRunning) {
        this.metricsRunning = true;
        this.collector.start();
      }
    }
    return { dryRun: !!opts.dryRun, plan };
  }

  /** Stop services; without a list, the whole stack, after which `onStackDown` listeners run. */
  async down(services?: string[], opts: { dryRun?: boolean } = {}): Promise<PlanResult> {
    const names = services ?? Object.keys(this.current.config.services);
    names.forEach((s) => this.assertService(s));
    const plan = downPlan(this.current, names.filter((s) => this.supervisor.isActive(s) || this.supervisor.service(s).pid !== undefined));
    if (!opts.dryRun) {
      await this.supervisor.down(names);
      if (!services) for (const fn of this.stackDownListeners) fn();
    }
    return { dryRun: !!opts.dryRun, plan };
  }

  /** Called after the whole stack was stopped on request (a daemon then exits). */
  onStackDown(fn: () => void): void {
    this.stackDownListeners.push(fn);
  }

  async restart(service: string, opts: { dryRun?: boolean } = {}): Promise<PlanResult> {
    this.assertService(service);
    const plan: PlanStep[] = [{ action: 'restart', service, wave: 0, reason: 'requested' }];
    if (!opts.dryRun) await this.supervisor.restart(service);
    return { dryRun: !!opts.dryRun, plan };
  }

  /** Switch profile: reconcile what runs, remember the choice for the next engine start. */
  async useProfile(name: string, opts: { dryRun?: boolean } = {}): Promise<PlanResult> {
    const next = withProfile(this.loaded, name);
    const plan = reconcilePlan(this.current, next, this.supervisor.activeServices);
    if (!opts.dryRun) {
      await this.supervisor.applyProfile(next, plan);
      this.current = next;
      rememberProfile(next);
      this.longTerm?.store.mark?.(profileMark(next.profile, this.supervisor.clock.now()));
    }
    return { dryRun: !!opts.dryRun, plan };
  }

  /**
   * Read opsdeck.yaml again and reconcile what runs with it (src/core/config-reload.ts): stop
   * what it removed, restart what changed (command, env, cwd, probes…), start what it added
   * while the stack runs. The active profile stays when the file still has it. A file with
   * errors throws CONFIG_INVALID (every issue with its line:column) and changes nothing.
   */
  reload(opts: { dryRun?: boolean } = {}): Promise<PlanResult> {
    const run = this.reconciling.then(async () => {
      const fresh = await loadConfig(this.current.file);
      const profile = this.current.profile;
      const next = profile !== undefined && Object.hasOwn(fresh.config.profiles, profile) ? withProfile(fresh, profile) : withRememberedProfile(fresh);
      const plan = reloadPlan(this.current, next, this.supervisor.activeServices);
      if (!opts.dryRun) {
        await this.supervisor.applyConfig(next, plan, changedServices(this.current, next));
        this.loaded = fresh;
        this.current = next;
        const config = configMark(next.file, this.supervisor.clock.now());
        if (config) this.longTerm?.store.mark?.(config);
        if (next.profile !== profile) this.longTerm?.store.mark?.(profileMark(next.profile, this.supervisor.clock.now()));
      }
      return { dryRun: !!opts.dryRun, plan };
    });
    this.reconciling = run.catch(() => undefined);
    return run;
  }

  /** The doctor's checks of this stack (docs/doctor.md); loaded on first use. */
  async doctor(opts: { services?: readonly string[] } = {}): Promise<DoctorReport> {
    const { runDoctor } = await import('./doctor/run-doctor');
    return runDoctor(this.current, opts);
  }

  /** A running service's processes sampled, and a V8 CPU profile of a Node one (docs/doctor.md). */
  async profileService(service: string, opts: { durationMs?: number; cpuProfile?: boolean } = {}): Promise<ProfileReport> {
    const { profileService } = await import('./doctor/profile/run-profile');
    return profileService(this.current, service, opts);
  }

  async dispose(): Promise<void> {
    this.alertManager?.stop();
    this.backupManager?.dispose();
    this.maintenanceManager?.dispose();
    this.reportService?.stop();
    this.collector.stop();
    await this.supervisor.dispose();
    this.memory?.sub.dispose();
    this.longTerm?.sub?.dispose();
  }

  // ================================================================== backups (src/core/backup, docs/backup.md)

  private backupManager: BackupManager | undefined;

  /**
   * Backups of this stack: run, list, diff, retention, prune, verify, restore, drill. The owner
   * calls `backups.start()` for the schedule and the RPO watch. This engine is the manager's
   * BackupHost (backup/host.ts): restores stop, start and check services through its supervisor;
   * a drill runs a separate Engine on the sandbox copy.
   */
  get backups(): BackupManager {
    return (this.backupManager ??= new BackupManager({
      stack: () => this.current,
      bus: this.bus,
      clock: this.supervisor.clock,
      control: serviceControl(this.supervisor, (services) => void this.up(services)),
      sandbox: (stack) => {
        const engine = new Engine(stack, { profile: undefined });
        return { ...serviceControl(engine.supervisor, (services) => void engine.up(services)), dispose: () => engine.dispose() };
      },
    }));
  }

  // ================================================================== end of backups

  // ================================================================== maintenance (src/core/maintenance, docs/maintenance.md)

  private maintenanceManager: MaintenanceManager | undefined;

  /**
   * Maintenance of this stack: its tasks, a run of some of them, cleanup; the owner calls
   * `maintenance.start()` for `maintenance.schedule`. Tasks that need a service stopped go through
   * this engine's supervisor, as restores do; Opsdeck's own data through its memory and backups.
   */
  get maintenance(): MaintenanceManager {
    return (this.maintenanceManager ??= new MaintenanceManager({
      stack: () => this.current,
      bus: this.bus,
      clock: this.supervisor.clock,
      control: { ...serviceControl(this.supervisor, (services) => void this.up(services)), stop: (services) => this.supervisor.down(services, 'stopped for maintenance') },
      backups: this.backups,
      memory: () => this.memoryUpkeep(),
      metrics: () => this.metricsUpkeep,
      forgetSnapshots: async (ids) => {
        await (await this.backups.repo()).repo.removeSnapshots(ids);
      },
    }));
  }

  private metricsUpkeep: MetricsUpkeep | undefined;

  /** How `opsdeck:metrics` compacts the long-term store: the owner's worker, or a command holding the stack lock in-process. */
  useMetricsUpkeep(upkeep: MetricsUpkeep): void {
    this.metricsUpkeep = upkeep;
  }

  private memoryUpkeep(): MemoryUpkeep | undefined {
    const store = this.memory?.store;
    if (!store?.optimize || !store.compactJournal) return undefined;
    return { optimize: async (rebuild) => store.optimize!(rebuild), compactJournal: async () => store.compactJournal!() };
  }

  // ================================================================== end of maintenance

  // ================================================================== alerts (src/core/alerts, docs/alerts.md)

  private alertManager: AlertManager | undefined;

  /** The alert rules, incidents, silences and acks of this stack; the owner calls `alerts.start()`. */
  get alerts(): AlertManager {
    return (this.alertManager ??= new AlertManager({
      bus: this.bus,
      clock: this.supervisor.clock,
      stack: () => this.current,
      sample: () => ({
        services: this.supervisor.snapshot().map((s) => ({ name: s.name, state: s.state, active: this.supervisor.isActive(s.name) })),
        ...(this.metricsRunning ? { metrics: this.collector.current() } : {}),
        diskFreePercent: diskFreePercent(this.current.dir),
      }),
    }));
  }

  private assertService(name: string): void {
    assertServiceName(this.current, name);
  }
}
