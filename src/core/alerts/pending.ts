/**
 * `for:`: a finding becomes an alert, pending from the first evaluation that sees it and firing
 * once it has held for its rule's `for:`. A finding that stops holding is gone (resolved). After
 * an engine restart the alerts it had firing are carried over (their `since` kept, so no new
 * `for:` wait and no new page) and are resolved only if their rule still does not hold after a
 * grace period, while the new engine's facts fill in.
 */
import type { Alert } from '../contract/alerts';
import type { Finding } from './rules';

export interface HeldAlert {
  since: number;
  firingSince?: number;
  /** Carried over from a previous engine: kept until `graceUntil` even when its rule does not hold. */
  carried?: { graceUntil: number; alert: Alert };
}

export const alertId = (rule: string, service: string) => `${rule}/${service}`;

export class PendingAlerts {
  private readonly held = new Map<string, HeldAlert>();

  /** Alerts a previous engine had firing, kept until `graceUntil` unless seen again. */
  carryOver(alerts: readonly Alert[], graceUntil: number): void {
    for (const a of alerts) if (a.state === 'firing') this.held.set(a.id, { since: a.since, firingSince: a.firingSince ?? a.since, carried: { graceUntil, alert: a } });
  }

  /** The alerts now: every finding (pending or firing) and the carried-over ones still in their grace. */
  update(findings: readonly Finding[], now: number): Alert[] {
    const seen = new Set<string>();
    const out: Alert[] = [];
    for (const f of findings) {
      const id = alertId(f.rule.name, f.service);
      seen.add(id);
      let h = this.held.get(id);
      if (!h) this.held.set(id, (h = { since: now }));
      delete h.carried;
      if (h.firingSince === undefined && now - h.since >= f.rule.forMs) h.firingSince = now;
      out.push({
        id,
        rule: f.rule.name,
        service: f.service,
        severity: f.rule.severity,
        state: h.firingSince === undefined ? 'pending' : 'firing',
        since: h.since,
        ...(h.firingSince !== undefined ? { firingSince: h.firingSince } : {}),
        summary: f.summary,
        labels: f.rule.labels,
        ...(f.value !== undefined ? { value: f.value } : {}),
      });
    }
    for (const [id, h] of this.held) {
      if (seen.has(id)) continue;
      if (h.carried && now < h.carried.graceUntil) out.push({ ...h.carried.alert, state: 'firing' });
      else this.held.delete(id);
    }
    return out;
  }

  /** When the next pending alert reaches its `for:` (to evaluate then), if any. */
  nextDue(findings: readonly Finding[]): number | undefined {
    let next: number | undefined;
    for (const f of findings) {
      const h = this.held.get(alertId(f.rule.name, f.service));
      if (h && h.firingSince === undefined) next = Math.min(next ?? Infinity, h.since + f.rule.forMs);
    }
    return next;
  }
}
