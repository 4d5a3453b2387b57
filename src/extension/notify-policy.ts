/**
 * What the extension tells the user about, and when: the pure decision logic behind
 * notifications.ts, with no VS Code in it so it can be unit tested (test/unit/notify-policy.test.ts).
 *
 * - `noticeFor(event)` turns an engine event (the typed `EngineEvent` of src/core/events.ts) into
 *   a notice (kind, severity, message, actions), or nothing when the event is not worth
 *   interrupting anyone for.
 * - `NotifyPolicy.decide(notice)` says whether to show it: the level setting (`all` | `errors` |
 *   `none`), the kinds silenced in settings (`opsdeck.notifications.silenced`), and a cooldown so
 *   the same notice (same kind and subject) is not repeated within `cooldownMs`. Time comes from
 *   an injected clock.
 * - `IncidentBook` keeps the incidents a notice opened (a service that crashed, crash-loops or
 *   failed: one incident per service), so later notices about it update the one notification,
 *   and says from the store's status when an incident is over ("api recovered after 1.2s").
 */
import { count, type EngineEvent, type EventOf, formatDuration } from '../core/contract';

export const NOTIFICATION_KINDS = [
  'ipc-high',
  'service-failed',
  'service-crashed',
  'crash-loop',
  'health-failing',
  'backup-completed',
  'backup-failed',
  'rpo-breached',
  'maintenance-completed',
  'maintenance-failed',
  'engine-error',
  'report-written',
  'release-completed',
  'release-failed',
  'release-rolled-back',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];
export type Severity = 'error' | 'warning' | 'info';
export type NotificationLevel = 'all' | 'errors' | 'none';
/** What the buttons of a notification do (notifications.ts maps them to commands). */
export type NoticeAction = 'show-logs' | 'restart' | 'open-dashboard' | 'show-engine-output' | 'backup-now' | 'open-report' | 'show-release-report';

export interface Notice {
  kind: NotificationKind;
  severity: Severity;
  message: string;
  /** The service it is about, when there is one (Show Logs, Restart act on it). */
  service?: string;
  /** Notices with the same key are the same message for the cooldown. */
  key: string;
  actions: NoticeAction[];
  /** The incident it belongs to (`down:<service>`), when later news about it updates one notification. */
  incident?: string;
  /** What a live notification says while the incident lasts, when it differs (no countdown that goes stale). */
  live?: string;
}

/** Restart attempts in a row (without a healthy spell resetting the counter) that count as a crash loop. */
export const CRASH_LOOP_ATTEMPTS = 3;
export const DEFAULT_COOLDOWN_MS = 5 * 60_000;

const str = (v: string | undefined): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const num = (v: number | undefined): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const lastLine = (text: string) => text.trim().split('\n').pop()?.trim() ?? '';
const clip = (text: string, max = 200) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Kinds that are news about a service being down: one incident per service, over when it is up again. */
const DOWN_KINDS: ReadonlySet<NotificationKind> = new Set(['service-crashed', 'crash-loop', 'service-failed']);

function notice(kind: NotificationKind, severity: Severity, message: string, service: string | undefined, actions: NoticeAction[]): Notice {
  const incident = service && DOWN_KINDS.has(kind) ? { incident: `down:${service}` } : {};
  return { kind, severity, message: clip(message, 400), ...(service ? { service } : {}), key: `${kind}:${service ?? ''}`, actions, ...incident };
}

