/**
 * One timer for the health probes of every service of a stack. Each probe of each service has a
 * ProbeSlot, made once, which is set to the time of the engine's clock its next run is due; the
 * ticker keeps a single clock timer, for the earliest time of any slot, and when it fires runs
 * every slot due by then, in time order (slots due at the same time in the order they were set).
 * With the probes' times on the slots of their grid (ProbeSchedule), the 50 services of a stack
 * idling with default probes wake the engine about 3 times a second instead of once per probe.
 *
 * A slot runs once per set(); its owner sets it again when the probe has ended, so a probe that
 * takes longer than its interval never runs twice at once. Setting a slot that is already set
 * moves it; cancel() unsets it.
 */
import type { Clock, TimerHandle } from '../clock';

export class ProbeTicker {
  /** The slots due at each time. */
  private readonly due = new Map<number, Set<ProbeSlot>>();
  /** The times of `due`, soonest first. */
  private times: number[] = [];
  private timer: TimerHandle | undefined;
  /** The time the clock timer is set for. */
  private armedFor: number | undefined;

  constructor(private readonly clock: Clock) {}

  /** A slot that runs `fn` at the times it is set to. */
  slot(fn: () => void): ProbeSlot {
    return new ProbeSlot(this, fn);
  }

  /** The times slots are due at, as delays from now, soonest first; one entry per slot. */
  pending(): number[] {
    const now = this.clock.now();
    return this.times.flatMap((t) => Array<number>(this.due.get(t)!.size).fill(t - now));
  }

  /** @internal (ProbeSlot) */
  add(slot: ProbeSlot, at: number): void {
    let set = this.due.get(at);
    if (!set) {
      this.due.set(at, (set = new Set()));
      this.times.splice(this.insertionPoint(at), 0, at);
    }
    set.add(slot);
    if (this.armedFor === undefined || at < this.armedFor) this.arm(at);
  }

  /** @internal (ProbeSlot) */
  remove(slot: ProbeSlot, at: number): void {
    const set = this.due.get(at);
    if (!set?.delete(slot) || set.size > 0) return;
    this.due.delete(at);
    this.times.splice(this.times.indexOf(at), 1);
    // The timer is left as it is: firing with nothing due only sets it for the next time.
    if (this.times.length === 0) this.disarm();
  }

  private insertionPoint(at: number): number {
    let lo = 0;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.times[mid]! < at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private arm(at: number): void {
    this.timer?.cancel();
    this.armedFor = at;
    this.timer = this.clock.setTimeout(() => this.fire(at), Math.max(0, at - this.clock.now()));
  }

  private disarm(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.armedFor = undefined;
  }

  /**
   * Runs every slot due by now, or by the time the timer was set for (a timer never fires early
   * on its own clock, but the engine's clock, the wall clock, may read a millisecond less).
   */
  private fire(armedFor: number): void {
    this.timer = undefined;
    this.armedFor = undefined;
    const until = Math.max(this.clock.now(), armedFor);
    const run: [ProbeSlot, number][] = [];
    while (this.times.length > 0 && this.times[0]! <= until) {
      const at = this.times.shift()!;
      for (const slot of this.due.get(at)!) run.push([slot, at]);
      this.due.delete(at);
    }
    if (this.times.length > 0) this.arm(this.times[0]!);
    for (const [slot, at] of run) slot.runIfDue(at);
  }
}

/** One probe's place in a ProbeTicker: set to a time, it runs its function then, once. */
export class ProbeSlot implements TimerHandle {
  private at: number | undefined;

  constructor(
    private readonly ticker: ProbeTicker,
    private readonly fn: () => void,
  ) {}

  /** Run at `at` (a time of the ticker's clock), instead of any time set before. */
  set(at: number): this {
    this.cancel();
    this.at = at;
    this.ticker.add(this, at);
    return this;
  }

  cancel(): void {
    if (this.at === undefined) return;
    this.ticker.remove(this, this.at);
    this.at = undefined;
  }

  /** @internal (ProbeTicker) Runs, unless cancelled or set to another time since `at` was due. */
  runIfDue(at: number): void {
    if (this.at !== at) return;
    this.at = undefined;
    try {
      this.fn();
    } catch (e) {
      // One probe's bug must not keep the others of the same tick from running.
      process.emitWarning(`opsdeck probe failed to start: ${(e as Error).message}`);
    }
  }
}
