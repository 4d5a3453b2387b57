/**
 * Retention, with restic's `forget --keep-*` semantics, as a pure function.
 *
 * Snapshots are taken newest first. `last` keeps the n newest. Each calendar rule (hourly, daily,
 * weekly = ISO week, monthly, yearly) keeps the newest snapshot of each of the n most recent
 * periods that have a snapshot (-1: every period). `within 1y5m7d2h` keeps every snapshot newer
 * than that duration before the newest snapshot (restic anchors there, not at "now");
 * `withinDaily 1m` etc. keep the newest snapshot of each period within such a duration. `tags`
 * keeps every snapshot with one of the tags (`a,b` = both). As in restic ≥ 0.17, when a calendar
 * rule still has periods to fill after the last snapshot (or a within-rule's duration reaches
 * past the oldest snapshot), the oldest snapshot is kept too: it stands for the oldest period.
 * A snapshot is kept when any rule keeps it; each kept snapshot lists the rules.
 */
import { OpsError } from '../../errors';
import type { RetentionOptions, RetentionPolicy, RetentionResult } from './model';

export interface WithinDuration {
  years: number;
  months: number;
  days: number;
  hours: number;
  text: string;
}

function invalid(message: string): OpsError {
  return new OpsError(
    'BACKUP_POLICY_INVALID',
    message,
    'keep counts are whole numbers (-1 = unlimited); durations look like 7d, 2m (months), 1y6m, 36h',
  );
}

/** restic's duration form: `1y5m7d2h` (y years, m months, d days, h hours). */
export function parseWithin(text: string): WithinDuration {
  const s = text.trim();
  const re = /(\d+)([ymdh])/gy;
  const out: WithinDuration = { years: 0, months: 0, days: 0, hours: 0, text: s };
  let pos = 0;
  if (!s) throw invalid('empty keep-within duration');
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw invalid(`invalid keep-within duration ${JSON.stringify(text)}`);
    const n = Number(m[1]);
    if (m[2] === 'y') out.years += n;
    else if (m[2] === 'm') out.months += n;
    else if (m[2] === 'd') out.days += n;
    else out.hours += n;
    pos = re.lastIndex;
  }
  return out;
}

type Zone = 'local' | 'UTC';

interface Parts {
  y: number;
  mo: number;
  d: number;
  h: number;
}

function parts(t: number, zone: Zone): Parts {
  const dt = new Date(t);
  return zone === 'UTC'
    ? { y: dt.getUTCFullYear(), mo: dt.getUTCMonth() + 1, d: dt.getUTCDate(), h: dt.getUTCHours() }
    : { y: dt.getFullYear(), mo: dt.getMonth() + 1, d: dt.getDate(), h: dt.getHours() };
}

function isoWeek(p: Parts): number {
  const day = Date.UTC(p.y, p.mo - 1, p.d);
  const dow = (new Date(day).getUTCDay() + 6) % 7; // Monday 0
  const thursday = day + (3 - dow) * 86_400_000;
  const wy = new Date(thursday).getUTCFullYear();
  const week = 1 + Math.floor((thursday - Date.UTC(wy, 0, 1)) / (7 * 86_400_000));
  return wy * 100 + week;
}

const CAL = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
type Cal = (typeof CAL)[number];

function bucketOf(rule: Cal, t: number, zone: Zone): number {
  const p = parts(t, zone);
  switch (rule) {
    case 'hourly':
      return ((p.y * 100 + p.mo) * 100 + p.d) * 100 + p.h;
    case 'daily':
      return (p.y * 100 + p.mo) * 100 + p.d;
    case 'weekly':
      return isoWeek(p);
    case 'monthly':
      return p.y * 100 + p.mo;
    case 'yearly':
      return p.y;
  }
}

/** `t` minus a within-duration, calendar-aware (month and year lengths) in the given zone. */
export function subtractWithin(t: number, d: WithinDuration, zone: Zone): number {
  const dt = new Date(t);
  if (zone === 'UTC') {
    dt.setUTCFullYear(dt.getUTCFullYear() - d.years, dt.getUTCMonth() - d.months, dt.getUTCDate() - d.days);
  } else {
    dt.setFullYear(dt.getFullYear() - d.years, dt.getMonth() - d.months, dt.getDate() - d.days);
  }
  return dt.getTime() - d.hours * 3_600_000;
}

const WITHIN_KEYS = { withinHourly: 'hourly', withinDaily: 'daily', withinWeekly: 'weekly', withinMonthly: 'monthly', withinYearly: 'yearly' } as const;

export function isEmptyPolicy(p: RetentionPolicy): boolean {
  return (
    !p.last &&
    CAL.every((k) => !p[k]) &&
    !p.within &&
    Object.keys(WITHIN_KEYS).every((k) => !p[k as keyof typeof WITHIN_KEYS]) &&
    !(p.tags && p.tags.length)
  );
}