/** The notice an engine event deserves, if any. */
export function noticeFor(e: EngineEvent, opts: { crashLoopAttempts?: number } = {}): Notice | undefined {
  const service = str(e.service);
  const subject = service && service !== 'stack' ? service : undefined;
  switch (e.type) {
    case 'ipc': {
      if (e.to !== 'critical' || e.from === 'critical') return undefined;
      const score = num(e.score);
      const summary = str(e.summary);
      return notice('ipc-high', 'warning', `IPC pressure is critical${score === undefined ? '' : ` (${score})`}${summary ? `: ${summary}` : ''}`, undefined, ['open-dashboard']);
    }
    case 'gave-up': {
      const restarts = num(e.restarts);
      const windowMs = num(e.windowMs);
      const why = restarts === undefined ? 'gave up restarting it' : `gave up after ${count(restarts, 'restart')}${windowMs ? ` within ${formatDuration(windowMs)}` : ''}`;
      return notice('service-failed', 'error', `${service ?? 'A service'} failed: ${why}`, subject, ['show-logs', 'restart']);
    }
    case 'state': {
      if (e.to !== 'failed' || e.from === 'failed') return undefined;
      const reason = str(e.reason);
      return notice('service-failed', 'error', `${service ?? 'A service'} failed${reason ? `: ${reason}` : ''}`, subject, ['show-logs', 'restart']);
    }
    case 'restart': {
      const attempt = num(e.attempt) ?? 0;
      const cause = str(e.cause);
      const detail = str(e.detail);
      const why = [cause, detail].filter(Boolean).join(': ');
      if (attempt >= (opts.crashLoopAttempts ?? CRASH_LOOP_ATTEMPTS)) {
        return notice('crash-loop', 'warning', `${service ?? 'A service'} is crash-looping (restart ${attempt}${why ? `, ${why}` : ''})`, subject, ['show-logs', 'restart']);
      }
      // A single crash, hang or limit kill (not a clean exit the policy restarts): worth a heads-up.
      if (cause === 'exit') return undefined;
      const delay = num(e.delayMs);
      const what = `${service ?? 'A service'} ${cause === 'hang' ? 'hung' : cause === 'memory limit' ? 'went over its memory limit' : cause === 'spawn failed' ? 'could not start' : 'crashed'}${detail ? ` (${detail})` : ''}`;
      return { ...notice('service-crashed', 'warning', `${what}; restarting${delay === undefined ? '' : ` in ${formatDuration(delay)}`}`, subject, ['show-logs']), live: `${what}; restarting…` };
    }
    case 'check': {
      if (e.ok !== false) return undefined;
      const output = typeof e.output === 'string' ? clip(lastLine(e.output)) : '';
      return notice('health-failing', 'warning', `${service ?? 'A service'}: full-functionality check failed${output ? `: ${output}` : ''}`, subject, ['show-logs', 'restart']);
    }
    case 'backup':
    case 'restore':
    case 'drill':
      return jobNotice(e, subject);
    case 'verify':
      return verifyNotice(e, subject);
    case 'rpo':
      return rpoNotice(e, subject);
    case 'maintenance':
      return e.ok ? undefined : notice('maintenance-failed', 'warning', `Maintenance ${e.task} failed${e.error ? `: ${e.error}` : ''}`, subject, ['show-engine-output']);
    case 'report':
      // Only the engine's own: a report someone asked for is shown to them already.
      return e.trigger === 'schedule' ? notice('report-written', 'info', `The ${str(e.period) ?? ''} operations report is ready`, undefined, ['open-report']) : undefined;
    default:
      return undefined;
  }
}

const JOB_NAME = { backup: 'Backup', restore: 'Restore', drill: 'Recovery drill', verify: 'Backup verification' } as const;

function backupFailed(what: string, why: string | undefined, subject: string | undefined, rolledBack = false): Notice {
  return notice('backup-failed', 'error', `${what} failed${rolledBack ? ' and was rolled back' : ''}${why ? `: ${why}` : ''}`, subject, ['show-engine-output']);
}

/**
 * A backup, restore or recovery drill (src/core/backup): nothing when it starts, an error when it
 * failed (or was rolled back); a completed backup or restore is information (a warning when the
 * restore took longer than the RTO), a completed drill is nothing.
 */
function jobNotice(e: EventOf<'backup' | 'restore' | 'drill'>, subject: string | undefined): Notice | undefined {
  if (e.phase === 'started') return undefined;
  const what = JOB_NAME[e.type];
  if (e.phase === 'failed' || e.phase === 'rolled-back' || str(e.error) !== undefined) {
    return backupFailed(what, str(e.error), subject, e.phase === 'rolled-back');
  }
  if (e.type === 'drill') return undefined;
  const snapshot = str(e.snapshot);
  const took = num(e.type === 'restore' ? e.recoveryMs : e.durationMs);
  const late = e.type === 'restore' && e.withinRto === false;
  const rto = e.type === 'restore' ? num(e.rtoMs) : undefined;
  const within = late && rto !== undefined ? ` (over the RTO of ${formatDuration(rto)})` : '';
  const text = `${what} completed${snapshot ? ` (snapshot ${snapshot.slice(0, 12)})` : ''}${took === undefined ? '' : ` in ${formatDuration(took)}`}${within}`;
  return notice('backup-completed', late ? 'warning' : 'info', text, subject, []);
}

/** A verification of the backup repository: an error when it found damage (or could not run), else nothing. */
function verifyNotice(e: EventOf<'verify'>, subject: string | undefined): Notice | undefined {
  const errors = num(e.errors);
  if (e.ok !== false && !(errors !== undefined && errors > 0) && str(e.error) === undefined) return undefined;
  return backupFailed(JOB_NAME.verify, str(e.error) ?? (errors ? count(errors, 'error') : undefined), subject);
}

