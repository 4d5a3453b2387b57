/**
 * What a notification says, for every channel: the payload (JSON for webhooks and commands) and
 * its title and text (chat, email, desktop).
 */
import type { Alert, AlertSeverity, Incident } from '../contract/alerts';
import type { AlertPhase } from '../contract/events';

export interface AlertPayload {
  stack: string;
  phase: AlertPhase;
  incident: string;
  service: string;
  severity: AlertSeverity;
  level: number;
  summary: string;
  openedAt: string;
  resolvedAt?: string;
  acknowledged: boolean;
  alerts: Pick<Alert, 'id' | 'rule' | 'service' | 'severity' | 'summary' | 'since'>[];
  title: string;
  text: string;
}

const PHASE_WORD: Record<AlertPhase, string> = { firing: 'FIRING', escalated: 'ESCALATED', repeated: 'STILL FIRING', acked: 'ACKNOWLEDGED', resolved: 'RESOLVED' };

export function alertPayload(stack: string, inc: Incident, alerts: readonly Alert[], phase: AlertPhase): AlertPayload {
  const title = `[${PHASE_WORD[phase]}] ${stack}/${inc.service} ${inc.severity}: ${inc.summary}`;
  const lines = [
    ...alerts.map((a) => `• ${a.severity} ${a.rule}: ${a.summary}`),
    `incident ${inc.id}, opened ${new Date(inc.openedAt).toISOString()}${inc.level ? `, level ${inc.level}` : ''}`,
    ...(phase === 'resolved' && inc.resolvedAt !== undefined ? [`resolved ${new Date(inc.resolvedAt).toISOString()} after ${Math.round((inc.resolvedAt - inc.openedAt) / 1000)} s`] : []),
    ...(phase !== 'resolved' && !inc.ack ? [`acknowledge: opsdeck alerts ack ${inc.id}`] : []),
  ];
  return {
    stack,
    phase,
    incident: inc.id,
    service: inc.service,
    severity: inc.severity,
    level: inc.level,
    summary: inc.summary,
    openedAt: new Date(inc.openedAt).toISOString(),
    ...(inc.resolvedAt !== undefined ? { resolvedAt: new Date(inc.resolvedAt).toISOString() } : {}),
    acknowledged: !!inc.ack,
    alerts: alerts.map(({ id, rule, service, severity, summary, since }) => ({ id, rule, service, severity, summary, since })),
    title,
    text: lines.join('\n'),
  };
}