function count(p: RetentionPolicy, k: 'last' | Cal): number {
  const v = p[k];
  if (v === undefined) return 0;
  if (!Number.isInteger(v) || v < -1) throw invalid(`keep-${k} must be a whole number (or -1 for unlimited), got ${String(v)}`);
  return v;
}

const timeOf = (s: { time: string | number | Date }) => (typeof s.time === 'number' ? s.time : new Date(s.time).getTime());

/**
 * Which snapshots the policy keeps, and why. Pure: the only inputs are the snapshots, the policy,
 * and the options (time zone for calendar periods; `anchor: 'now'` with `now` anchors the
 * within-rules at that time instead of at the newest snapshot).
 */
export function applyRetention<T extends { id: string; time: string | number | Date; tags?: string[] }>(
  snapshots: readonly T[],
  policy: RetentionPolicy,
  options: RetentionOptions = {},
): RetentionResult<T> {
  const zone: Zone = options.timeZone ?? 'local';
  const list = snapshots
    .map((s, i) => ({ s, t: timeOf(s), i }))
    .sort((a, b) => b.t - a.t || (a.s.id < b.s.id ? 1 : a.s.id > b.s.id ? -1 : 0) || a.i - b.i);
  if (isEmptyPolicy(policy)) return { keep: list.map(({ s }) => ({ snapshot: s, reasons: ['no policy'] })), remove: [] };

  const rules: { name: string; remaining: number; bucket: (t: number, i: number) => number | string; last?: number | string }[] = [];
  const last = count(policy, 'last');
  if (last) rules.push({ name: 'last', remaining: last, bucket: (_t, i) => i });
  for (const k of CAL) {
    const n = count(policy, k);
    if (n) rules.push({ name: k, remaining: n, bucket: (t) => bucketOf(k, t, zone) });
  }
  const anchorNow = options.anchor === 'now';
  const nowMs = options.now === undefined ? Date.now() : typeof options.now === 'number' ? options.now : options.now.now();
  const newest = list.length ? list[0]!.t : nowMs;
  const anchor = anchorNow ? nowMs : newest;
  const within = policy.within ? parseWithin(policy.within) : undefined;
  const withinFrom = within ? subtractWithin(anchor, within, zone) : 0;
  const withinRules = (Object.keys(WITHIN_KEYS) as (keyof typeof WITHIN_KEYS)[])
    .filter((k) => policy[k])
    .map((k) => {
      const d = parseWithin(policy[k]!);
      return { name: `within-${WITHIN_KEYS[k]} ${d.text}`, cal: WITHIN_KEYS[k], from: subtractWithin(anchor, d, zone), last: undefined as number | undefined };
    });
  const tagLists = (policy.tags ?? []).map((t) => t.split(',').map((x) => x.trim()).filter(Boolean)).filter((l) => l.length);

  const reasons = new Map<number, string[]>();
  const add = (i: number, r: string) => {
    const l = reasons.get(i);
    if (l) l.push(r);
    else reasons.set(i, [r]);
  };
  list.forEach(({ s, t }, i) => {
    for (const tl of tagLists) if (tl.every((tag) => s.tags?.includes(tag))) add(i, `tag ${tl.join(',')}`);
    if (within && t > withinFrom) add(i, `within ${within.text}`);
    for (const r of rules) {
      if (r.remaining === 0) continue;
      const b = r.bucket(t, i);
      if (b !== r.last) {
        r.last = b;
        if (r.remaining > 0) r.remaining--;
        add(i, r.name);
      }
    }
    for (const w of withinRules) {
      if (t <= w.from) continue;
      const b = bucketOf(w.cal, t, zone);
      if (b !== w.last) {
        w.last = b;
        add(i, w.name);
      }
    }
  });
  // restic >= 0.17: a calendar rule with periods left to fill also keeps the oldest snapshot
  if (list.length) {
    const oldest = list.length - 1;
    const t = list[oldest]!.t;
    const has = (name: string) => reasons.get(oldest)?.includes(name) ?? false;
    for (const r of rules) if (r.name !== 'last' && r.remaining > 0 && !has(r.name)) add(oldest, `oldest (${r.name})`);
    for (const w of withinRules) if (w.from < t && !has(w.name)) add(oldest, `oldest (${w.name})`);
  }
  const keep: RetentionResult<T>['keep'] = [];
  const remove: T[] = [];
  list.forEach(({ s }, i) => {
    const r = reasons.get(i);
    if (r) keep.push({ snapshot: s, reasons: [...new Set(r)] });
    else remove.push(s);
  });
  return { keep, remove };
}
