/**
 * The engine's backup jobs on a timer: `backup.schedule` (a backup of the stack, then retention
 * when `backup.retention` is set), `backup.verify_schedule` (structure plus a data subset that
 * rotates: with `verify_subset: 1/7` each run reads the next seventh of the packs), and the RPO
 * watch (every `rpo_check_interval`, each service's newest good backup against its `rpo`; an
 * `rpo` event on every change between met and breached). Cron times come from croner; the
 * waiting goes through the engine's Clock, so tests drive schedules with a FakeClock.
 */
import { Cron } from 'croner';
import type { Clock, TimerHandle } from '../clock';
import type { LoadedStack } from '../config/load';
import { formatDuration } from '../duration';
import type { EventBus } from '../events';
import { shortId } from '../format';
import type { BackupHistory } from './history';
import type { BackupRequest, ForgetRequest, RpoServiceStatus, VerifyRequest } from '../contract/backups';
import type { BackupTrigger } from '../contract/events';

/** What the scheduled jobs run (the BackupManager): backups, retention, verification, the RPO status. */
export interface ScheduledWork {
  /** The stack as it is now: its `backup` settings and its services' RPOs. */
  readonly stack: LoadedStack;
  readonly history: BackupHistory;
  backup(req: BackupRequest, opts: { trigger: BackupTrigger }): Promise<{ snapshot: string }>;
  forget(req: ForgetRequest, trigger: BackupTrigger): Promise<unknown>;
  verify(req: VerifyRequest, opts: { trigger: BackupTrigger }): Promise<unknown>;
  rpoStatus(): Promise<RpoServiceStatus[]>;
}

type Job = 'backup' | 'verify';

export class BackupScheduler {
  private timers = new Map<Job | 'rpo', TimerHandle>();
  private nextAt = new Map<Job, number>();
  private rpoState = new Map<string, boolean>();
  private started = false;

  constructor(
    private readonly manager: ScheduledWork,
    private readonly bus: EventBus,
    private readonly clock: Clock,
  ) {}

  start(): void {
    if (this.started) return;
    this.started = true;
    const b = this.manager.stack.config.backup;
    if (b.schedule) this.arm('backup', b.schedule);
    if (b.verify_schedule) this.arm('verify', b.verify_schedule);
    if (this.manager.stack.services.some((s) => this.manager.stack.config.services[s]?.rpo !== undefined)) this.armRpo(0);
  }

  stop(): void {
    this.started = false;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    this.nextAt.clear();
  }

  /** ISO time of the next run of a job: the armed timer's, else what its cron says (for a one-shot engine's status). */
  next(job: Job): string | undefined {
    const at = this.nextAt.get(job);
    if (at !== undefined) return new Date(at).toISOString();
    const b = this.manager.stack.config.backup;
    const pattern = job === 'backup' ? b.schedule : b.verify_schedule;
    return pattern ? new Cron(pattern, { paused: true }).nextRun(new Date(this.clock.now()))?.toISOString() : undefined;
  }

  /** After any backup: look at the RPOs again at once (a breach may be over). */
  afterBackup(): void {
    if (this.started && this.timers.has('rpo')) void this.checkRpo();
  }

  private arm(job: Job, pattern: string): void {
    const cron = new Cron(pattern, { paused: true });
    const next = cron.nextRun(new Date(this.clock.now()));
    if (!next) return;
    const at = next.getTime();
    this.nextAt.set(job, at);
    this.timers.set(
      job,
      this.clock.setTimeout(() => {
        void this.run(job).finally(() => {
          if (this.started) this.arm(job, pattern);
        });
      }, at - this.clock.now()),
    );
  }

  private async run(job: Job): Promise<void> {
    const m = this.manager;
    const at = () => this.clock.now();
    if (job === 'backup') {
      try {
        const r = await m.backup({}, { trigger: 'schedule' });
        m.history.update((h) => (h.jobs.backup = { at: at(), ok: true, detail: `snapshot ${shortId(r.snapshot)}` }));
      } catch (e) {
        // The failure is a `backup` event already; remember it for `backups status`.
        m.history.update((h) => (h.jobs.backup = { at: at(), ok: false, detail: (e as Error).message }));
        return;
      }
      if (m.stack.config.backup.retention) await m.forget({}, 'schedule').catch(() => undefined);
      return;
    }
    const subset = m.stack.config.backup.verify_subset;
    let readData = subset;
    const parts = /^(\d+)\/(\d+)$/.exec(subset);
    if (parts) {
      // N/T in opsdeck.yaml is the size of each run's share: run k reads part (k mod T) + 1.
      const total = Number(parts[2]);
      const k = m.history.read().verifyRotation;
      readData = `${(k % total) + 1}/${total}`;
      m.history.update((h) => (h.verifyRotation = k + 1));
    }
    await m.verify({ readData }, { trigger: 'schedule' }).catch(() => undefined);
  }

  private armRpo(delay: number): void {
    this.timers.set(
      'rpo',
      this.clock.setTimeout(() => {
        void this.checkRpo().finally(() => {
          if (this.started) this.armRpo(this.manager.stack.config.backup.rpo_check_interval);
        });
      }, delay),
    );
  }

  /** Compare every service's newest good backup with its RPO; emit an event on each change. */
  async checkRpo(): Promise<void> {
    const statuses = await this.manager.rpoStatus();
    for (const s of statuses) {
      if (s.rpo === 'none') continue;
      const ok = s.rpo === 'ok';
      if (this.rpoState.get(s.service) === ok) continue;
      const first = !this.rpoState.has(s.service);
      this.rpoState.set(s.service, ok);
      if (first && ok) continue; // met from the start: nothing to say
      const rpo = formatDuration(s.rpoMs!);
      const detail = s.newest
        ? `newest good backup of ${s.service} is ${formatDuration(s.newest.ageMs)} old (snapshot ${shortId(s.newest.snapshot)}), RPO ${rpo}`
        : `${s.service} has no good backup at all, RPO ${rpo}`;
      this.bus.emit({
        type: 'rpo', at: this.clock.now(), service: s.service, ok, rpoMs: s.rpoMs!, detail,
        ...(s.newest ? { ageMs: s.newest.ageMs, snapshot: s.newest.snapshot } : {}),
      });
    }
  }
}
