/**
 * The IPC score: pressure on the channels between services, 0 to 100, higher is worse
 * (DESIGN.md "IPC score", docs/ipc-score.md). The formula lives in `servicePressure` (one
 * service) and `ipcScore` (the stack); both are pure. `IpcLevelTracker` turns the stream of
 * scores into ok / warn / critical level changes, with hysteresis, so that a notification fires
 * on a crossing and not on every sample.
 *
 * Per service, over the last 60 s:
 *
 *     pressure = max(p95 probe latency / latency budget,
 *                    probe failure rate / 0.1,
 *                    backlog / backlog budget)        (backlog only when given)
 *
 *     stack score = round(100 × min(1, max pressure over services))   (0 with no samples)
 */
import { percentiles } from './percentile';
import { DEFAULT_IPC_HYSTERESIS, DEFAULT_IPC_THRESHOLDS, IPC_LEVELS, levelFor, type BacklogReading, type IpcLevel, type IpcScore, type IpcThresholds, type PressureTerm, type ServicePressure } from '../contract/metrics';

/** The window the score looks at. */
export const IPC_WINDOW_MS = 60_000;
/** A service's latency budget when none is configured. */
export const DEFAULT_LATENCY_BUDGET_MS = 250;
/** The failure rate that counts as full pressure: 10 % of probes failing. */
export const FAILURE_RATE_BUDGET = 0.1;

/** One probe result, as the `probe` event reports it. */
export interface ProbeSample {
  at: number;
  ok: boolean;
  latencyMs: number;
}


export interface ServicePressureInput {
  service: string;
  /** Probe results; only those with `now - windowMs < at <= now` count. */
  probes: readonly ProbeSample[];
  now: number;
  /** Default `IPC_WINDOW_MS` (60 s). */
  windowMs?: number;
  /** Default `DEFAULT_LATENCY_BUDGET_MS` (250 ms); a value that is not > 0 falls back to it. */
  latencyBudgetMs?: number;
  /** Only for services that declare a backlog metric. */
  backlog?: BacklogReading;
}


/**
 * One service's pressure over the window. Failed probes count toward the failure rate only:
 * their latency (often the probe timeout, or an instant "connection refused") says nothing about
 * how fast the channel answers, so latency percentiles are over successful probes.
 */
export function servicePressure(input: ServicePressureInput): ServicePressure {
  const windowMs = input.windowMs ?? IPC_WINDOW_MS;
  const budget = input.latencyBudgetMs !== undefined && input.latencyBudgetMs > 0 ? input.latencyBudgetMs : DEFAULT_LATENCY_BUDGET_MS;
  const inWindow = input.probes.filter((p) => p.at > input.now - windowMs && p.at <= input.now);
  const failures = inWindow.filter((p) => !p.ok).length;
  const [p50, p95] = percentiles(
    inWindow.filter((p) => p.ok).map((p) => p.latencyMs),
    [50, 95],
  );
  const failureRate = inWindow.length ? failures / inWindow.length : undefined;
  const backlog = input.backlog && input.backlog.budget > 0 && Number.isFinite(input.backlog.value) ? input.backlog : undefined;

  const terms: Partial<Record<PressureTerm, number>> = {};
  if (failureRate !== undefined) terms.failures = failureRate / FAILURE_RATE_BUDGET;
  if (p95 !== undefined) terms.latency = p95 / budget;
  if (backlog) terms.backlog = Math.max(0, backlog.value) / backlog.budget;

  let dominant: PressureTerm | undefined;
  for (const term of ['failures', 'latency', 'backlog'] as const) {
    const v = terms[term];
    if (v !== undefined && (dominant === undefined || v > terms[dominant]!)) dominant = term;
  }
  const result: ServicePressure = {
    service: input.service,
    pressure: dominant && terms[dominant],
    dominant,
    terms,
    probes: inWindow.length,
    failures,
    failureRate,
    p50LatencyMs: p50,
    p95LatencyMs: p95,
    latencyBudgetMs: budget,
    backlog,
    detail: '',
  };
  result.detail = explain(result, windowMs);
  return result;
}

