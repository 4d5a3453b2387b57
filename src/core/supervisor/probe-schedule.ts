/**
 * When a service's health probes run: the timing of a probe (its configuration over the
 * defaults), the delay to the first probe after a spawn, the fast readiness retries of the
 * start-up, the grid that later probes fall on, spread over the services by name, and whether a
 * probe's connection is worth keeping for the next one. Times only: the ServiceRunner sets its
 * probes' slots in the stack's ProbeTicker to them and acts on the results.
 */
import type { Clock } from '../clock';
import { PROBE_DEFAULTS, type ProbeConfig } from '../config/schema';
import type { ProbeRole } from '../contract/events';

const FAST_READINESS_PHASE_MS = 5000;
const FAST_READINESS_RETRY_MS = 25;
/** An http probe keeps its connection for the next one when that comes sooner than this. */
const KEEP_CONNECTION_BELOW_MS = 2000;
/** How far after the times of their grid the services' probes are spread (see ProbeSchedule.offset). */
const PROBE_SPREAD_MS = 100;
/**
 * In how many steps: the probes of services on the same step run from one wakeup of the engine
 * (ProbeTicker), 10 ms apart from the next step's.
 */
const PROBE_SPREAD_STEPS = 10;

export interface ProbeTiming {
  interval: number;
  timeout: number;
  /** Failures in a row that count (liveness: a hang; readiness: degraded). */
  threshold: number;
  startPeriod: number;
}

/** A probe's timing: its own settings, else the defaults of its role. */
export function probeTiming(role: ProbeRole, p: ProbeConfig): ProbeTiming {
  const d = PROBE_DEFAULTS[role];
  return {
    interval: p.interval ?? d.interval,
    timeout: p.timeout ?? d.timeout,
    threshold: p.failure_threshold ?? d.failure_threshold,
    startPeriod: p.start_period ?? d.start_period,
  };
}

/** The probe times of one service (named `name`) on the engine's clock. */
export class ProbeSchedule {
  /** In [0, 1), from the name: where this service's probes fall in their spreading window. */
  private readonly spread: number;

  constructor(
    name: string,
    private readonly clock: Pick<Clock, 'now'>,
  ) {
    this.spread = nameFraction(name);
  }

  /**
   * When (on the engine's clock) the first probe of `role` after a spawn (now) runs: readiness
   * within the 25 ms of a start-up retry, so as not to delay readiness; liveness after its start
   * period, on its grid.
   */
  firstAt(role: ProbeRole, t: ProbeTiming): number {
    const now = this.clock.now();
    if (role === 'readiness') return now + Math.floor(this.spread * Math.min(FAST_READINESS_RETRY_MS, t.interval));
    return now + t.startPeriod + this.offset('liveness', t.interval);
  }

  /**
   * When the next probe of `role` runs after one has ended (now): a start-up retry while
   * `startingUpSince` (the spawn time) is given, i.e. while readiness has not passed yet; else
   * the next time of the grid.
   */
  nextAt(role: ProbeRole, interval: number, startingUpSince?: number): number {
    return this.clock.now() + (startingUpSince !== undefined ? this.startupDelay(interval, startingUpSince) : this.gridDelay(role, interval));
  }

  /**
   * Whether the request the service's other probe made at `askedAt` answers a probe of the
   * same check due now: when it was made within the spreading window (the two roles of a
   * service fall half that window apart, so a liveness probe due every 10 s comes ~50 ms after
   * every second readiness probe, or before it). Then one request answers both.
   */
  answerStands(askedAt: number): boolean {
    return this.clock.now() - askedAt <= PROBE_SPREAD_MS;
  }

  /**
   * Whether a probe about to run should keep its connection: only for a probe that comes again
   * soon, the start-up retries (`startingUpSince` as for next()).
   */
  keepConnection(interval: number, startingUpSince?: number): boolean {
    const nextIn = startingUpSince !== undefined ? this.startupDelay(interval, startingUpSince) : interval;
    return nextIn < KEEP_CONNECTION_BELOW_MS;
  }

  /**
   * Where this service's probes of a role fall after the times of their grid: one of the
   * PROBE_SPREAD_STEPS steps of the first PROBE_SPREAD_MS (never more than the interval), given
   * by the service's name, liveness half that window away from readiness. The services of a
   * stack started together so do not all probe at once (a tenth of them per step), nor a
   * service's two probes at once, and the engine wakes once per step, not once per probe.
   */
  private offset(role: ProbeRole, interval: number): number {
    const at = role === 'readiness' ? this.spread : (this.spread + 0.5) % 1;
    return Math.floor((Math.floor(at * PROBE_SPREAD_STEPS) * Math.min(PROBE_SPREAD_MS, interval)) / PROBE_SPREAD_STEPS);
  }

  /**
   * The delay to a running service's next probe: the first time k × interval + offset on
   * the engine's clock at least half an interval from now. The probes of a service so come every
   * interval without drifting, and the services with the same interval probe within the same
   * PROBE_SPREAD_MS, on its PROBE_SPREAD_STEPS steps: the engine wakes up a few times for all of
   * them rather than once for each at scattered times, and the services are not all asked at
   * once (which would make them answer slowly, to the IPC score).
   */
  private gridDelay(role: ProbeRole, interval: number): number {
    const now = this.clock.now();
    const offset = this.offset(role, interval);
    const next = Math.ceil((now + interval / 2 - offset) / interval) * interval + offset;
    return next - now;
  }

  /**
   * Until the first success, readiness is retried every 25 ms (or the interval, if shorter)
   * for the first 5 s after the spawn, so a restarted service is seen ready within ~25 ms of
   * really being ready; after that at the configured interval. A refused connection costs
   * well under a millisecond, so the fast phase stays cheap (see bench/restart-overhead.ts).
   */
  private startupDelay(interval: number, spawnedAt: number): number {
    const sinceSpawn = this.clock.now() - spawnedAt;
    return sinceSpawn < FAST_READINESS_PHASE_MS ? Math.min(interval, FAST_READINESS_RETRY_MS) : interval;
  }
}

/**
 * A number in [0, 1) from a name: the same for the same name, evenly spread over names, also over
 * names that differ in one character (`s01`, `s02`, …): FNV-1a, then MurmurHash3's final mix,
 * without which the top bits of such names' hashes bunch together.
 */
function nameFraction(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}
