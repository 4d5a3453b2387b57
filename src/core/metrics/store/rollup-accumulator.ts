/**
 * Rolls the engine's samples and events up into 1-minute rows, in memory, on the engine's thread
 * (cheap arithmetic; nothing here touches a file): CPU and RSS of each metrics sample, the IPC
 * score, every probe result (its latency into the minute's exact percentiles and histogram),
 * restarts, check results, and each service's time per state from its `state` events (wanted:
 * any state but stopped; up: a process runs; ready: ready or degraded). closeBefore() hands over
 * the minutes that have ended; events worth keeping one by one become marks.
 */
import { percentiles } from '../percentile';
import { addTo } from './latency-histogram';
import { emptyServiceRow, emptyStackRow, ipcBin, type ServiceRow, type StackRow } from './rows';
import type { EngineEvent, ServiceState } from '../../contract/events';
import type { StackMetrics } from '../../contract/metrics';
import type { MetricsMark } from '../../contract/metrics-store';

export const MINUTE_MS = 60_000;
const minuteOf = (at: number) => Math.floor(at / MINUTE_MS) * MINUTE_MS;

const UP_STATES: ReadonlySet<ServiceState> = new Set(['starting', 'ready', 'degraded', 'stopping']);
const READY_STATES: ReadonlySet<ServiceState> = new Set(['ready', 'degraded']);

interface Minute {
  services: Map<string, ServiceRow & { latencies: number[] }>;
  stack: StackRow;
}

export interface ClosedMinutes {
  services: ServiceRow[];
  stack: StackRow[];
}

export class RollupAccumulator {
  private readonly minutes = new Map<number, Minute>();
  /** Each service's state and since when it has been counted. */
  private readonly states = new Map<string, { state: ServiceState; since: number }>();

  constructor(now: number, states: readonly { name: string; state: ServiceState }[] = []) {
    for (const s of states) this.states.set(s.name, { state: s.state, since: now });
  }

  /** A metrics sample: CPU, RSS per service, the IPC score. */
  sample(m: StackMetrics): void {
    const minute = this.minute(m.at);
    for (const s of m.services) {
      const row = this.row(minute, m.at, s.service);
      row.samples++;
      if (s.cpuPercent !== undefined) {
        row.cpuSum += s.cpuPercent;
        row.cpuN++;
        row.cpuMax = Math.max(row.cpuMax ?? 0, s.cpuPercent);
      }
      if (s.rssMb !== undefined) {
        row.rssSum += s.rssMb;
        row.rssN++;
        row.rssMax = Math.max(row.rssMax ?? 0, s.rssMb);
      }
    }
    const k = minute.stack;
    k.samples++;
    k.ipcSum += m.ipc.score;
    k.ipcMax = Math.max(k.ipcMax ?? 0, m.ipc.score);
    k.bins[ipcBin(m.ipc.score)]!++;
  }

