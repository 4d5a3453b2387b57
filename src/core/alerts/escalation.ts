/**
 * The escalation of an open incident, as a pure decision: which level to send now, if any.
 *
 *   opened ──(level 1's `after`, usually 0s)──▶ level 1 sent ──(level 2's `after` since opened,
 *   unacknowledged)──▶ level 2 sent ──▶ … ; while firing and unacknowledged, the highest level
 *   sent is sent again every `repeat_interval`. An acknowledged incident escalates and repeats no
 *   more; a silenced one (every alert in it silenced) or one held by quiet hours sends nothing
 *   until that ends, then sends the highest level due (never the ones it skipped).
 */
import type { Incident } from '../contract/alerts';

export interface EscalationPolicy {
  /** Each level's delay from the opening, ms (ascending). */
  levels: readonly { afterMs: number; channels: readonly string[] }[];
  repeatMs: number;
}

export interface SendDecision {
  level: number;
  repeat: boolean;
}

/** The highest level due at `now` (1-based; 0: none yet). */
export function dueLevel(inc: Pick<Incident, 'openedAt'>, policy: EscalationPolicy, now: number): number {
  let due = 0;
  policy.levels.forEach((l, i) => {
    if (now >= inc.openedAt + l.afterMs) due = i + 1;
  });
  return due;
}

export function nextSend(inc: Incident, policy: EscalationPolicy, now: number, held: boolean): SendDecision | undefined {
  if (inc.ack || inc.resolvedAt !== undefined || held) return undefined;
  const due = dueLevel(inc, policy, now);
  if (due > inc.level) return { level: due, repeat: false };
  if (inc.level > 0 && inc.lastSentAt !== undefined && now - inc.lastSentAt >= policy.repeatMs) return { level: inc.level, repeat: true };
  return undefined;
}

/** When this incident will next have something to send (to wake up then), if ever. */
export function nextWake(inc: Incident, policy: EscalationPolicy): number | undefined {
  if (inc.ack || inc.resolvedAt !== undefined) return undefined;
  const next = policy.levels[inc.level];
  const repeat = inc.lastSentAt !== undefined ? inc.lastSentAt + policy.repeatMs : undefined;
  const level = next ? inc.openedAt + next.afterMs : undefined;
  const times = [level, repeat].filter((t): t is number => t !== undefined);
  return times.length ? Math.min(...times) : undefined;
}

/** Every channel the incident was sent to (where its resolved message goes). */
export function sentChannels(inc: Incident): string[] {
  return [...new Set(inc.sent.flatMap((s) => s.channels))];
}
