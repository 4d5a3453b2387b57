/**
 * The life of one service: spawn, readiness, liveness, full-functionality checks, crash and
 * hang handling, restart with backoff, giving up, stopping. Every change is a state event with
 * a reason. What the service waits for (dependencies) is decided by the Supervisor, which tells
 * the runner when to start and which upstream services are down.
 */
import { resolve } from 'node:path';
import type { Clock, TimerHandle } from '../clock';
import type { ProbeConfig, ServiceConfig } from '../config/schema';
import { formatDuration } from '../duration';
import type { EventBus } from '../events';
import { runCheck } from '../health/check';
import { runProbe } from '../health/probes';
import { redactDeep } from '../redact';
import { backoffDelay, RestartWindow } from './backoff';
import { ChildProcess } from './child-process';
import { LogFile, type LogFileOptions } from './log-file';
import { ProbeSchedule, probeTiming, type ProbeTiming } from './probe-schedule';
import { ProbeTicker, type ProbeSlot } from './probe-ticker';
import type { ServiceRecords } from './service-records';

export interface RunnerContext {
  bus: EventBus;
  clock: Clock;
  random: () => number;
  stackDir: string;
  logDir: string;
  logs: LogFileOptions;
  /** Where each spawned process is recorded until it is gone (for a later engine, should this one die). */
  records?: ServiceRecords;
  /** The stack's one timer for the probes of all its services (default: one of this runner's own). */
  ticker?: ProbeTicker;
}

import type { ProbeRole, RestartCause, ServiceState } from '../contract/events';
import type { CheckResult, ExitInfo, ProbeResult, ServiceSnapshot } from '../contract/status';

type KillCause = 'stop' | 'hang' | 'memory limit';

export class ServiceRunner {
  private state: ServiceState = 'stopped';
  private reason = 'not started';
  private since: number;
  private child: ChildProcess | undefined;
  private generation = 0;
  private killCause: KillCause | undefined;
  private killDetail = '';
  private exitHandled: Promise<void> = Promise.resolve();
  private stopping: Promise<unknown> = Promise.resolve();
  private everReady = false;
  private readinessFailing: string | undefined;
  private readinessFailures = 0;
  private livenessFailures = 0;
  private livenessError = '';
  private logMatched = false;
  private upstreamDown: string[] = [];
  private attempt = 0;
  private restarts = 0;
  private window: RestartWindow;
  private completed = false;
  private startedAt: number | undefined;
  private lastExit: ExitInfo | undefined;
  private lastProbe: Partial<Record<ProbeRole, ProbeResult>> = {};
  /** The last request each probe of the current process made itself: when it started, and its answer (or the promise of it). */
  private asked: Partial<Record<ProbeRole, { at: number; answer: Promise<ProbeResult> }>> = {};
  /** Readiness and liveness are the same check (same http, tcp or exec, same timeout): one request can answer both. */
  private readonly twinProbes: boolean;
  private lastCheck: CheckResult | undefined;
  private rssMb: number | undefined;
  private readonly timers = new Map<'backoff' | 'reset' | 'readiness' | 'liveness' | 'check', TimerHandle>();
  private readonly log: LogFile;
  private readonly logPattern: RegExp | undefined;
  /** The environment of the current process, for its probes and checks (made at spawn). */
  private envCache: Record<string, string> | undefined;
  /** When this service's probes run. */
  private readonly probeSchedule: ProbeSchedule;
  /** Each probe's timing, from the configuration (a runner's does not change). */
  private readonly timing: Partial<Record<ProbeRole, ProbeTiming>> = {};
  /** Each probe's place in the ticker, made once: a probe run allocates no timer. */
  private readonly probeSlots: Record<ProbeRole, ProbeSlot>;
  private readonly cwd: string;
  /** Aborted (and replaced) when the service stops: kills the probe and check commands in flight. */
  private commands = new AbortController();

