/**
 * What the engine says about its services and what it did: the status of each service and of the
 * stack, a plan of steps, the profiles. The wire shapes of GET /v1/status, the plan routes and
 * GET /v1/profiles; the API's zod schemas (contract/schemas) describe the same. Part of the contract.
 */
import type { HealthLevel, StackHealth } from './health';
import type { ServiceState, ProbeRole, RestartCause } from './events';

/** How a service's process ended. */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
  /** Set when the process could not be started at all (e.g. ENOENT). */
  error?: string;
}

/** One probe run. */
export interface ProbeResult {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

/** One run of a full-functionality check. */
export interface CheckResult {
  ok: boolean;
  durationMs: number;
  output: string;
}

/** What the supervisor knows of one service. */
export interface ServiceSnapshot {
  name: string;
  state: ServiceState;
  reason: string;
  since: number;
  pid: number | undefined;
  /** Restarts made by the engine since the service was last started on request. */
  restarts: number;
  /** The backoff attempt counter (reset after `reset_after` of healthy running). */
  attempt: number;
  startedAt: number | undefined;
  completed: boolean;
  lastExit: ExitInfo | undefined;
  lastProbe: Partial<Record<ProbeRole, ProbeResult>>;
  lastCheck: CheckResult | undefined;
  rssMb: number | undefined;
}

export interface ServiceStatus extends ServiceSnapshot {
  tier: string;
  inProfile: boolean;
  health: HealthLevel;
  /** Where the service answers, from its config's http or tcp probe (`http://127.0.0.1:7101`, `127.0.0.1:5432`). */
  endpoint?: string;
  /** The engine's last restart of the service (this engine's lifetime), and why. */
  lastRestart?: { at: number; cause: RestartCause; detail: string };
}

export interface EngineStatus {
  stack: string;
  dir: string;
  profile: string | undefined;
  services: ServiceStatus[];
  health: StackHealth;
  ipc: { score: number; level: 'ok' | 'warn' | 'critical'; summary: string };
  engine: { pid: number; startedAt: number };
}

export interface PlanStep {
  action: 'stop' | 'restart' | 'start';
  service: string;
  /** Steps of the same action and wave run concurrently; waves run in order. */
  wave: number;
  reason: string;
}

/** Result of a command that changes state: what it did (or, with dryRun, would do). */
export interface PlanResult {
  dryRun: boolean;
  plan: PlanStep[];
}

export interface ProfilesInfo {
  active: string | undefined;
  profiles: { name: string; services: string[]; description?: string }[];
}

