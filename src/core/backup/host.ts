/**
 * What backup orchestration needs from the engine that owns the stack, and nothing more: the
 * stack as it is now, the event bus, the clock, its services (stop, start in dependency order,
 * wait until ready, check) and, for drills, a separate engine running a sandbox copy of the
 * stack. The Engine provides it (src/core/service-control.ts adapts its supervisor); nothing in
 * src/core/backup imports the engine.
 */
import type { Clock } from '../clock';
import type { LoadedStack } from '../config/load';
import type { EventBus } from '../events';

/** How restores and drills stop, start and check services: the engine's supervisor. */
export interface ServiceControl {
  /** Services with a process alive or on its way. */
  active(): string[];
  stop(services: string[]): Promise<void>;
  /** Start them and what they depend on, in dependency order. */
  start(services: string[]): void;
  /** Resolve when ready (or completed); reject when it fails or the time is up. */
  waitReady(service: string, timeoutMs: number): Promise<void>;
  /** Ready now (or completed): still running after the checks, not crashed meanwhile. */
  isReady(service: string): boolean;
  /** Run the service's full-functionality check (or report readiness when it has none). */
  check(service: string): Promise<{ ok: boolean; output: string; durationMs: number }>;
}

/** A separate engine running a sandbox copy of the stack (a drill's): its services, then its end. */
export interface SandboxEngine extends ServiceControl {
  /** Stop its services and release it. */
  dispose(): Promise<void>;
}

export interface BackupHost {
  /** The stack as the engine sees it now (its active profile). */
  stack(): LoadedStack;
  bus: EventBus;
  clock: Clock;
  /** The engine's own services. */
  control: ServiceControl;
  /** A separate engine for `stack` (a drill's sandbox copy), started by nobody yet. */
  sandbox(stack: LoadedStack): SandboxEngine;
}
