/**
 * One deploy, update, rollback or recovery in progress: its ledger entry, written (atomically)
 * each time the stage changes or a migration step starts or ends, its progress lines and the time
 * of each stage. A test (or an operator) may pause it at a stage to kill it there:
 * OPSDECK_RELEASE_PAUSE_AT=<stage> (install, migrate, switch, health).
 */
import type { Ledger, LedgerEntry, ReleaseProgress, ReleaseStage } from '../contract/releases';
import { writeLedger } from './ledger';

export const PAUSE_ENV = 'OPSDECK_RELEASE_PAUSE_AT';

export class ReleaseRun {
  private stageStart: number;

  /** `startedAt`: when the checks began (before the entry existed), the start of the `check` stage. */
  constructor(
    readonly stackDir: string,
    readonly ledger: Ledger,
    readonly entry: LedgerEntry,
    private readonly onProgress: ((p: ReleaseProgress) => void) | undefined,
    private readonly pauseAt: string | undefined,
    readonly startedAt = Date.now(),
  ) {
    this.stageStart = startedAt;
  }

  save(): Promise<void> {
    return writeLedger(this.stackDir, this.ledger);
  }

  say(message: string): void {
    this.onProgress?.({ stage: this.entry.stage, message, at: Date.now() });
  }

  /** Enter a stage: the previous one's time is recorded, the ledger names the new one. */
  async stage(stage: ReleaseStage, message: string): Promise<void> {
    this.closeStage();
    this.entry.stage = stage;
    this.stageStart = Date.now();
    await this.save();
    this.say(message);
  }

  private closeStage(): void {
    const ms = Date.now() - this.stageStart;
    if (this.entry.stage !== 'done') this.entry.timings.push({ stage: this.entry.stage, ms });
  }

  /** The end: result, time and (for a failure) the error and what was done. */
  async finish(result: LedgerEntry['result'], extra: { error?: string; actions?: string[] } = {}): Promise<void> {
    this.closeStage();
    this.entry.stage = 'done';
    this.entry.result = result;
    this.entry.finishedAt = new Date().toISOString();
    if (extra.error) this.entry.error = extra.error;
    if (extra.actions?.length) this.entry.actions = [...(this.entry.actions ?? []), ...extra.actions];
    delete this.entry.migrating;
    await this.save();
  }

  /** The test hook: stop here for good (the process is expected to be killed) when asked to. */
  async pausePoint(stage: ReleaseStage): Promise<void> {
    if (this.pauseAt !== stage) return;
    this.say(`paused at ${stage} (${PAUSE_ENV})`);
    process.stderr.write(`opsdeck: paused at ${stage} (${PAUSE_ENV}=${stage})\n`);
    await new Promise(() => undefined);
  }
}
