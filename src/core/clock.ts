/**
 * Time as the engine sees it. Policy timers (backoff, retry reset and window, probe intervals,
 * resource sampling, scheduled checks) go through a Clock so tests can drive them exactly with
 * FakeClock. Process mechanics (stop grace, kill polling) use real time. Node's timers take at
 * most 2^31 - 1 ms (longer ones fire at once): setLongTimeout chains longer delays, timerDelay
 * clamps the ones that cannot be chained.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

/** The longest delay Node's timers take: past it (~24.8 days) they fire after 1 ms instead. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A delay for a timer that cannot be chained (a socket's, a child process's timeout): 0 to MAX_TIMER_MS. */
export const timerDelay = (ms: number) => Math.min(Math.max(0, ms), MAX_TIMER_MS);

/**
 * setTimeout for any delay: one longer than the timers take is a chain of timers of at most
 * `chunkMs` each, so it fires at the end, never early. Unref'd, like every policy timer:
 * a pending timer does not keep the process alive.
 */
export function setLongTimeout(fn: () => void, ms: number, chunkMs = MAX_TIMER_MS): TimerHandle {
  let t: ReturnType<typeof setTimeout>;
  // Counted down chunk by chunk, not against the wall clock, which may be set back or forth.
  const arm = (left: number) => {
    t = left > chunkMs ? setTimeout(() => arm(left - chunkMs), chunkMs) : setTimeout(fn, left);
    t.unref?.();
  };
  arm(Math.max(0, ms));
  return { cancel: () => clearTimeout(t) };
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setLongTimeout(fn, ms),
};

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A clock that only moves when told to. Timers fire in time order during advance(). */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: FakeTimer[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: FakeTimer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  /** Timers still waiting, soonest first, as delays from now. */
  pending(): number[] {
    return this.live().map((t) => t.at - this.t);
  }

  /** Move time forward by `ms`, firing due timers in order and letting async work settle between them. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      const next = this.live().find((t) => t.at <= target);
      if (!next) break;
      this.t = Math.max(this.t, next.at);
      next.cancelled = true;
      next.fn();
      await settle();
    }
    this.t = target;
    await settle();
  }

  private live(): FakeTimer[] {
    this.timers = this.timers.filter((t) => !t.cancelled);
    return [...this.timers].sort((a, b) => a.at - b.at || a.seq - b.seq);
  }
}

const settle = () => new Promise<void>((r) => setImmediate(r));

/** Real-time sleep, for process mechanics. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, timerDelay(ms)));
