/**
 * What the extension tells the user about, and when: the pure decision logic behind
 * notifications.ts, with no VS Code in it so it can be unit tested (test/unit/notify-policy.test.ts).
 *
 * - `noticeFor(event)` turns an engine event into a notice (kind, severity, message, actions),
 *   or nothing when the event is not worth interrupting anyone for. Event types the engine does
 *   not have yet (backups, RPO) are recognised by their type string and fields, tolerantly.
 * - `NotifyPolicy.decide(notice)` says whether to show it: the level setting (`all` | `errors` |
 *   `none`), the kinds silenced with "Don't show again", and a cooldown so the same notice (same
 *   kind and subject) is not repeated within `cooldownMs`. Time comes from an injected clock.
 */
import { formatDuration } from '../core/duration';

export const NOTIFICATION_KINDS = [
  'ipc-high',
  'service-failed',
  'service-crashed',
  'crash-loop',
  'health-failing',
  'backup-completed',
  'backup-failed',
  'rpo-breached',
  'engine-error',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];
export type Severity = 'error' | 'warning' | 'info';
export type NotificationLevel = 'all' | 'errors' | 'none';
/** What the buttons of a notification do (notifications.ts maps them to commands). */
export type NoticeAction = 'show-logs' | 'restart' | 'open-dashboard' | 'show-engine-output' | 'backup-now';

export interface Notice {
  kind: NotificationKind;
  severity: Severity;
  message: string;
  /** The service it is about, when there is one (Show Logs, Restart act on it). */
  service?: string;
  /** Notices with the same key are the same message for the cooldown. */
  key: string;
  actions: NoticeAction[];
}

/** An engine event, or one of a type this build does not know yet. */
export interface EventLike {
  type: string;
  service?: string;
  at?: number;
  [field: string]: unknown;
}

/** Restart attempts in a row (without a healthy spell resetting the counter) that count as a crash loop. */
export const CRASH_LOOP_ATTEMPTS = 3;
export const DEFAULT_COOLDOWN_MS = 5 * 60_000;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const lastLine = (text: string) => text.trim().split('\n').pop()?.trim() ?? '';
const clip = (text: string, max = 200) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function notice(kind: NotificationKind, severity: Severity, message: string, service: string | undefined, actions: NoticeAction[]): Notice {
  return { kind, severity, message: clip(message, 400), ...(service ? { service } : {}), key: `${kind}:${service ?? ''}`, actions };
}

/** The notice an engine event deserves, if any. */
export function noticeFor(e: EventLike, opts: { crashLoopAttempts?: number } = {}): Notice | undefined {
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
      const why = restarts === undefined ? 'gave up restarting it' : `gave up after ${restarts} restart${restarts === 1 ? '' : 's'}${windowMs ? ` within ${formatDuration(windowMs)}` : ''}`;
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
      return notice('service-crashed', 'warning', `${service ?? 'A service'} ${cause === 'hang' ? 'hung' : cause === 'memory limit' ? 'went over its memory limit' : cause === 'spawn failed' ? 'could not start' : 'crashed'}${detail ? ` (${detail})` : ''}; restarting${delay === undefined ? '' : ` in ${formatDuration(delay)}`}`, subject, ['show-logs']);
    }
    case 'check': {
      if (e.ok !== false) return undefined;
      const output = typeof e.output === 'string' ? clip(lastLine(e.output)) : '';
      return notice('health-failing', 'warning', `${service ?? 'A service'}: full-functionality check failed${output ? `: ${output}` : ''}`, subject, ['show-logs', 'restart']);
    }
  }
  return backupNotice(e, subject) ?? rpoNotice(e, subject);
}

/**
 * Backup, restore and verify events (src/core/backup): `backup` / `restore` / `drill` with a
 * `phase` (started, completed, failed, rolled-back), `verify` with `ok`. Other spellings
 * (`backup-completed`, `backup.failed`, `ok: false`…) are recognised too.
 */
function backupNotice(e: EventLike, subject: string | undefined): Notice | undefined {
  const type = e.type.toLowerCase();
  const what = type.startsWith('restore') ? 'Restore' : type.startsWith('drill') ? 'Recovery drill' : type.startsWith('verify') ? 'Backup verification' : type.startsWith('backup') ? 'Backup' : undefined;
  if (!what) return undefined;
  const phase = str(e.phase) ?? str(e.status) ?? (/(start|progress)/.test(type) ? 'started' : /(fail|error)/.test(type) ? 'failed' : /(complete|done|finish|success)/.test(type) ? 'completed' : undefined);
  if (phase === 'started' || phase === 'progress') return undefined;
  const errors = num(e.errors);
  const failed = phase === 'failed' || phase === 'rolled-back' || e.ok === false || (errors !== undefined && errors > 0) || str(e.error) !== undefined;
  const completed = !failed && (phase === 'completed' || e.ok === true);
  const snapshot = str(e.snapshot) ?? str(e.snapshotId);
  const took = num(e.recoveryMs) ?? num(e.durationMs);
  if (failed) {
    const why = str(e.error) ?? str(e.detail) ?? str(e.message) ?? (errors ? `${errors} error${errors === 1 ? '' : 's'}` : undefined);
    const rolled = phase === 'rolled-back' ? ' and was rolled back' : '';
    return notice('backup-failed', 'error', `${what} failed${rolled}${why ? `: ${why}` : ''}`, subject, ['show-engine-output']);
  }
  if (!completed || what === 'Backup verification' || what === 'Recovery drill') return undefined;
  const rto = num(e.rtoMs);
  const within = e.withinRto === false && rto !== undefined ? ` (over the RTO of ${formatDuration(rto)})` : '';
  const text = `${what} completed${snapshot ? ` (snapshot ${snapshot.slice(0, 12)})` : ''}${took === undefined ? '' : ` in ${formatDuration(took)}`}${within}`;
  return notice('backup-completed', e.withinRto === false ? 'warning' : 'info', text, subject, []);
}

function rpoNotice(e: EventLike, subject: string | undefined): Notice | undefined {
  const type = e.type.toLowerCase();
  if (!type.includes('rpo')) return undefined;
  if (e.ok === true || /(ok|met|recovered)$/.test(type)) return undefined;
  const age = num(e.ageMs) ?? num(e.age_ms);
  const rpo = num(e.rpoMs) ?? num(e.rpo_ms);
  const detail =
    age !== undefined && rpo !== undefined
      ? `: newest good backup is ${formatDuration(age)} old, objective ${formatDuration(rpo)}`
      : rpo !== undefined && age === undefined
        ? `: no good backup yet (objective ${formatDuration(rpo)})`
        : str(e.detail) ?? str(e.message)
          ? `: ${str(e.detail) ?? str(e.message)}`
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

/** A notice about the engine itself (it failed to start, its owner went away, a stream broke). */
export function engineErrorNotice(message: string, key = 'engine', severity: Severity = 'error'): Notice {
  return { kind: 'engine-error', severity, message: clip(message, 400), key: `engine-error:${key}`, actions: ['show-engine-output'] };
}

export interface NotifyPolicyOptions {
  /** Epoch ms now (injected in tests). */
  now?: () => number;
  cooldownMs?: number;
  level: () => NotificationLevel;
  /** Kinds the user silenced ("Don't show again"). */
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

  /** Forget the cooldowns (e.g. after reconnecting to another engine). */
  reset(): void {
    this.lastShown.clear();
  }
}
