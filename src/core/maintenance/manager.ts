/**
 * The engine's maintenance (docs/maintenance.md): the stack's tasks (catalog.ts), a run of some
 * of them (select.ts, runner.ts; one run at a time), cleanup (cleanup.ts) and the daily schedule
 * (schedule.ts, started by the owner). It follows the engine's backup, restore and drill events
 * so that cleanup leaves the folders of one in progress alone.
 */
import type { CleanupRequest, CleanupResult, MaintenanceProgress, MaintenanceRequest, MaintenanceRunResult, MaintenanceService, MaintenanceTaskInfo } from '../contract/maintenance';
import type { Progress } from '../contract/backups';
import type { EngineEvent } from '../contract/events';
import { OpsError } from '../errors';
import { maintenanceTasks } from './catalog';
import { cleanup } from './cleanup';
import type { MaintenanceHost } from './host';
import { runTasks } from './runner';
import { MaintenanceScheduler } from './schedule';
import { dailyTasks, selectTasks } from './select';
import type { MaintenanceTask, TaskContext } from './task';

const info = ({ id, service, kind, title, requiresStop, daily }: MaintenanceTask): MaintenanceTaskInfo => ({ id, service, kind, title, requiresStop, daily });

export class MaintenanceManager implements MaintenanceService {
  private running = false;
  private readonly inProgress = { backup: 0, restore: 0, drill: 0 };
  private readonly scheduler: MaintenanceScheduler;
  private readonly sub;

  constructor(private readonly host: MaintenanceHost) {
    this.scheduler = new MaintenanceScheduler(() => host.stack().config.maintenance.schedule, host.clock, () => this.runDaily());
    this.sub = host.bus.onAny((e) => this.follow(e));
  }

  async tasks(filter?: Pick<MaintenanceRequest, 'tasks' | 'service' | 'preset'>): Promise<MaintenanceTaskInfo[]> {
    const stack = this.host.stack();
    const all = maintenanceTasks(stack);
    return (filter?.tasks?.length || filter?.service !== undefined || filter?.preset !== undefined ? selectTasks(stack, all, filter) : all).map(info);
  }

  async run(req: MaintenanceRequest, opts: Progress<MaintenanceProgress> & { signal?: AbortSignal } = {}): Promise<MaintenanceRunResult> {
    const stack = this.host.stack();
    const picked = selectTasks(stack, maintenanceTasks(stack), req);
    return this.exclusive(() => runTasks(picked, this.context(opts.signal), { dryRun: !!req.dryRun, trigger: 'manual', bus: this.host.bus, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) }));
  }

  async cleanup(req: CleanupRequest): Promise<CleanupResult> {
    const busy = { backup: this.inProgress.backup > 0, restore: this.inProgress.restore > 0, drill: this.inProgress.drill > 0 };
    return cleanup(
      {
        stack: this.host.stack(),
        bus: this.host.bus,
        scan: { now: this.host.clock.now(), busy, active: this.host.control.active() },
        snapshots: () => this.host.backups.list().then((l) => l.snapshots, () => []),
        forget: (ids) => this.host.forgetSnapshots(ids),
      },
      req,
    );
  }

  /** The daily set, as the schedule runs it. */
  runDaily(): Promise<MaintenanceRunResult> {
    const stack = this.host.stack();
    const picked = dailyTasks(stack, maintenanceTasks(stack));
    return this.exclusive(() => runTasks(picked, this.context(), { dryRun: false, trigger: 'schedule', bus: this.host.bus }));
  }

  /** The schedule (the owner starts it). */
  start(): void {
    this.scheduler.start();
  }

  nextRun(): string | undefined {
    return this.scheduler.next();
  }

  dispose(): void {
    this.scheduler.stop();
    this.sub.dispose();
  }

  private context(signal?: AbortSignal): TaskContext {
    const h = this.host;
    return { stack: h.stack(), control: h.control, clock: h.clock, backups: h.backups, memory: h.memory(), metrics: h.metrics?.(), ...(signal ? { signal } : {}) };
  }

  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running) throw new OpsError('BAD_REQUEST', 'maintenance is already running on this stack', 'wait for it to finish (`opsdeck memory search maintenance` shows what ran)');
    this.running = true;
    try {
      return await fn();
    } finally {
      this.running = false;
    }
  }

  private follow(e: EngineEvent): void {
    if (e.type !== 'backup' && e.type !== 'restore' && e.type !== 'drill') return;
    const delta = e.phase === 'started' ? 1 : -1;
    this.inProgress[e.type] = Math.max(0, this.inProgress[e.type] + delta);
  }
}