  constructor(
    readonly name: string,
    readonly config: ServiceConfig,
    private env: Record<string, string>,
    private readonly ctx: RunnerContext,
  ) {
    this.since = ctx.clock.now();
    this.window = new RestartWindow(config.restart.window);
    this.log = new LogFile(resolve(ctx.logDir, `${name}.log`), ctx.logs, () => ctx.clock.now());
    const readinessLog = config.health.readiness?.log;
    this.logPattern = readinessLog !== undefined ? new RegExp(readinessLog) : undefined;
    this.probeSchedule = new ProbeSchedule(name, ctx.clock);
    for (const role of ['readiness', 'liveness'] as const) {
      const p = config.health[role];
      if (p) this.timing[role] = probeTiming(role, p);
    }
    this.twinProbes = sameCheck(config.health.readiness, config.health.liveness) && this.timing.readiness!.timeout === this.timing.liveness!.timeout;
    const ticker = ctx.ticker ?? new ProbeTicker(ctx.clock);
    // A slot runs for the current process: it is cancelled when a process exits, set again at the next spawn.
    this.probeSlots = {
      readiness: ticker.slot(() => void this.probeOnce(this.generation, 'readiness', this.config.health.readiness!)),
      liveness: ticker.slot(() => void this.probeOnce(this.generation, 'liveness', this.config.health.liveness!)),
    };
    this.cwd = resolve(ctx.stackDir, config.cwd ?? '.');
  }

  // ------------------------------------------------------------------ queries

  get current(): ServiceState {
    return this.state;
  }

  /** A process of this service is alive (or being stopped). */
  get running(): boolean {
    return this.child?.running ?? false;
  }

  /** Waiting out a restart delay. */
  get inBackoff(): boolean {
    return this.timers.has('backoff');
  }

  /** Running and has passed readiness since it was spawned. */
  get serving(): boolean {
    return this.running && this.everReady && (this.state === 'ready' || this.state === 'degraded');
  }

