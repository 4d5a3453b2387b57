/**
 * The task model of maintenance: what every task is (its id, service, kind, whether it needs its
 * service stopped), what it is given to work with (TaskContext: the stack, the engine's service
 * control, Opsdeck's own data), how it says what it would do (a dry run's plan with the figures
 * before) and how it runs (named steps, each recorded with its outcome and duration, reported as
 * progress as it starts). The runner (runner.ts) times the task and records it as an event.
 */
import type { Clock } from '../clock';
import type { LoadedStack } from '../config/load';
import type { ServiceControl } from '../backup/host';
import type { BackupService } from '../contract/backups';
import type { MaintenanceStep, MaintenanceTaskInfo } from '../contract/maintenance';

/** Opsdeck's memory index, as the engine that records it offers its upkeep. */
export interface MemoryUpkeep {
  /** Take the journal into memory.db: segments and bytes taken in. */
  compactJournal(): Promise<{ segments: number; rows: number }>;
  /** Merge the full-text index (rebuild: build it again from the rows), give free pages back. */
  optimize(rebuild: boolean): Promise<{ bytesBefore: number; bytesAfter: number; rows: number }>;
}

/** The figures of the long-term metrics store (metrics.db). */
export interface MetricsStoreFigures {
  bytes: number;
  minuteRows: number;
  hourRows: number;
  marks: number;
}

/** Opsdeck's long-term metrics store, as the process that owns it offers its upkeep (through its worker, or in-process under the stack lock). */
export interface MetricsUpkeep {
  /** Take the journal in, apply retention, VACUUM and PRAGMA optimize: the figures before and after. */
  compact(): Promise<{ before: MetricsStoreFigures; after: MetricsStoreFigures }>;
}

export interface TaskContext {
  stack: LoadedStack;
  /** The engine's services (stop, start in dependency order, wait until ready, check). */
  control: ServiceControl;
  clock: Clock;
  backups: BackupService;
  /** Undefined when this engine keeps no memory. */
  memory: MemoryUpkeep | undefined;
  /** Undefined when this process does not own the stack's metrics store. */
  metrics?: MetricsUpkeep | undefined;
  signal?: AbortSignal;
}

/** What a task would do, and the figures it starts from. */
export interface TaskPlan {
  plan: string[];
  before: Record<string, number>;
  reclaimedBytes?: number;
  /** Set when there is nothing to do, or it cannot run now: the task is then not run. */
  skipped?: string;
}

/** What a run ends with. */
export interface TaskOutcome {
  after: Record<string, number>;
  reclaimedBytes?: number;
  /** One line for the event and memory: what it did. */
  summary: string;
}

/** Runs the steps of one task: each is recorded (ok or not, its detail, its duration) and reported as it starts. */
export interface Steps {
  run(name: string, fn: () => Promise<string> | string): Promise<string>;
  readonly recorded: MaintenanceStep[];
}

export interface MaintenanceTask extends MaintenanceTaskInfo {
  /** The names of its steps, in order (the progress total). */
  steps: string[];
  plan(ctx: TaskContext): Promise<TaskPlan>;
  run(ctx: TaskContext, steps: Steps, plan: TaskPlan): Promise<TaskOutcome>;
}

/** Steps reported to `onStep(name, done)` as each starts, measured with `clock`. */
export function stepRecorder(clock: Clock, onStep: (name: string, done: number) => void): Steps {
  const recorded: MaintenanceStep[] = [];
  return {
    recorded,
    async run(name, fn) {
      onStep(name, recorded.length);
      const t0 = clock.now();
      try {
        const detail = await fn();
        recorded.push({ name, ok: true, detail, durationMs: clock.now() - t0 });
        return detail;
      } catch (e) {
        recorded.push({ name, ok: false, detail: (e as Error).message, durationMs: clock.now() - t0 });
        throw e;
      }
    },
  };
}

/** The plan of a task that does not run: nothing to do, or not possible now (`reason` says which). */
export const skippedPlan = (reason: string): TaskPlan => ({ plan: [], before: {}, skipped: reason });
