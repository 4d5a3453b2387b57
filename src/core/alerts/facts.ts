/**
 * What the alert rules look at: per service (state, restarts, probes, check, resources, RPO) and
 * for the stack (IPC score, last backup and verification, disk space, an engine restart). Kept
 * up to date from the engine's events, and from a sample of the engine (its services' states and
 * metrics, the disk) at each evaluation when the engine gives one.
 */
import type { EngineEvent, ServiceState } from '../contract/events';

export interface ServiceFacts {
  state?: ServiceState;
  /** Why it is in that state (the state event's reason). */
  stateDetail?: string;
  /** The engine means it to run (started and not stopped on request). */
  shouldRun: boolean;
  /** When the engine restarted it (kept for the longest crash-loop window). */
  restarts: number[];
  /** A probe failing past its threshold: what it says. */
  probeFailing?: string;
  latencyMs?: number;
  checkFailing?: string;
  cpuPercent?: number;
  rssMb?: number;
  probeFailureRate?: number;
  rpoBreach?: string;
}

export interface StackFacts {
  ipc?: { score: number; summary: string };
  backupFailed?: string;
  verifyFailed?: string;
  diskFreePercent?: number;
  engineRestart?: { at: number; detail: string };
}

/** A sample of the running engine, taken at each evaluation. */
export interface EngineSample {
  services?: { name: string; state: ServiceState; active: boolean }[];
  metrics?: { services: { service: string; cpuPercent?: number | undefined; rssMb?: number | undefined; probeFailureRate?: number | undefined }[]; ipc?: { score: number; summary: string } };
  diskFreePercent?: number;
}

const RESTARTS_KEPT_MS = 7 * 24 * 3600_000;

export class AlertFacts {
  readonly services = new Map<string, ServiceFacts>();
  readonly stack: StackFacts = {};

  service(name: string): ServiceFacts {
    let s = this.services.get(name);
    if (!s) this.services.set(name, (s = { shouldRun: false, restarts: [] }));
    return s;
  }

  /** Take in one event; true when it may change what a rule says. */
  observe(e: EngineEvent): boolean {
    switch (e.type) {
      case 'state': {
        const s = this.service(e.service);
        s.state = e.to;
        s.stateDetail = e.reason;
        if (e.to === 'stopped' || e.to === 'stopping') s.shouldRun = false;
        else s.shouldRun = true;
        if (e.to === 'ready') s.probeFailing = undefined;
        return true;
      }
      case 'restart': {
        const s = this.service(e.service);
        s.restarts.push(e.at);
        const oldest = e.at - RESTARTS_KEPT_MS;
        while (s.restarts.length && s.restarts[0]! < oldest) s.restarts.shift();
        return true;
      }
      case 'gave-up': {
        const s = this.service(e.service);
        s.state = 'failed';
        s.stateDetail = `gave up after ${e.restarts} restarts`;
        return true;
      }
      case 'probe': {
        // Probes are frequent: only a change of failing / not failing asks for an evaluation now.
        const s = this.service(e.service);
        const was = s.probeFailing !== undefined;
        if (e.ok) {
          s.latencyMs = e.latencyMs;
          s.probeFailing = undefined;
        } else if (e.failures >= e.threshold) s.probeFailing = `${e.probe} probe failing (${e.failures}/${e.threshold})${e.error ? `: ${e.error}` : ''}`;
        return was !== (s.probeFailing !== undefined);
      }
      case 'check': {
        this.service(e.service).checkFailing = e.ok ? undefined : e.output.trim().split('\n').at(-1) || 'check failed';
        return true;
      }
      case 'ipc':
        this.stack.ipc = { score: e.score, summary: e.summary };
        return true;
      case 'rpo':
        this.service(e.service).rpoBreach = e.ok ? undefined : e.detail;
        return true;
      case 'backup':
        if (e.phase === 'failed') this.stack.backupFailed = e.error ?? 'the backup failed';
        else if (e.phase === 'completed') this.stack.backupFailed = undefined;
        return e.phase !== 'started';
      case 'verify':
        this.stack.verifyFailed = e.ok ? undefined : (e.error ?? `${e.errors} errors${e.damagedSnapshots.length ? `, damaged snapshots ${e.damagedSnapshots.join(', ')}` : ''}`);
        return true;
      default:
        return false;
    }
  }

  /** Take in a sample of the engine: it overrides what the events said of states and resources. */
  sample(s: EngineSample): void {
    for (const svc of s.services ?? []) {
      const f = this.service(svc.name);
      f.state = svc.state;
      f.shouldRun = svc.active;
    }
    for (const m of s.metrics?.services ?? []) {
      const f = this.service(m.service);
      f.cpuPercent = m.cpuPercent;
      f.rssMb = m.rssMb;
      f.probeFailureRate = m.probeFailureRate;
    }
    if (s.metrics?.ipc) this.stack.ipc = s.metrics.ipc;
    if (s.diskFreePercent !== undefined) this.stack.diskFreePercent = s.diskFreePercent;
  }
}

/** The event types the facts take in (the alerts subscribe to these only, never to log lines). */
export const FACT_EVENTS = ['state', 'restart', 'gave-up', 'probe', 'check', 'ipc', 'rpo', 'backup', 'verify'] as const;
