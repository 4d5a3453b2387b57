/**
 * The engine's events, as every consumer sees them (the bus, the API's event stream, memory,
 * notifications): one discriminated union on `type`. Part of the contract (src/core/contract).
 */
export const SERVICE_STATES = ['stopped', 'starting', 'ready', 'degraded', 'backoff', 'stopping', 'failed'] as const;
export type ServiceState = (typeof SERVICE_STATES)[number];
export type ProbeRole = 'readiness' | 'liveness';
export type IpcLevelName = 'ok' | 'warn' | 'critical';
export const RESTART_CAUSES = ['crash', 'exit', 'hang', 'memory limit', 'spawn failed'] as const;
export type RestartCause = (typeof RESTART_CAUSES)[number];
/** What started a backup job: a person or script, the engine's schedule, or a restore (its safety snapshot). */
export type BackupTrigger = 'manual' | 'schedule' | 'safety';
export type BackupPhase = 'started' | 'completed' | 'failed';
export const ALERT_PHASES = ['firing', 'escalated', 'repeated', 'acked', 'resolved'] as const;
export type AlertPhase = (typeof ALERT_PHASES)[number];

interface Base {
  at: number;
  service: string;
}

export type EngineEvent =
  | (Base & { type: 'state'; from: ServiceState; to: ServiceState; reason: string })
  | (Base & { type: 'spawn'; pid: number; command: string[] })
  | (Base & { type: 'exit'; pid: number | undefined; code: number | null; signal: string | null; expected: boolean; error?: string })
  | (Base & { type: 'probe'; probe: ProbeRole; ok: boolean; latencyMs: number; error?: string; failures: number; threshold: number })
  | (Base & { type: 'restart'; attempt: number; delayMs: number; cause: RestartCause; detail: string })
  | (Base & { type: 'retry-reset'; after: number })
  | (Base & { type: 'gave-up'; restarts: number; windowMs: number })
  /** At start-up: a process of the service left running by an engine that died was stopped (src/core/supervisor/leftovers.ts). */
  | (Base & { type: 'leftover'; pid: number; enginePid: number; processes: number[]; outcome: 'stopped' | 'killed' })
  | (Base & { type: 'limit'; limit: 'memory'; valueMb: number; maxMb: number })
  | (Base & { type: 'check'; ok: boolean; durationMs: number; output: string })
  | (Base & { type: 'log'; stream: 'stdout' | 'stderr'; line: string })
  /** The stack's IPC level crossed a threshold; `service` is the worst channel (or `stack`). */
  | (Base & { type: 'ipc'; from: IpcLevelName; to: IpcLevelName; score: number; summary: string })
  // Backups (src/core/backup). `service` is the one service concerned, or `stack` for several.
  /** A backup run: started, then completed (with its snapshot and what it added) or failed. */
  | (Base & {
      type: 'backup';
      phase: BackupPhase;
      trigger: BackupTrigger;
      services: string[];
      tags: string[];
      snapshot?: string;
      files?: number;
      filesNew?: number;
      filesChanged?: number;
      filesUnchanged?: number;
      bytesAdded?: number;
      durationMs?: number;
      error?: string;
    })
  /** A restore: started, completed (with the measured recovery time against the RTO), failed, or failed and rolled back. */
  | (Base & {
      type: 'restore';
      phase: BackupPhase | 'rolled-back';
      snapshot: string;
      mode: 'in-place' | 'target';
      services: string[];
      recoveryMs?: number;
      rtoMs?: number;
      withinRto?: boolean;
      safetySnapshot?: string;
      error?: string;
    })
  /** A recovery drill: restore into a sandbox, start there, run the checks, stop. */
  | (Base & { type: 'drill'; phase: BackupPhase; snapshot: string; services: string[]; recoveryMs?: number; rtoMs?: number; withinRto?: boolean; error?: string })
  /** The newest good backup of a service became older than its RPO (ok: false), or is recent again (ok: true). */
  | (Base & { type: 'rpo'; ok: boolean; rpoMs: number; ageMs?: number; snapshot?: string; detail: string })
  /** A verification of the backup repository finished. */
  | (Base & { type: 'verify'; ok: boolean; trigger: BackupTrigger; readData: boolean; subset?: string; errors: number; warnings: number; damagedSnapshots: string[]; durationMs: number; error?: string })
  /** Retention applied (forget, then prune when asked). */
  | (Base & { type: 'retention'; ok: boolean; trigger: BackupTrigger; kept: number; forgotten: string[]; bytesFreed?: number; error?: string })
  /** A maintenance task ran (src/core/maintenance): what it did, what it gave back, how long it took. */
  | (Base & { type: 'maintenance'; task: string; kind: string; ok: boolean; trigger: 'manual' | 'schedule'; summary: string; durationMs: number; reclaimedBytes?: number; error?: string })
  /** `opsdeck cleanup` removed files of the stack's own folders. */
  | (Base & { type: 'cleanup'; files: number; bytes: number; kinds: string[] })
  /** An incident of the alerts (src/core/alerts): opened and sent (firing), escalated, repeated, acknowledged, resolved. */
  | (Base & { type: 'alert'; phase: AlertPhase; incident: string; severity: 'info' | 'warning' | 'critical'; level: number; summary: string; rules: string[]; channels: string[] })
  /** An operations report was written into .opsdeck/reports/ (src/core/report); `service` is `stack`. */
  | (Base & { type: 'report'; trigger: 'manual' | 'schedule'; period: string; since: number; until: number; files: string[] });

export type EventType = EngineEvent['type'];
export type EventOf<T extends EventType> = Extract<EngineEvent, { type: T }>;
export interface Disposable {
  dispose(): void;
}