  /** An engine event: counted into its minute; returned as a mark when it is kept one by one. */
  event(e: EngineEvent): MetricsMark | undefined {
    switch (e.type) {
      case 'probe': {
        const row = this.row(this.minute(e.at), e.at, e.service);
        row.probes++;
        if (!e.ok) row.probeFailures++;
        else {
          row.latencies.push(e.latencyMs);
          addTo(row.hist, e.latencyMs);
        }
        return undefined;
      }
      case 'restart':
        this.row(this.minute(e.at), e.at, e.service).restarts++;
        return mark(e, 'restart', { cause: e.cause, detail: e.detail, attempt: e.attempt });
      case 'check': {
        const row = this.row(this.minute(e.at), e.at, e.service);
        if (e.ok) row.checksOk++;
        else row.checksFailed++;
        return e.ok ? undefined : mark(e, 'check', { ok: false, durationMs: e.durationMs, output: e.output.slice(0, 500) });
      }
      case 'state':
        this.credit(e.service, e.at);
        this.states.set(e.service, { state: e.to, since: e.at });
        return mark(e, 'state', { from: e.from, to: e.to, reason: e.reason.slice(0, 300) });
      case 'backup':
        if (e.phase === 'started') return undefined;
        return mark(e, 'backup', {
          phase: e.phase, trigger: e.trigger, services: e.services, snapshot: e.snapshot ?? null, durationMs: e.durationMs ?? null,
          bytesAdded: e.bytesAdded ?? null, files: e.files ?? null, error: e.error ?? null,
        });
      case 'verify':
        return mark(e, 'verify', { ok: e.ok, trigger: e.trigger, readData: e.readData, errors: e.errors, durationMs: e.durationMs, error: e.error ?? null });
      case 'drill':
        if (e.phase === 'started') return undefined;
        return mark(e, 'drill', { phase: e.phase, snapshot: e.snapshot, services: e.services, recoveryMs: e.recoveryMs ?? null, rtoMs: e.rtoMs ?? null, withinRto: e.withinRto ?? null, error: e.error ?? null });
      case 'restore':
        if (e.phase === 'started') return undefined;
        return mark(e, 'restore', { phase: e.phase, snapshot: e.snapshot, recoveryMs: e.recoveryMs ?? null, rtoMs: e.rtoMs ?? null, withinRto: e.withinRto ?? null });
      case 'rpo':
        return mark(e, 'rpo', { ok: e.ok, rpoMs: e.rpoMs, ageMs: e.ageMs ?? null, detail: e.detail });
      case 'maintenance':
        return mark(e, 'maintenance', {
          task: e.task, kind: e.kind, ok: e.ok, trigger: e.trigger, summary: e.summary.slice(0, 300), durationMs: e.durationMs,
          reclaimedBytes: e.reclaimedBytes ?? null, error: e.error?.slice(0, 300) ?? null,
        });
      default:
        return undefined;
    }
  }

  /** Hand over every minute that ended at or before `now` (its state time counted up to its end). */
  closeBefore(now: number): ClosedMinutes {
    const current = minuteOf(now);
    for (const name of this.states.keys()) this.credit(name, current);
    const out: ClosedMinutes = { services: [], stack: [] };
    for (const [at, m] of [...this.minutes].sort((a, b) => a[0] - b[0])) {
      if (at >= current) continue;
      this.minutes.delete(at);
      for (const { latencies, ...row } of m.services.values()) {
        const [p50, p95] = percentiles(latencies, [50, 95]);
        out.services.push({ ...row, p50: p50 ?? null, p95: p95 ?? null, latMax: latencies.length ? Math.max(...latencies) : null, activeSec: round3(row.activeSec), upSec: round3(row.upSec), readySec: round3(row.readySec) });
      }
      if (m.stack.samples) out.stack.push(m.stack);
    }
    return out;
  }

  /** Count a service's time in its current state from when it was last counted up to `until`, minute by minute. */
  private credit(service: string, until: number): void {
    const s = this.states.get(service);
    if (!s || until <= s.since) return;
    if (s.state !== 'stopped') {
      for (let from = s.since; from < until; ) {
        const end = Math.min(until, minuteOf(from) + MINUTE_MS);
        const row = this.row(this.minute(from), from, service);
        const sec = (end - from) / 1000;
        row.activeSec += sec;
        if (UP_STATES.has(s.state)) row.upSec += sec;
        if (READY_STATES.has(s.state)) row.readySec += sec;
        from = end;
      }
    }
    s.since = until;
  }

  private minute(at: number): Minute {
    const start = minuteOf(at);
    let m = this.minutes.get(start);
    if (!m) this.minutes.set(start, (m = { services: new Map(), stack: emptyStackRow(start) }));
    return m;
  }

  private row(m: Minute, at: number, service: string): ServiceRow & { latencies: number[] } {
    let row = m.services.get(service);
    if (!row) m.services.set(service, (row = { ...emptyServiceRow(minuteOf(at), service), latencies: [] }));
    return row;
  }
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

function mark(e: EngineEvent, kind: MetricsMark['kind'], data: MetricsMark['data']): MetricsMark {
  return { at: e.at, kind, service: e.service, data };
}
