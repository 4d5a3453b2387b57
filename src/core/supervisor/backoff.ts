/**
 * Restart policy arithmetic: the delay before restart attempt N (exponential, capped, with
 * jitter) and the sliding window of recent restarts that decides when to give up.
 */
import type { BackoffConfig } from '../config/schema';

/** Delay before restart `attempt` (1-based): initial × factor^(attempt-1), capped at max, ± jitter. */
export function backoffDelay(cfg: BackoffConfig, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(cfg.max, cfg.initial * cfg.factor ** Math.max(0, attempt - 1));
  const spread = cfg.jitter * (2 * random() - 1); // uniform in [-jitter, +jitter]
  return Math.max(0, Math.round(base * (1 + spread)));
}

/** Timestamps of recent restarts inside a sliding window. */
export class RestartWindow {
  private stamps: number[] = [];
  constructor(private readonly windowMs: number) {}

  /** Restarts counted at time `now`. */
  count(now: number): number {
    this.stamps = this.stamps.filter((t) => now - t < this.windowMs);
    return this.stamps.length;
  }

  record(now: number): void {
    this.stamps.push(now);
  }
}