/** A service past its recovery point objective (`ok: false`) is a warning with Backup Now; back within it is nothing. */
function rpoNotice(e: EventOf<'rpo'>, subject: string | undefined): Notice | undefined {
  if (e.ok === true) return undefined;
  const age = num(e.ageMs);
  const rpo = num(e.rpoMs);
  const detail =
    age !== undefined && rpo !== undefined
      ? `: newest good backup is ${formatDuration(age)} old, objective ${formatDuration(rpo)}`
      : rpo !== undefined
        ? `: no good backup yet (objective ${formatDuration(rpo)})`
        : str(e.detail)
          ? `: ${str(e.detail)}`
          : '';
  return notice('rpo-breached', 'warning', `${subject ?? 'The stack'} is past its recovery point objective${detail}`, subject, ['backup-now']);
}

/** The notice a health check result deserves (Run Health Check), or none when it is OK. */
export function healthNotice(h: { level: string; summary: string; services: { service: string; level: string; reason: string }[] }): Notice | undefined {
  if (h.level === 'OK') return undefined;
  const bad = h.services.find((s) => s.level === 'CRITICAL') ?? h.services.find((s) => s.level === 'WARNING') ?? h.services.find((s) => s.level !== 'OK');
  const message = `Health ${h.level}: ${h.summary}${bad ? ` — ${bad.service}: ${bad.reason}` : ''}`;
  // Same key as the service's failing `check` event: one health message per service per cooldown.
  return notice('health-failing', h.level === 'CRITICAL' ? 'error' : 'warning', message, bad?.service, bad ? ['show-logs', 'restart'] : ['show-engine-output']);
}

/** One row of Run Health Check's result: a service, its level and why. */
export interface HealthRow {
  service: string;
  level: string;
  reason: string;
}

const LEVEL_ORDER: Record<string, number> = { CRITICAL: 0, WARNING: 1, UNKNOWN: 2, OK: 3 };

/** Run Health Check's result, service by service: the worst first, then by name; the title says the whole. */
export function healthRows(h: { level: string; summary: string; services: { service: string; level: string; reason: string }[] }): { title: string; rows: HealthRow[] } {
  const rows = h.services
    .map((s) => ({ service: s.service, level: s.level, reason: s.reason.trim() || (s.level === 'OK' ? 'ok' : 'no reason given') }))
    .sort((a, b) => (LEVEL_ORDER[a.level] ?? 2) - (LEVEL_ORDER[b.level] ?? 2) || a.service.localeCompare(b.service));
  const ok = rows.filter((r) => r.level === 'OK').length;
  const title = rows.length ? `Health ${h.level}: ${ok} of ${count(rows.length, 'service')} OK` : `Health ${h.level}: ${h.summary || 'no services'}`;
  return { title, rows };
}

/** The result of a command the user ran (Backup Now…): shown as it is, one per run. */
export function resultNotice(kind: NotificationKind, severity: Severity, message: string, actions: NoticeAction[] = []): Notice {
  return { kind, severity, message: clip(message, 400), key: `${kind}:command`, actions };
}

/** A notice about the engine itself (it failed to start, its owner went away, a stream broke). */
export function engineErrorNotice(message: string, key = 'engine', severity: Severity = 'error'): Notice {
  return { kind: 'engine-error', severity, message: clip(message, 400), key: `engine-error:${key}`, actions: ['show-engine-output'] };
}

export interface NotifyPolicyOptions {
  /** Epoch ms now (injected in tests). */
  now?: () => number;
  cooldownMs?: number;
  level: () => NotificationLevel;
  /** Kinds the user silenced (the `opsdeck.notifications.silenced` setting). */
  silenced: () => readonly string[];
}

export type Decision = { show: true } | { show: false; reason: 'level' | 'silenced' | 'cooldown' };

export class NotifyPolicy {
  private readonly lastShown = new Map<string, number>();
  private readonly now: () => number;
  private readonly cooldownMs: number;

  constructor(private readonly opts: NotifyPolicyOptions) {
    this.now = opts.now ?? Date.now;
    this.cooldownMs = opts.cooldownMs ?? DEFAULT_COOLDOWN_MS;
  }

