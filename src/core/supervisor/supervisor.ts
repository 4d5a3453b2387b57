/**
 * Runs a stack: starts services when their prerequisites hold (dependency conditions, then tier
 * order), tells each service which of its upstreams are down (so it is degraded instead of
 * crash-looping), samples memory against limits, and stops in reverse dependency order.
 */
import { resolve } from 'node:path';
import { systemClock, timerDelay, type Clock, type TimerHandle } from '../clock';
import { effectiveEnv, type LoadedStack } from '../config/load';
import type { DependencyCondition } from '../config/schema';
import { EventBus } from '../events';
import { startPrerequisites, stopWaves, type GraphInput } from '../graph';
import { OpsError } from '../errors';
import { ProbeTicker } from './probe-ticker';
import { ProcessReader, processTree, treeRssMb, type ProcInfo } from './process-table';
import { ServiceRunner } from './service-runner';
import { ServiceRecords } from './service-records';
import type { Disposable, ServiceState } from '../contract/events';
import type { PlanStep, ServiceSnapshot } from '../contract/status';

type Prerequisites = ReturnType<typeof startPrerequisites>;

export interface SupervisorOptions {
  bus?: EventBus;
  clock?: Clock;
  random?: () => number;
  /** Where logs go; default `<stack>/.opsdeck/logs`. */
  logDir?: string;
}

/** States in which a service has settled for the purpose of tier ordering. */
const SETTLED: ServiceState[] = ['ready', 'degraded', 'failed'];

export class Supervisor {
  readonly bus: EventBus;
  readonly clock: Clock;
  private readonly runners = new Map<string, ServiceRunner>();
  /** Services that should be up (started on request and not stopped since). */
  private readonly active = new Set<string>();
  /** Failed services a start was asked for: the next evaluation starts them (restarts by policy never do). */
  private readonly startRequested = new Set<string>();
  private evaluating = false;
  private reevaluate = false;
  private samplerTimer: TimerHandle | undefined;
  private readonly subscription: Disposable;
  private disposed = false;
  private readonly processes = new ProcessReader();
  /** One timer for the probes of every service. */
  readonly probeTicker: ProbeTicker;

  private stackView: LoadedStack;
  private readonly logDir: string;
  private readonly records: ServiceRecords;
  private readonly random: () => number;

  constructor(
    stack: LoadedStack,
    opts: SupervisorOptions = {},
  ) {
    this.stackView = stack;
    this.bus = opts.bus ?? new EventBus();
    this.clock = opts.clock ?? systemClock;
    this.logDir = opts.logDir ?? resolve(stack.dir, '.opsdeck', 'logs');
    this.records = new ServiceRecords(stack.dir);
    this.random = opts.random ?? Math.random;
    this.probeTicker = new ProbeTicker(this.clock);
    // A runner for every service of the file: profiles choose which of them run.
    for (const name of Object.keys(stack.config.services)) this.runners.set(name, this.makeRunner(stack, name));
    this.subscription = this.bus.on('state', () => this.evaluate());
    process.on('exit', this.killAllOnExit);
  }

  /** The runner of service `name` as `stack` describes it. */
  private makeRunner(stack: LoadedStack, name: string): ServiceRunner {
    const logs = { maxBytes: stack.config.logs.max_size_mb * 1024 * 1024, keep: stack.config.logs.keep };
    return new ServiceRunner(name, stack.config.services[name]!, effectiveEnv(stack, name), {
      bus: this.bus, clock: this.clock, random: this.random, stackDir: stack.dir, logDir: this.logDir, logs, records: this.records, ticker: this.probeTicker,
    });
  }

  private prerequisiteCache: { graph: GraphInput; key: string; byName: Map<string, Prerequisites> } | undefined;

  /** The dependency graph of the stack's file (replaced by a reload). */
  private get graph(): GraphInput {
    return this.stackView.config.services;
  }

