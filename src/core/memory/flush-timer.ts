/**
 * When buffered memory rows are written: at most `flushMs` after the first of them, and, after a
 * write failed, again a while later (never at once: the disk is full, say), with one warning per
 * failing spell. The journal and the store both buffer rows this way.
 */
import type { Clock, TimerHandle } from '../clock';
import { isOpsError } from '../errors';

export class FlushTimer {
  /** The last write failed (set by the owner's flush). */
  failing = false;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly flushMs: number,
    /** Write what is buffered; throws when it cannot. */
    private readonly flush: () => void,
    private readonly closed: () => boolean,
  ) {}

  /** A row was buffered: write within flushMs (unless a write is already due). */
  schedule(): void {
    this.timer ??= this.clock.setTimeout(() => {
      this.timer = undefined;
      this.flushQuietly();
    }, this.flushMs);
  }

  /** After a failed write, try again in a while. */
  retryLater(): void {
    if (this.closed()) return;
    this.timer ??= this.clock.setTimeout(() => {
      this.timer = undefined;
      this.flushQuietly();
    }, Math.max(1000, this.flushMs));
  }

  cancel(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Flush for a timer, a full buffer or a read: never throws, warns once per failing spell. */
  flushQuietly(): void {
    const wasFailing = this.failing;
    try {
      this.flush();
    } catch (err) {
      if (!wasFailing) process.emitWarning(`opsdeck memory: ${isOpsError(err) ? err.message : String(err)}`);
    }
  }
}
