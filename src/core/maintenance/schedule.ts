/**
 * The engine's daily maintenance on a timer: `maintenance.schedule` (a cron expression, read by
 * croner as the backup schedules are) runs the daily set (select.ts) with trigger `schedule`. The
 * waiting goes through the engine's Clock, so tests drive it with a FakeClock.
 */
import { Cron } from 'croner';
import type { Clock, TimerHandle } from '../clock';

export class MaintenanceScheduler {
  private timer: TimerHandle | undefined;
  private started = false;

  constructor(
    private readonly pattern: () => string | undefined,
    private readonly clock: Clock,
    private readonly runDaily: () => Promise<unknown>,
  ) {}

  start(): void {
    if (this.started) return;
    this.started = true;
    this.arm();
  }

  stop(): void {
    this.started = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** ISO time of the next run, if scheduled. */
  next(): string | undefined {
    const p = this.pattern();
    return p ? new Cron(p, { paused: true }).nextRun(new Date(this.clock.now()))?.toISOString() : undefined;
  }

  private arm(): void {
    const p = this.pattern();
    if (!p) return;
    const next = new Cron(p, { paused: true }).nextRun(new Date(this.clock.now()));
    if (!next) return;
    this.timer = this.clock.setTimeout(() => {
      void this.runDaily()
        .catch(() => undefined)
        .finally(() => {
          if (this.started) this.arm();
        });
    }, next.getTime() - this.clock.now());
  }
}