  /** Whether to show `n` now; a notice that is shown starts its cooldown. */
  decide(n: Notice): Decision {
    const level = this.opts.level();
    if (level === 'none' || (level === 'errors' && n.severity !== 'error')) return { show: false, reason: 'level' };
    if (this.opts.silenced().includes(n.kind)) return { show: false, reason: 'silenced' };
    const now = this.now();
    const last = this.lastShown.get(n.key);
    if (last !== undefined && now - last < this.cooldownMs) return { show: false, reason: 'cooldown' };
    this.lastShown.set(n.key, now);
    return { show: true };
  }

  /** A notice shown without asking (news about an incident already on screen): its cooldown starts. */
  markShown(n: Notice): void {
    this.lastShown.set(n.key, this.now());
  }

  /** Forget the cooldowns (e.g. after reconnecting to another engine). */
  reset(): void {
    this.lastShown.clear();
  }
}

// ------------------------------------------------------------------ incidents

/** What the incident book reads of a service in the store's status (ServiceStatus has more). */
export interface WatchedService {
  name: string;
  state: string;
  /** When it entered its state (epoch ms). */
  since?: number;
  pid?: number | undefined;
}

export interface Incident {
  readonly key: string;
  readonly service: string;
  /** The latest notice about it (what the notification says now). */
  readonly notice: Notice;
  /** When it began (the first event's time, epoch ms). */
  readonly openedAt: number;
  /** The service's process when it began: a ready service with another pid has come back. */
  readonly pidAtOpen: number | undefined;
  /** Whether a status since it began showed the service down (backoff, starting…). */
  readonly sawDown: boolean;
}

export type Outcome = 'recovered' | 'stopped' | 'gone';

export interface Resolution {
  incident: Incident;
  outcome: Outcome;
  /** What the notification says at the end ("api recovered after 1.2s"); none when the engine went away. */
  message: string | undefined;
}

/** A service counts as back when it runs and is ready (or degraded only by a dependency, still running). */
function isUp(s: WatchedService): boolean {
  return s.pid !== undefined && (s.state === 'ready' || s.state === 'degraded');
}

/** Up since after `at`: it went down and came back before the news of its going down arrived. */
const wentUpAfter = (s: WatchedService, at: number) => s.since !== undefined && s.since > at;

/** The message that ends an incident. */
export function resolutionMessage(service: string, outcome: Outcome, tookMs: number): string | undefined {
  if (outcome === 'recovered') return `${service} recovered after ${formatDuration(Math.max(0, tookMs))}`;
  if (outcome === 'stopped') return `${service} was stopped`;
  return undefined;
}

/**
 * The open incidents, one per key. `record` opens one (or updates the open one with newer news);
 * `observe` reads a status and returns the incidents it ends: the service is up again (with
 * another process, after a status that showed it down, or up since after the incident began), it
 * was stopped, it is gone, or there is no engine any more.
 */
export class IncidentBook {
  private readonly open = new Map<string, Incident>();

  get(key: string): Incident | undefined {
    return this.open.get(key);
  }

  /** A notice about an incident: `opened` when it is a new one, else the open one now says this. */
  record(n: Notice, at: number, service: WatchedService | undefined): { incident: Incident; opened: boolean } | undefined {
    if (!n.incident || !n.service) return undefined;
    const was = this.open.get(n.incident);
    const incident: Incident = was
      ? { ...was, notice: n }
      : { key: n.incident, service: n.service, notice: n, openedAt: at, pidAtOpen: service?.pid, sawDown: service !== undefined && (!isUp(service) || wentUpAfter(service, at)) };
    this.open.set(incident.key, incident);
    return { incident, opened: !was };
  }

  /** The incidents a status ends (removed from the book); `services` undefined: no engine. */
  observe(services: readonly WatchedService[] | undefined, now: number): Resolution[] {
    const over: Resolution[] = [];
    for (const incident of [...this.open.values()]) {
      const s = services?.find((x) => x.name === incident.service);
      let outcome: Outcome | undefined;
      if (!s) outcome = 'gone';
      else if (s.state === 'stopped') outcome = 'stopped';
      else if (isUp(s) && (incident.sawDown || s.pid !== incident.pidAtOpen)) outcome = 'recovered';
      else if (!isUp(s) && !incident.sawDown) this.open.set(incident.key, { ...incident, sawDown: true });
      if (!outcome) continue;
      this.open.delete(incident.key);
      const upAt = outcome === 'recovered' && s?.since !== undefined && s.since >= incident.openedAt ? s.since : now;
      over.push({ incident, outcome, message: resolutionMessage(incident.service, outcome, upAt - incident.openedAt) });
    }
    return over;
  }

  /** Forget every incident (another engine); returns what was open. */
  clear(): Incident[] {
    const all = [...this.open.values()];
    this.open.clear();
    return all;
  }
}