  /** If the engine's process exits without stopping the stack, take the services with it. */
  private readonly killAllOnExit = () => {
    for (const r of this.runners.values()) {
      const pid = r.pid;
      if (pid === undefined) continue;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };

  // ------------------------------------------------------------------ queries

  /** The stack as seen through the active profile. */
  get stack(): LoadedStack {
    return this.stackView;
  }

  /** The services of the active profile. */
  get services(): string[] {
    return this.stackView.services;
  }

  /** Services with a process alive or on their way to one (starting, in backoff, waiting). */
  get activeServices(): string[] {
    return [...this.active];
  }

  /** Every service of the active profile, plus any other still running (of `names` only, when given). */
  snapshot(names?: readonly string[]): ServiceSnapshot[] {
    const runners = names ? names.flatMap((n) => this.runners.get(n) ?? []) : [...this.runners.values()];
    return runners.filter((r) => this.services.includes(r.name) || r.running).map((r) => r.snapshot());
  }

  service(name: string): ServiceSnapshot {
    return this.runner(name).snapshot();
  }

  isActive(name: string): boolean {
    return this.active.has(name);
  }

  // ------------------------------------------------------------------ commands

  /** Bring up services (default: all of the profile) in dependency order; returns at once. */
  up(names: string[] = this.services): void {
    for (const n of names) {
      const runner = this.runner(n);
      runner.resetRetries();
      if (runner.current === 'failed') this.startRequested.add(n);
      this.active.add(n);
    }
    this.startSampler();
    this.evaluate();
  }

  /** Start one service (it waits for its dependencies). */
  start(name: string): void {
    this.up([name]);
  }

  /** Stop services (default: all) in reverse dependency order, dependents first. */
  async down(names: string[] = [...this.runners.keys()], reason: string | ((name: string) => string) = 'stopped on request'): Promise<void> {
    for (const n of names) {
      this.active.delete(n);
      this.startRequested.delete(n);
    }
    const why = typeof reason === 'string' ? () => reason : reason;
    for (const wave of stopWaves(this.graph, [...this.runners.keys()])) {
      await Promise.all(wave.filter((n) => names.includes(n)).map((n) => this.runner(n).stop(why(n))));
    }
    if (this.active.size === 0) this.stopSampler();
  }

  stop(name: string): Promise<void> {
    return this.down([name]);
  }

  async restart(name: string): Promise<void> {
    await this.runner(name).stop('restarting on request');
    this.start(name);
  }

  check(name: string) {
    return this.runner(name).check();
  }

  /** Resolve when `name` is in one of `states` (or reject after `timeoutMs`, real time). */
  waitFor(name: string, states: ServiceState | ServiceState[], timeoutMs = 30_000): Promise<ServiceSnapshot> {
    const want = Array.isArray(states) ? states : [states];
    const runner = this.runner(name);
    if (want.includes(runner.current)) return Promise.resolve(runner.snapshot());
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        sub.dispose();
        const s = runner.snapshot();
        reject(new Error(`${name} did not reach ${want.join('|')} within ${timeoutMs}ms (it is ${s.state}: ${s.reason})`));
      }, timerDelay(timeoutMs));
      const sub = this.bus.on('state', (e) => {
        if (e.service === name && want.includes(e.to)) {
          clearTimeout(timer);
          sub.dispose();
          resolvePromise(runner.snapshot());
        }
      });
    });
  }

  /** Resolve when every active service has settled (ready, degraded, failed or completed). */
  async waitSettled(timeoutMs = 60_000): Promise<ServiceSnapshot[]> {
    await Promise.all(
      [...this.active].map((n) =>
        this.runner(n).hasCompleted ? undefined : this.waitFor(n, ['ready', 'degraded', 'failed', 'stopped'], timeoutMs),
      ),
    );
    return this.snapshot();
  }

  /** Stop everything and release timers and files. */
  /**
   * Switch to another profile: stop what it leaves out, restart what stays with a changed
   * environment, start what it adds, each in dependency order.
   */
  async applyProfile(next: LoadedStack, plan: PlanStep[]): Promise<void> {
    const stops = plan.filter((p) => p.action === 'stop').map((p) => p.service);
    const restarts = plan.filter((p) => p.action === 'restart').map((p) => p.service);
    await this.down(stops, `not in profile ${next.profile}`);
    await this.down(restarts, `restarting for profile ${next.profile}`);
    this.stackView = next;
    for (const [name, runner] of this.runners) runner.setEnv(effectiveEnv(next, name));
    this.up([...restarts, ...plan.filter((p) => p.action === 'start').map((p) => p.service)]);
  }

  /**
   * Take a reloaded opsdeck.yaml (`next`, profile applied): stop and restart as `plan` says (the
   * old runners stop with their old settings), drop the runners of removed services, make anew
   * those of `changed` services (running or not), add runners for new ones, then start.
   */
  async applyConfig(next: LoadedStack, plan: PlanStep[], changed: string[]): Promise<void> {
    const steps = (action: PlanStep['action']) => plan.filter((p) => p.action === action);
    const reasons = new Map(plan.map((p) => [p.service, p.reason]));
    await this.down(steps('stop').map((p) => p.service), (n) => `stopped: ${reasons.get(n) ?? 'opsdeck.yaml changed'}`);
    await this.down(steps('restart').map((p) => p.service), (n) => `restarting: ${reasons.get(n) ?? 'opsdeck.yaml changed'}`);
    for (const [name, runner] of [...this.runners]) {
      if (Object.hasOwn(next.config.services, name) && !changed.includes(name)) continue;
      // A removed or changed service that still runs (outside the plan: never, but be safe) is stopped first.
      if (runner.running) await runner.stop('opsdeck.yaml changed');
      this.active.delete(name);
      runner.dispose();
      this.runners.delete(name);
    }
    this.stackView = next;
    for (const name of Object.keys(next.config.services)) if (!this.runners.has(name)) this.runners.set(name, this.makeRunner(next, name));
    const start = [...steps('restart'), ...steps('start')].map((p) => p.service);
    if (start.length) this.up(start);
    else this.evaluate();
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    await this.down([...this.runners.keys()], 'engine shutting down');
    this.disposed = true;
    this.subscription.dispose();
    process.off('exit', this.killAllOnExit);
    this.stopSampler();
    for (const r of this.runners.values()) r.dispose();
    this.processes.close();
  }

  // ------------------------------------------------------------------ orchestration

  private runner(name: string): ServiceRunner {
    const r = this.runners.get(name);
    if (!r) {
      throw new OpsError('SERVICE_UNKNOWN', `no service named "${name}" in this stack`, `services: ${this.services.join(', ')}`);
    }
    return r;
  }

  /** Whether a dependency condition holds now. */
  private satisfied(dep: string, cond: DependencyCondition): boolean {
    const r = this.runners.get(dep)!;
    if (cond === 'completed') return r.hasCompleted;
    if (cond === 'started') return r.running || r.hasCompleted;
    return r.serving;
  }

  /**
   * Re-examine every service after any state change: start those whose prerequisites now
   * hold, and tell running ones which upstreams are down. Re-entrant calls are folded.
   */
  private evaluate(): void {
    if (this.disposed) return;
    if (this.evaluating) {
      this.reevaluate = true;
      return;
    }
    this.evaluating = true;
    try {
      do {
        this.reevaluate = false;
        const prerequisites = this.prerequisites();
        for (const [name, runner] of this.runners) this.evaluateOne(name, runner, prerequisites);
      } while (this.reevaluate);
    } finally {
      this.evaluating = false;
    }
  }

  /**
   * Each service's start prerequisites for the services selected now (the profile's and those
   * started on request), made once per selection and graph: every state change of any service
   * re-examines them all, which made them afresh for each (on a daemon of 50 services, ~1 ms of
   * every state change, spent in the middle of a restart).
   */
  private prerequisites(): (name: string) => Prerequisites {
    const selected = [...new Set([...this.services, ...this.active])];
    const key = selected.join('\0');
    let cache = this.prerequisiteCache;
    if (!cache || cache.graph !== this.graph || cache.key !== key) cache = this.prerequisiteCache = { graph: this.graph, key, byName: new Map() };
    const { graph, byName } = cache;
    return (name) => {
      let p = byName.get(name);
      if (!p) byName.set(name, (p = startPrerequisites(graph, selected, name)));
      return p;
    };
  }

  private evaluateOne(name: string, runner: ServiceRunner, prerequisitesOf: (name: string) => Prerequisites): void {
    if (!this.active.has(name)) return;
    const { depends, after } = prerequisitesOf(name);
    const deps = Object.entries(depends) as [string, DependencyCondition][];
    // Upstreams whose condition does not hold now: a running service is degraded by them, and
    // one that exits meanwhile waits for them instead of crash-looping.
    runner.setUpstreamDown(deps.filter(([d, cond]) => cond !== 'completed' && !this.satisfied(d, cond)).map(([d]) => d));
    if (runner.running || runner.inBackoff || runner.hasCompleted || runner.current === 'stopping') return;
    if (runner.current === 'failed' && !this.startRequested.delete(name)) return;

    const unmet = deps.filter(([d, cond]) => !this.satisfied(d, cond));
    const failedUpstream = unmet.filter(([d]) => {
      const r = this.runners.get(d)!;
      return r.current === 'failed' || !this.active.has(d);
    });
    if (failedUpstream.length) {
      runner.wait('degraded', `upstream: ${failedUpstream.map(([d]) => d).join(', ')}`);
      return;
    }
    if (unmet.length) {
      runner.wait('starting', `waiting for ${unmet.map(([d, c]) => `${d} (${c})`).join(', ')}`);
      return;
    }
    const unsettled = after.filter((d) => this.active.has(d) && !this.settled(d));
    if (unsettled.length) {
      runner.wait('starting', `waiting for lower tiers: ${unsettled.join(', ')}`);
      return;
    }
    runner.start(deps.length ? `dependencies met: ${deps.map(([d, c]) => `${d} ${c}`).join(', ')}` : 'start requested');
  }

  private settled(name: string): boolean {
    const r = this.runners.get(name)!;
    return r.hasCompleted || (SETTLED.includes(r.current) && (r.running || r.current === 'failed'));
  }

  // ------------------------------------------------------------------ resource sampling

  /**
   * The processes of the running services and their descendants (see ProcessReader). A read at
   * most `maxAgeMs` old, or one in progress, is shared: the metrics collector reads through here
   * too, so its samples and the memory-limit samples read /proc once when their ticks meet.
   */
  readProcesses(maxAgeMs = 0): Promise<ProcInfo[]> {
    const roots = [...this.runners.values()].map((r) => r.pid).filter((p): p is number => p !== undefined);
    return this.processes.read(roots, maxAgeMs);
  }

  private startSampler(): void {
    if (this.samplerTimer) return;
    const intervals = [...this.runners.values()]
      .filter((r) => r.config.limits.memory_mb !== undefined)
      .map((r) => r.config.limits.sample_interval);
    if (!intervals.length) return;
    const every = Math.min(...intervals);
    // A table read by the metrics collector up to half an interval ago is recent enough for RSS.
    const tick = async () => {
      await this.sampleOnce(every / 2);
      if (this.samplerTimer) this.samplerTimer = this.clock.setTimeout(() => void tick(), every);
    };
    this.samplerTimer = this.clock.setTimeout(() => void tick(), every);
  }

  private stopSampler(): void {
    this.samplerTimer?.cancel();
    this.samplerTimer = undefined;
  }

  /** One read of the services' processes (or one at most `maxAgeMs` old), then every running service's tree RSS. */
  async sampleOnce(maxAgeMs = 0): Promise<void> {
    const table = await this.readProcesses(maxAgeMs).catch((): ProcInfo[] => []);
    for (const r of this.runners.values()) {
      const pid = r.pid;
      if (pid !== undefined) r.reportRss(treeRssMb(processTree(table, pid)));
    }
  }
}
