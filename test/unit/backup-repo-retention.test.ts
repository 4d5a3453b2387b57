import assert from 'node:assert/strict';
import { applyRetention, parseWithin } from '../../src/core/backup/repo';
import { FakeClock } from '../../src/core/clock';
import { OpsError } from '../../src/core/errors';

interface Snap {
  id: string;
  time: number;
  tags?: string[];
}

const H = 3_600_000;
const D = 24 * H;
const iso = (t: number) => new Date(t).toISOString().slice(0, 16);

/** Snapshots taken every `everyMs` for `count` steps on a FakeClock, oldest first. */
function history(clock: FakeClock, everyMs: number, count: number): Snap[] {
  const out: Snap[] = [];
  for (let i = 0; i < count; i++) {
    out.push({ id: `s${String(i).padStart(5, '0')}`, time: clock.now() });
    void clock.advance(everyMs);
  }
  return out;
}

const kept = (r: ReturnType<typeof applyRetention<Snap>>) => r.keep.map((k) => iso(k.snapshot.time));
const reasons = (r: ReturnType<typeof applyRetention<Snap>>) => Object.fromEntries(r.keep.map((k) => [iso(k.snapshot.time), k.reasons]));
const UTC = { timeZone: 'UTC' as const };

describe('backup repository: retention (restic semantics, injected clock)', () => {
  it('keep-last keeps the n newest', () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const snaps = history(clock, H, 10);
    const r = applyRetention(snaps, { last: 3 }, UTC);
    assert.deepEqual(kept(r), ['2026-01-01T09:00', '2026-01-01T08:00', '2026-01-01T07:00']);
    assert.equal(r.remove.length, 7);
    assert.deepEqual(r.keep[0]!.reasons, ['last']);
  });

  it('daily, weekly, monthly, yearly keep the newest snapshot of each calendar period', () => {
    // every 6 hours from 2024-11-03 to 2026-01-01 (an injected clock, not the machine's)
    const clock = new FakeClock(Date.UTC(2024, 10, 3, 3));
    const snaps = history(clock, 6 * H, 4 * 424);
    const r = applyRetention(snaps, { daily: 3, weekly: 2, monthly: 3, yearly: 3 }, UTC);
    const why = reasons(r);
    // newest is 2025-12-31T21:00 (a Wednesday)
    assert.deepEqual(why['2025-12-31T21:00'], ['daily', 'weekly', 'monthly', 'yearly']);
    assert.deepEqual(why['2025-12-30T21:00'], ['daily']);
    assert.deepEqual(why['2025-12-29T21:00'], ['daily']);
    // the previous ISO week (2025-W52) ends on Sunday 2025-12-28
    assert.deepEqual(why['2025-12-28T21:00'], ['weekly']);
    assert.deepEqual(why['2025-11-30T21:00'], ['monthly']);
    assert.deepEqual(why['2025-10-31T21:00'], ['monthly']);
    assert.deepEqual(why['2024-12-31T21:00'], ['yearly']);
    // yearly wants a third year: the oldest snapshot stands for 2024's start (restic >= 0.17)
    assert.deepEqual(why['2024-11-03T03:00'], ['oldest (yearly)']);
    assert.equal(r.keep.length, 8);
    assert.equal(r.keep.length + r.remove.length, snaps.length);
  });

  it('weekly uses ISO weeks across the year boundary', () => {
    // Mon 2025-12-29 and Thu 2026-01-01 are both in 2026-W01; Sun 2025-12-28 is 2025-W52
    const snaps: Snap[] = [
      { id: 'a', time: Date.UTC(2025, 11, 28, 12) },
      { id: 'b', time: Date.UTC(2025, 11, 29, 12) },
      { id: 'c', time: Date.UTC(2026, 0, 1, 12) },
    ];
    const r = applyRetention(snaps, { weekly: 5 }, UTC);
    assert.deepEqual(r.keep.map((k) => k.snapshot.id), ['c', 'a']);
    assert.deepEqual(r.remove.map((s) => s.id), ['b']);
  });

  it('within is relative to the newest snapshot, not to now; anchor "now" is available', () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const snaps = history(clock, D, 30); // Jan 1 … Jan 30
    const later = clock.now() + 365 * D; // a year later: restic still keeps the last week of snapshots
    const r = applyRetention(snaps, { within: '7d' }, { ...UTC, now: later });
    assert.equal(r.keep.length, 7); // strictly newer than Jan 23 00:00
    assert.deepEqual(r.keep.at(-1)!.reasons, ['within 7d']);
    assert.equal(applyRetention(snaps, { within: '7d' }, { ...UTC, now: later, anchor: 'now' }).keep.length, 0);
    // months are calendar months
    const m = applyRetention(snaps, { within: '1m' }, { ...UTC, now: later });
    assert.equal(m.keep.length, 30);
  });

  it('within-daily keeps one per day inside the window, plus the oldest when the window reaches past it', () => {
    const clock = new FakeClock(Date.UTC(2026, 2, 1));
    const snaps = history(clock, 6 * H, 4 * 10); // 10 days, 4 a day
    const r = applyRetention(snaps, { withinDaily: '3d' }, UTC);
    // strictly newer than 2026-03-07T18:00
    assert.deepEqual(kept(r), ['2026-03-10T18:00', '2026-03-09T18:00', '2026-03-08T18:00']);
    const all = applyRetention(snaps, { withinDaily: '30d' }, UTC);
    assert.equal(all.keep.length, 11); // 10 days + the oldest
    assert.deepEqual(all.keep.at(-1)!.reasons, ['oldest (within-daily 30d)']);
  });

  it('-1 keeps every period; tags keep tagged snapshots; rules combine with OR', () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const snaps = history(clock, 8 * H, 9); // 3 days, 3 a day
    snaps[1]!.tags = ['pre-upgrade'];
    const r = applyRetention(snaps, { daily: -1, tags: ['pre-upgrade'] }, UTC);
    assert.deepEqual(kept(r), ['2026-01-03T16:00', '2026-01-02T16:00', '2026-01-01T16:00', '2026-01-01T08:00']);
    assert.deepEqual(r.keep.at(-1)!.reasons, ['tag pre-upgrade']);
  });

  it('monthly on a short history keeps the newest of each month and the oldest snapshot', () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 10));
    const snaps = history(clock, 10 * D, 8); // Jan 10 … Mar 21
    const r = applyRetention(snaps, { monthly: 12 }, UTC);
    assert.deepEqual(reasons(r), {
      '2026-03-21T00:00': ['monthly'],
      '2026-02-19T00:00': ['monthly'],
      '2026-01-30T00:00': ['monthly'],
      '2026-01-10T00:00': ['oldest (monthly)'],
    });
  });

  it('calendar periods follow the chosen time zone', () => {
    // 23:30 UTC on Jan 1 and 00:30 UTC on Jan 2: two days in UTC
    const snaps: Snap[] = [
      { id: 'a', time: Date.UTC(2026, 0, 1, 23, 30) },
      { id: 'b', time: Date.UTC(2026, 0, 2, 0, 30) },
    ];
    assert.equal(applyRetention(snaps, { daily: 5 }, UTC).keep.length, 2);
  });

  it('an empty policy keeps everything; invalid values are OpsErrors', () => {
    const snaps: Snap[] = [{ id: 'a', time: 1 }];
    assert.deepEqual(applyRetention(snaps, {}, UTC).keep[0]!.reasons, ['no policy']);
    for (const bad of [{ daily: 1.5 }, { last: -2 }, { within: '7x' }, { within: '7 d' }, { withinDaily: 'soon' }]) {
      assert.throws(
        () => applyRetention(snaps, bad, UTC),
        (e: unknown) => e instanceof OpsError && e.code === 'BACKUP_POLICY_INVALID',
        JSON.stringify(bad),
      );
    }
  });

  it('parses restic durations (m = months)', () => {
    assert.deepEqual(parseWithin('1y5m7d2h'), { years: 1, months: 5, days: 7, hours: 2, text: '1y5m7d2h' });
    assert.deepEqual(parseWithin('36h'), { years: 0, months: 0, days: 0, hours: 36, text: '36h' });
  });
});
