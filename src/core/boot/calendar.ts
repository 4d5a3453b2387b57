/**
 * A schedule of opsdeck.yaml (a cron expression: minute hour day-of-month month day-of-week)
 * written for each init system: systemd's OnCalendar= and launchd's StartCalendarInterval. Each
 * field becomes the list of its values (ranges and steps expanded); `@hourly`, `@daily`,
 * `@weekly`, `@monthly` and `@yearly` are understood. What cannot be expressed (seconds, `L`,
 * `#`, both day fields restricted, which cron joins with OR and the others with AND) is an error
 * that says so.
 */
import { OpsError } from '../errors';

/** Each field: its values, or undefined for `*`. */
export interface CronFields {
  minute?: number[];
  hour?: number[];
  day?: number[];
  month?: number[];
  weekday?: number[];
}

const NICKNAMES: Record<string, string> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const RANGES: [keyof CronFields, number, number, string[]?, number?][] = [
  ['minute', 0, 59],
  ['hour', 0, 23],
  ['day', 1, 31],
  ['month', 1, 12, MONTHS, 1],
  ['weekday', 0, 7, DAYS, 0],
];

const unsupported = (expr: string, why: string) =>
  new OpsError('BAD_REQUEST', `the schedule "${expr}" cannot be written for an init system: ${why}`, 'use a 5-field cron expression of numbers, *, ranges (1-5), lists (1,15) and steps (*/10)');

/** The fields of a 5-field cron expression. */
export function parseCron(expr: string): CronFields {
  const text = NICKNAMES[expr.trim().toLowerCase()] ?? expr.trim();
  const parts = text.split(/\s+/);
  if (parts.length !== 5) throw unsupported(expr, `it has ${parts.length} fields, not 5`);
  const out: CronFields = {};
  parts.forEach((part, i) => {
    const [key, min, max, names, base] = RANGES[i]!;
    if (part === '*' || part === '?') return;
    const values = new Set<number>();
    for (const item of part.split(',')) {
      const m = /^(\*|[a-z0-9]+)(?:-([a-z0-9]+))?(?:\/(\d+))?$/i.exec(item);
      if (!m) throw unsupported(expr, `"${item}" is not a number, range, list or step`);
      const num = (s: string) => {
        const at = names?.indexOf(s.toLowerCase().slice(0, 3)) ?? -1;
        const n = at >= 0 && /^[a-z]/i.test(s) ? at + (base ?? 0) : Number(s);
        if (!Number.isInteger(n) || n < min || n > max) throw unsupported(expr, `${s} is out of range for the ${key} (${min}-${max})`);
        return n;
      };
      const from = m[1] === '*' ? min : num(m[1]!);
      const to = m[2] ? num(m[2]) : m[1] === '*' || m[3] ? max : from;
      const step = m[3] ? Number(m[3]) : 1;
      if (step < 1) throw unsupported(expr, 'a step must be at least 1');
      for (let v = from; v <= to; v += step) values.add(key === 'weekday' && v === 7 ? 0 : v);
    }
    out[key] = [...values].sort((a, b) => a - b);
  });
  if (out.day && out.weekday) throw unsupported(expr, 'it restricts both the day of the month and the day of the week (cron means either, the init systems both)');
  return out;
}

const pad = (n: number) => String(n).padStart(2, '0');
const list = (values: number[] | undefined) => (values ? values.map(pad).join(',') : '*');
const SYSTEMD_DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** systemd's OnCalendar= (systemd.time(7)): `[Weekdays] *-MM-DD HH:MM:00`. */
export function onCalendar(expr: string): string {
  const f = parseCron(expr);
  const days = f.weekday ? `${f.weekday.map((d) => SYSTEMD_DAYS[d]).join(',')} ` : '';
  return `${days}*-${list(f.month)}-${list(f.day)} ${list(f.hour)}:${list(f.minute)}:00`;
}

/** launchd's StartCalendarInterval: one dictionary, or one per combination of the listed values. */
export function startCalendarInterval(expr: string): Record<string, number>[] {
  const f = parseCron(expr);
  const keys: [keyof CronFields, string][] = [['minute', 'Minute'], ['hour', 'Hour'], ['day', 'Day'], ['month', 'Month'], ['weekday', 'Weekday']];
  let combos: Record<string, number>[] = [{}];
  for (const [key, plistKey] of keys) {
    const values = f[key];
    if (!values) continue;
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [plistKey]: v })));
  }
  if (combos.length > 1000) throw unsupported(expr, `it needs ${combos.length} launchd calendar entries`);
  return combos;
}