/** The stack's score from its services' pressures: the worst channel decides. */
export function ipcScore(pressures: readonly ServicePressure[]): IpcScore {
  let worst: ServicePressure | undefined;
  for (const p of pressures) if (p.pressure !== undefined && (worst === undefined || p.pressure > worst.pressure!)) worst = p;
  if (!worst) return { score: 0, worst: undefined, summary: 'IPC 0: no probe results' };
  const score = toScore(worst.pressure!);
  return { score, worst, summary: `IPC ${score}: ${worst.detail}` };
}

/** round(100 × min(1, pressure)), half up, immune to binary fractions such as 0.145 × 100 = 14.4999…. */
function toScore(pressure: number): number {
  const scaled = 100 * Math.min(1, Math.max(0, pressure));
  return Math.min(100, Math.round(Math.round(scaled * 1e6) / 1e6));
}

function explain(p: ServicePressure, windowMs: number): string {
  const cmp = (value: number, limit: number) => (value > limit ? '>' : value < limit ? '<' : '=');
  switch (p.dominant) {
    case 'latency':
      return `${p.service} p95 ${ms(p.p95LatencyMs!)} ${cmp(p.p95LatencyMs!, p.latencyBudgetMs)} budget ${ms(p.latencyBudgetMs)}`;
    case 'failures': {
      const pct = `${Math.round(p.failureRate! * 100)}%`;
      return `${p.service} ${p.failures} of ${p.probes} probes failed (${pct} ${cmp(p.failureRate!, FAILURE_RATE_BUDGET)} ${FAILURE_RATE_BUDGET * 100}%)`;
    }
    case 'backlog': {
      const b = p.backlog!;
      const unit = b.unit ? ` ${b.unit}` : '';
      return `${p.service} backlog ${b.value}${unit} ${cmp(b.value, b.budget)} budget ${b.budget}${unit}`;
    }
    default:
      return `${p.service}: no probe results in the last ${Math.round(windowMs / 1000)} s`;
  }
}

const ms = (v: number) => `${v >= 10 ? Math.round(v) : Math.round(v * 10) / 10} ms`;

// ---------------------------------------------------------------------------- levels


export interface IpcTransition {
  from: IpcLevel;
  to: IpcLevel;
  /** The score that caused the change. */
  score: number;
  /** True when the level went up (worse). */
  rising: boolean;
}

export interface IpcLevelTrackerOptions {
  thresholds?: IpcThresholds;
  /** Points below a level's threshold the score must fall to leave it; default 10. */
  hysteresis?: number;
  initial?: IpcLevel;
}

/**
 * Follows the score and reports level changes. A level is entered as soon as the score reaches
 * its threshold (score >= warn: warn; score >= critical: critical) and left only when the score
 * falls to `threshold - hysteresis` or below (clamped at 0: with warn 5, only a score of 0 leaves
 * warn). With warn 70 / critical 90 / hysteresis 10: ok → warn at 70, warn → ok at 60,
 * → critical at 90, critical → warn at 80 (or straight to ok at 60).
 */
export class IpcLevelTracker {
  private current: IpcLevel;
  private readonly thresholds: IpcThresholds;
  private readonly hysteresis: number;

  constructor(opts: IpcLevelTrackerOptions = {}) {
    this.thresholds = opts.thresholds ?? DEFAULT_IPC_THRESHOLDS;
    this.hysteresis = Math.max(0, opts.hysteresis ?? DEFAULT_IPC_HYSTERESIS);
    this.current = opts.initial ?? 'ok';
  }

  get level(): IpcLevel {
    return this.current;
  }

  /** Feed one score; returns the transition when the level changes, else undefined. */
  update(score: number, thresholds: IpcThresholds = this.thresholds): IpcTransition | undefined {
    const from = this.current;
    const to = levelFor(score, from, thresholds, this.hysteresis);
    if (to === from) return undefined;
    this.current = to;
    return { from, to, score, rising: IPC_LEVELS.indexOf(to) > IPC_LEVELS.indexOf(from) };
  }

  reset(level: IpcLevel = 'ok'): void {
    this.current = level;
  }
}

