/**
 * Alerts (src/core/alerts, docs/alerts.md): what a rule says is wrong, the incidents that group
 * them per stack and service, silences, acknowledgements, and the persisted history a report
 * reads. Part of the contract.
 */
/** An answer now or later (as EngineLike's; declared here so that engine.ts may import this file). */
type MaybePromise<T> = T | Promise<T>;

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** One rule's finding about one service (or `stack`): pending while its `for:` has not held yet, then firing. */
export interface Alert {
  /** `rule/service`: the same finding keeps its id. */
  id: string;
  rule: string;
  service: string;
  severity: AlertSeverity;
  state: 'pending' | 'firing';
  /** Since when the rule's condition holds (epoch ms). */
  since: number;
  /** When it started firing (since + for). */
  firingSince?: number;
  summary: string;
  labels: Record<string, string>;
  value?: number;
  /** The alert of an upstream (or a graver alert of the same service) that inhibits this one. */
  inhibitedBy?: string;
  /** The silence that holds it back. */
  silencedBy?: string;
  /** The incident it belongs to (firing, neither inhibited nor silenced). */
  incident?: string;
}

/** A page: the firing alerts of one group (stack and service), from the first until the last resolves. */
export interface Incident {
  id: string;
  /** `stack/service`. */
  group: string;
  service: string;
  openedAt: number;
  resolvedAt?: number;
  severity: AlertSeverity;
  /** The alert ids it has had. */
  alerts: string[];
  summary: string;
  /** The highest escalation level sent (0: none yet), and when each level was sent. */
  level: number;
  sent: { level: number; at: number; channels: string[] }[];
  lastSentAt?: number;
  ack?: { at: number; by?: string; comment?: string };
  resolvedSent?: boolean;
}

export interface SilenceMatcher {
  name: string;
  value: string;
  /** `=` equal (default), `!=` not equal, `=~` a regular expression over the whole value. */
  op: '=' | '!=' | '=~';
}

export interface Silence {
  id: string;
  matchers: SilenceMatcher[];
  startsAt: number;
  endsAt: number;
  comment: string;
  by?: string;
}

export interface AlertsView {
  at: number;
  /** False when the stack's `alerts.enabled` is false. */
  enabled: boolean;
  alerts: Alert[];
  /** Open incidents. */
  incidents: Incident[];
  /** Silences in force. */
  silences: Silence[];
}

export interface AckRequest {
  comment?: string;
  by?: string;
  dryRun?: boolean;
}

export interface SilenceRequest {
  matchers: SilenceMatcher[];
  /** How long from now (ms); or `endsAt`. */
  durationMs?: number;
  endsAt?: number;
  comment: string;
  by?: string;
  dryRun?: boolean;
}

export interface AckResult {
  dryRun: boolean;
  incident: Incident;
}
export interface SilenceResult {
  dryRun: boolean;
  silence: Silence;
  /** The alerts it matches now. */
  matches: string[];
}

/** One line of `.opsdeck/alerts/history.jsonl` (append-only): what happened to an incident or a silence. */
export type AlertHistoryRecord =
  | { kind: 'opened'; at: number; incident: string; group: string; service: string; severity: AlertSeverity; alerts: string[]; summary: string }
  | { kind: 'sent'; at: number; incident: string; level: number; channels: string[]; repeat: boolean }
  /** A channel that could not be reached (the level stays sent: it is not tried again before the repeat). */
  | { kind: 'failed'; at: number; incident: string; channel: string; error: string }
  | { kind: 'acked'; at: number; incident: string; by?: string; comment?: string }
  | { kind: 'resolved'; at: number; incident: string }
  | { kind: 'silenced'; at: number; silence: Silence }
  | { kind: 'unsilenced'; at: number; silence: string };

/** An incident as the history tells it (what a report lists). */
export interface IncidentRecord {
  id: string;
  group: string;
  service: string;
  severity: AlertSeverity;
  alerts: string[];
  summary: string;
  start: number;
  end?: number;
  durationMs?: number;
  ack?: { at: number; by?: string; comment?: string };
  /** The highest level that was sent. */
  level: number;
}

/** What a surface may ask of the engine's alerts. */
export interface AlertService {
  list(): MaybePromise<AlertsView>;
  /** Acknowledge an incident (by its id, or the id of one of its alerts): no further escalation or repeat. */
  ack(id: string, req?: AckRequest): MaybePromise<AckResult>;
  silence(req: SilenceRequest): MaybePromise<SilenceResult>;
  unsilence(id: string, opts?: { dryRun?: boolean }): MaybePromise<{ dryRun: boolean; silence: Silence }>;
  /** Incidents from the persisted history, newest first. */
  history(query?: { since?: number }): MaybePromise<{ incidents: IncidentRecord[] }>;
}

/** `opsdeck monitor`'s answer: the worst of the firing alerts, as a monitoring plugin says it. */
export type MonitorLevel = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';
export interface MonitorReport {
  at: number;
  level: MonitorLevel;
  /** Whether an engine answered (false: only what the files tell was checked). */
  engine: boolean;
  summary: string;
  alerts: Pick<Alert, 'id' | 'rule' | 'service' | 'severity' | 'summary' | 'since'>[];
  /** What could not be checked, and why. */
  unknown: string[];
}
