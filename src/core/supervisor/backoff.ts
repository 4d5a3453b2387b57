/**
 * Restart policy arithmetic: the delay before restart attempt N (at once for the first restart
 * unless `initial` is set, then exponential, capped, with jitter) and the sliding window of
 * recent restarts that decides when to give up.
 */
import type { BackoffConfig } from '../config/schema';

/**
 * The delay the repeated restarts grow from when `backoff.initial` is not set: the second restart
 * in a row waits this, the third twice this (with the default factor 2), and so on.
 */
export const REPEAT_INITIAL_MS = 500;

/**
 * Delay before restart `attempt` (1-based; back to 1 after `reset_after` of healthy running).
 * `initial` set: initial × factor^(attempt-1). Not set (the default): the first restart at once,
 * as supervisord and PM2 do, then REPEAT_INITIAL_MS × factor^(attempt-2). Capped at max, ± jitter.
 */
export function backoffDelay(cfg: BackoffConfig, attempt: number, random: () => number = Math.random): number {
  if (cfg.initial === undefined && attempt <= 1) return 0;
  const steps = Math.max(0, cfg.initial === undefined ? attempt - 2 : attempt - 1);
  const base = Math.min(cfg.max, (cfg.initial ?? REPEAT_INITIAL_MS) * cfg.factor ** steps);
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