  get hasCompleted(): boolean {
    return this.completed;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  snapshot(): ServiceSnapshot {
    return {
      name: this.name,
      state: this.state,
      reason: this.reason,
      since: this.since,
      pid: this.pid,
      restarts: this.restarts,
      attempt: this.attempt,
      startedAt: this.running ? this.startedAt : undefined,
      completed: this.completed,
      lastExit: this.lastExit,
      lastProbe: { ...this.lastProbe },
      lastCheck: this.lastCheck,
      rssMb: this.rssMb,
    };
  }

  // ------------------------------------------------------------------ commands (from the Supervisor)

  /** Start now: prerequisites are met. A failed or completed service starts afresh. */
  start(reason: string): void {
    if (this.running || this.inBackoff) return;
    if (this.state === 'failed' || this.completed) this.resetRetries();
    this.spawn(reason);
  }

  /** Record that the service waits for something before it can start (no process). */
  wait(state: 'starting' | 'degraded', reason: string): void {
    if (this.running || this.inBackoff) return;
    this.setState(state, reason);
  }

  /** Forget past crashes (a start on request, not a restart by policy). */
  resetRetries(): void {
    this.attempt = 0;
    this.restarts = 0;
    this.completed = false;
    this.window = new RestartWindow(this.config.restart.window);
  }

  /** Stop on request: SIGTERM (or stop_signal) to the group, grace, SIGKILL. */
  async stop(reason = 'stopped on request'): Promise<void> {
    this.cancelTimer('backoff');
    if (!this.running) {
      if (this.state !== 'stopped' || this.reason !== reason) this.setState('stopped', reason);
      return;
    }
    if (this.killCause !== 'stop') {
      this.killCause = 'stop';
      this.killDetail = reason;
      this.killCommands();
      this.setState('stopping', reason);
      this.stopping = this.child!.stop(this.config.stop_signal, this.config.stop_grace);
    }
    // Both: the leader's exit handled, and every process of the tree gone.
    await Promise.all([this.exitHandled, this.stopping]);
  }

  /** The environment for the next spawn (a profile switch restarts the service to apply it). */
  setEnv(env: Record<string, string>): void {
    this.env = env;
    this.envCache = undefined;
  }

  /** Which upstream services (dependencies) are down right now. */
  setUpstreamDown(names: string[]): void {
    const changed = names.join(',') !== this.upstreamDown.join(',');
    this.upstreamDown = names;
    if (changed && this.running) this.recompute();
  }

  /** The sampled RSS of the process tree; over the limit means a restart. */
  reportRss(mb: number): void {
    this.rssMb = mb;
    const max = this.config.limits.memory_mb;
    if (max !== undefined && mb > max && this.running && !this.killCause) {
      this.ctx.bus.emit({ type: 'limit', service: this.name, at: this.ctx.clock.now(), limit: 'memory', valueMb: Math.ceil(mb), maxMb: max });
      this.kill('memory limit', `memory limit: RSS ${Math.ceil(mb)} MB > ${max} MB`);
    }
  }

  /** Run the full-functionality check now. */
  async check(): Promise<CheckResult> {
    const cfg = this.config.health.check;
    let result: CheckResult;
    if (!cfg) result = { ok: this.serving, durationMs: 0, output: 'no check configured; reporting whether the service is up' };
    else result = await runCheck(cfg.exec, { cwd: this.cwd, env: this.childEnv, timeoutMs: cfg.timeout, signal: this.commands.signal });
    this.lastCheck = result;
    this.ctx.bus.emit({ type: 'check', service: this.name, at: this.ctx.clock.now(), ...result });
    this.log.write('opsdeck', `check ${result.ok ? 'passed' : 'FAILED'} in ${result.durationMs}ms${result.output ? `: ${result.output.split('\n').pop()}` : ''}`);
    return result;
  }

  dispose(): void {
    this.killCommands();
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    this.log.close();
  }

  /** Kill the probe and check commands still running for this service. */
  private killCommands(): void {
    this.commands.abort();
    this.commands = new AbortController();
  }

  // ------------------------------------------------------------------ process life

  /**
   * The engine's environment, the service's, and OPSDECK_SERVICE / OPSDECK_STACK_DIR. Made afresh
   * for every spawn (so it sees the engine's environment of the moment) and kept for the probes and
   * checks of that process, which run every few seconds.
   */
  private get childEnv(): Record<string, string> {
    return (this.envCache ??= this.makeChildEnv());
  }

  private makeChildEnv(): Record<string, string> {
    const base = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
    return { ...base, ...this.env, OPSDECK_SERVICE: this.name, OPSDECK_STACK_DIR: this.ctx.stackDir };
  }

  private spawn(reason: string): void {
    const gen = ++this.generation;
    this.everReady = false;
    this.readinessFailing = undefined;
    this.readinessFailures = 0;
    this.livenessFailures = 0;
    this.logMatched = false;
    this.killCause = undefined;
    this.lastProbe = {};
    this.asked = {};
    this.rssMb = undefined;
    this.startedAt = this.ctx.clock.now();
    this.envCache = undefined;
    const child = new ChildProcess(
      { command: this.config.command, shell: this.config.shell, cwd: this.cwd, env: this.childEnv, openFiles: this.config.limits.open_files },
      (stream, line) => this.onLine(gen, stream, line),
    );
    this.child = child;
    let markHandled!: () => void;
    this.exitHandled = new Promise((r) => (markHandled = r));
    void child.exited.then((info) => {
      try {
        this.onExit(gen, info);
      } finally {
        markHandled();
      }
    });
    const argv = typeof this.config.command === 'string' ? [this.config.command] : this.config.command;
    if (child.pid !== undefined) {
      this.ctx.records?.add(this.name, child.pid);
      this.ctx.bus.emit({ type: 'spawn', service: this.name, at: this.ctx.clock.now(), pid: child.pid, command: argv });
      this.log.write('opsdeck', `started pid ${child.pid}: ${redactDeep(argv).join(' ')}`);
    }
    this.setState('starting', reason);
    this.startProbes(gen);
  }

  private onLine(gen: number, stream: 'stdout' | 'stderr', line: string): void {
    this.log.write(stream, line);
    this.ctx.bus.emit({ type: 'log', service: this.name, at: this.ctx.clock.now(), stream, line });
    if (gen === this.generation && this.logPattern && !this.logMatched && this.logPattern.test(line)) {
      this.logMatched = true;
      if (!this.everReady) this.becomeReady(`log line matched /${this.logPattern.source}/`);
    }
  }

  private onExit(gen: number, info: ExitInfo): void {
    if (gen !== this.generation) return;
    for (const t of ['readiness', 'liveness', 'check', 'reset'] as const) this.cancelTimer(t);
    const cause = this.killCause;
    this.killCause = undefined;
    if (!cause) this.child?.killLeftovers();
    // The record goes once the whole group is gone: at once after the SIGKILL above, else when the stop has finished.
    const pid = this.child?.pid;
    if (pid !== undefined) void (cause ? this.stopping : Promise.resolve()).finally(() => this.ctx.records?.remove(this.name, pid));
    this.lastExit = info;
    this.rssMb = undefined;
    const now = this.ctx.clock.now();
    const detail = info.error
      ? `could not start: ${info.error}`
      : info.signal
        ? `killed by ${info.signal}`
        : `exit code ${info.code}`;
    this.ctx.bus.emit({
      type: 'exit', service: this.name, at: now, pid: this.child?.pid, code: info.code, signal: info.signal, expected: cause === 'stop',
      ...(info.error ? { error: info.error } : {}),
    });
    this.log.write('opsdeck', `exited (${detail})`);

    if (cause === 'stop') {
      this.setState('stopped', this.killDetail);
      return;
    }
    const policy = this.config.restart.policy;
    const restartCause: RestartCause = cause ?? (info.error ? 'spawn failed' : info.code === 0 ? 'exit' : 'crash');
    const why = cause ? this.killDetail : detail;
    if (restartCause === 'exit' && policy !== 'always') {
      this.completed = true;
      this.setState('stopped', 'completed (exit code 0)');
      return;
    }
    if (policy === 'never') {
      this.setState('failed', `${why}; restart policy is never`);
      return;
    }
    if (this.upstreamDown.length) {
      this.setState('degraded', `upstream: ${this.upstreamDown.join(', ')} (${why}; restarts when it recovers)`);
      return;
    }
    this.scheduleRestart(restartCause, why);
  }

  private scheduleRestart(cause: RestartCause, why: string): void {
    const { max_retries, window, backoff } = this.config.restart;
    const now = this.ctx.clock.now();
    const recent = this.window.count(now);
    if (recent >= max_retries) {
      this.ctx.bus.emit({ type: 'gave-up', service: this.name, at: now, restarts: recent, windowMs: window });
      this.setState('failed', `gave up after ${recent} restart${recent === 1 ? '' : 's'} within ${formatDuration(window)} (last: ${why})`);
      return;
    }
    this.attempt += 1;
    this.restarts += 1;
    this.window.record(now);
    const delayMs = backoffDelay(backoff, this.attempt, this.ctx.random);
    this.ctx.bus.emit({ type: 'restart', service: this.name, at: now, attempt: this.attempt, delayMs, cause, detail: why });
    const restart = () => {
      this.timers.delete('backoff');
      if (this.upstreamDown.length) {
        this.setState('degraded', `upstream: ${this.upstreamDown.join(', ')} (restarts when it recovers)`);
        return;
      }
      this.spawn(`restart ${this.attempt} after ${cause}`);
    };
    // The timer exists before the state event goes out, so listeners see a service in backoff.
    // A restart at once (the first after a crash, by default) spawns in this same turn: a timer
    // of 0 ms waited for what else the loop had queued (execa's handling of the ended process,
    // ~2-3 ms on a daemon of 50 services); the backoff state is still announced first, and a
    // listener that cancels it (a stop) still prevents the spawn.
    this.timers.set('backoff', delayMs === 0 ? { cancel: () => undefined } : this.ctx.clock.setTimeout(restart, delayMs));
    this.setState('backoff', `${why}; restart ${this.attempt} in ${formatDuration(delayMs)}`);
    if (delayMs === 0 && this.timers.has('backoff')) restart();
  }

  /** Kill the process tree so that the restart policy brings it back (hang, memory limit). */
  private kill(cause: 'hang' | 'memory limit', detail: string): void {
    if (!this.running || this.killCause) return;
    this.killCause = cause;
    this.killDetail = detail;
    this.setState('stopping', detail);
    this.stopping = this.child!.stop(this.config.stop_signal, this.config.stop_grace);
  }

  // ------------------------------------------------------------------ health

  private startProbes(gen: number): void {
    const { readiness, liveness, check } = this.config.health;
    if (!readiness) this.becomeReady('started (no readiness probe)');
    else if (readiness.log === undefined) this.scheduleProbe('readiness', this.probeSchedule.firstAt('readiness', this.timing.readiness!));
    if (liveness) this.scheduleProbe('liveness', this.probeSchedule.firstAt('liveness', this.timing.liveness!));
    if (check?.interval) this.scheduleCheck(gen, check.interval);
  }

  /** The next probe of `role` of the current process runs at `at` (engine clock). */
  private scheduleProbe(role: ProbeRole, at: number): void {
    this.timers.set(role, this.probeSlots[role].set(at));
  }

  private async probeOnce(gen: number, role: ProbeRole, p: ProbeConfig): Promise<void> {
    const t = this.timing[role]!;
    const inStartup = role === 'readiness' && !this.everReady;
    // While it starts, readiness asks itself every 25 ms: an answer 100 ms old would only hold it back.
    let answer = inStartup ? undefined : this.twinAnswer(role);
    if (!answer) {
      answer = runProbe(p, {
        timeoutMs: t.timeout,
        cwd: this.cwd,
        env: this.childEnv,
        logMatched: () => this.logMatched,
        signal: this.commands.signal,
        keepConnection: this.probeSchedule.keepConnection(t.interval, inStartup ? this.spawnedAt : undefined),
      });
      this.asked[role] = { at: this.ctx.clock.now(), answer };
    }
    const result = await answer;
    if (gen !== this.generation || !this.running || this.killCause) return;
    this.lastProbe[role] = result;
    let failures = 0;
    if (role === 'liveness' && this.everReady) failures = this.livenessFailures = result.ok ? 0 : this.livenessFailures + 1;
    this.ctx.bus.emit({
      type: 'probe', service: this.name, at: this.ctx.clock.now(), probe: role, ok: result.ok, latencyMs: result.latencyMs,
      ...(result.error ? { error: result.error } : {}), failures, threshold: t.threshold,
    });
    if (role === 'readiness') {
      if (inStartup) {
        if (result.ok) this.becomeReady(`readiness passed (${p.http ? 'http' : p.tcp ? 'tcp' : 'exec'}, ${Math.round(result.latencyMs)}ms)`);
        else this.setState('starting', `waiting for readiness: ${result.error ?? 'failed'}`);
      } else {
        this.readinessFailures = result.ok ? 0 : this.readinessFailures + 1;
        this.readinessFailing = this.readinessFailures >= t.threshold ? (result.error ?? 'failed') : result.ok ? undefined : this.readinessFailing;
        this.recompute();
      }
      this.scheduleProbe(role, this.probeSchedule.nextAt(role, t.interval, this.everReady ? undefined : this.spawnedAt));
      return;
    }
    // liveness: failures count only once the service has been ready (before that, readiness rules)
    if (!this.everReady) {
      this.scheduleProbe(role, this.probeSchedule.nextAt(role, t.interval));
      return;
    }
    this.livenessError = result.error ?? '';
    if (failures >= t.threshold) {
      this.kill('hang', `hang: liveness failed ${failures} times (${this.livenessError})`);
      return;
    }
    this.recompute();
    this.scheduleProbe(role, this.probeSchedule.nextAt(role, t.interval));
  }

  /**
   * The answer to the request the other probe of the same check made just now (see
   * ProbeSchedule.answerStands), in flight or in: it answers this probe too, without a second
   * request to the service. Each probe still counts its own failures against its own threshold.
   */
  private twinAnswer(role: ProbeRole): Promise<ProbeResult> | undefined {
    if (!this.twinProbes) return undefined;
    const other = this.asked[role === 'readiness' ? 'liveness' : 'readiness'];
    return other && this.probeSchedule.answerStands(other.at) ? other.answer : undefined;
  }

  /** When the current process was spawned (startedAt, which is set at every spawn). */
  private get spawnedAt(): number {
    return this.startedAt ?? 0;
  }

  private scheduleCheck(gen: number, interval: number): void {
    this.timers.set(
      'check',
      this.ctx.clock.setTimeout(async () => {
        if (gen !== this.generation || !this.running) return;
        if (this.serving) await this.check();
        if (gen === this.generation && this.running) this.scheduleCheck(gen, interval);
      }, interval),
    );
  }

  private becomeReady(reason: string): void {
    this.everReady = true;
    this.recompute(reason);
  }

  /** Derive ready / degraded / starting from what is known about a running service. */
  private recompute(readyReason?: string): void {
    if (!this.running || this.killCause) return;
    if (!this.everReady) return;
    const threshold = this.timing.liveness?.threshold ?? 0;
    if (this.upstreamDown.length) this.setState('degraded', `upstream: ${this.upstreamDown.join(', ')}`);
    else if (this.livenessFailures > 0) this.setState('degraded', `liveness failing ${this.livenessFailures}/${threshold}: ${this.livenessError}`);
    else if (this.readinessFailing) this.setState('degraded', `readiness failing: ${this.readinessFailing}`);
    else this.setState('ready', this.state === 'ready' ? this.reason : (readyReason ?? (this.state === 'degraded' ? 'recovered' : 'ready')));
  }

  private setState(to: ServiceState, reason: string): void {
    if (to === this.state && reason === this.reason) return;
    const from = this.state;
    this.state = to;
    this.reason = reason;
    this.since = this.ctx.clock.now();
    if (to === 'ready') this.armRetryReset();
    else if (from === 'ready') this.cancelTimer('reset');
    if (from !== to) this.log.write('opsdeck', `${from} → ${to}: ${reason}`);
    this.ctx.bus.emit({ type: 'state', service: this.name, at: this.since, from, to, reason });
  }

  /** After `reset_after` of healthy running, past crashes stop counting toward the backoff. */
  private armRetryReset(): void {
    if (this.timers.has('reset') || this.attempt === 0) return;
    const after = this.config.restart.backoff.reset_after;
    this.timers.set(
      'reset',
      this.ctx.clock.setTimeout(() => {
        this.timers.delete('reset');
        if (this.state !== 'ready' || this.attempt === 0) return;
        this.attempt = 0;
        this.ctx.bus.emit({ type: 'retry-reset', service: this.name, at: this.ctx.clock.now(), after });
        this.log.write('opsdeck', `healthy for ${formatDuration(after)}: restart backoff reset`);
      }, after),
    );
  }

  private cancelTimer(name: 'backoff' | 'reset' | 'readiness' | 'liveness' | 'check'): void {
    this.timers.get(name)?.cancel();
    this.timers.delete(name);
  }
}

/** Two probes are the same check: both http, tcp or exec with the same settings (a log probe asks nothing). */
function sameCheck(a: ProbeConfig | undefined, b: ProbeConfig | undefined): boolean {
  if (!a || !b || !(a.http || a.tcp || a.exec)) return false;
  return JSON.stringify([a.http, a.tcp, a.exec]) === JSON.stringify([b.http, b.tcp, b.exec]);
}
