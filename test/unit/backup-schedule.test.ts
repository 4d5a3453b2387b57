import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeClock } from '../../src/core/clock';
import { Engine } from '../../src/core/engine';
import { eventText } from '../../src/core/memory/event-text';
import { record, tempStack, type TempStack } from '../helpers/stack';
import type { EngineEvent, EventOf } from '../../src/core/contract/events';

const HOUR = 3_600_000;

/** A stack whose one service declares a files backup, an RPO of 1 h, and an hourly schedule. */
function stack(backup: Record<string, unknown>): TempStack {
  const t = tempStack({
    version: 1,
    name: 'sched',
    backup,
    services: {
      app: { command: ['node', '-e', 'setInterval(() => {}, 1000)'], backup: { files: ['data/'] }, rpo: '1h', rto: '30s' },
      other: { command: ['node', '-e', 'setInterval(() => {}, 1000)'] },
    },
  });
  mkdirSync(join(t.dir, 'data'));
  writeFileSync(join(t.dir, 'data', 'a.txt'), 'hello');
  return t;
}

const ofType = <T extends EngineEvent['type']>(events: EngineEvent[], type: T) => events.filter((e): e is EventOf<T> => e.type === type);

/** Advance the fake clock in steps, letting the real I/O of each job finish in between. */
async function advance(clock: FakeClock, ms: number, step = 10 * 60_000): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    await clock.advance(Math.min(step, ms - t));
    await new Promise((r) => setTimeout(r, 30));
  }
}

async function settle(pred: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('backup: schedule, retention and the RPO watch on an injected clock', function () {
  this.timeout(30_000);
  let t: TempStack;
  let engine: Engine | undefined;
  afterEach(async () => {
    await engine?.dispose();
    engine = undefined;
    t?.cleanup();
  });

  it('runs the cron schedule at its times, applies retention after each run, and says so in events', async () => {
    t = stack({ schedule: '0 * * * *', retention: { keep_last: 2 } });
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 10, 30));
    engine = new Engine(t.stack, { clock });
    const events = record(engine.bus);
    engine.backups.start();
    const status = await engine.backups.status();
    assert.equal(status.schedule!.next, '2026-01-01T11:00:00.000Z');

    await advance(clock, 29 * 60_000);
    assert.equal(ofType(events, 'backup').length, 0, 'nothing before 11:00');
    for (let h = 1; h <= 3; h++) {
      await advance(clock, HOUR / 2 + (h === 1 ? 60_000 : 0));
      await settle(() => ofType(events, 'retention').length >= h, `retention ${h}`);
      await advance(clock, HOUR / 2 - (h === 1 ? 60_000 : 0));
    }
    const done = ofType(events, 'backup').filter((e) => e.phase === 'completed');
    assert.equal(done.length, 3);
    assert.ok(done.every((e) => e.trigger === 'schedule' && e.tags.includes('schedule')));
    const started = ofType(events, 'backup').filter((e) => e.phase === 'started');
    assert.deepEqual(started.map((e) => new Date(e.at).toISOString().slice(11, 19)), ['11:00:00', '12:00:00', '13:00:00']);
    const retention = ofType(events, 'retention');
    assert.deepEqual(retention.map((r) => r.forgotten.length), [0, 0, 1]);
    assert.equal((await engine.backups.list()).snapshots.length, 2, 'keep_last 2');
    assert.match(eventText(done[0]!), /^schedule backup of app \[schedule\] completed: snapshot \w+, 2 files \(2 new, 0 changed, 0 unchanged\)/);
    assert.match(eventText(retention[2]!), /^schedule retention: kept 2 snapshots, forgot 1 \(\w+\)/);
    assert.equal(engine.backups.history.read().jobs.backup!.ok, true);
  });

  it('emits an rpo breach when the newest good backup gets older than the RPO, and an all-clear after the next backup', async () => {
    t = stack({ rpo_check_interval: '5m' });
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 8, 0));
    engine = new Engine(t.stack, { clock });
    const events = record(engine.bus);
    await engine.backups.backup();
    engine.backups.start();
    await advance(clock, 55 * 60_000);
    assert.equal(ofType(events, 'rpo').length, 0, 'within the RPO: quiet');
    await advance(clock, 10 * 60_000);
    await settle(() => ofType(events, 'rpo').length === 1, 'the breach');
    const breach = ofType(events, 'rpo')[0]!;
    assert.equal(breach.service, 'app');
    assert.equal(breach.ok, false);
    assert.equal(breach.rpoMs, HOUR);
    assert.ok(breach.ageMs! > HOUR && breach.ageMs! <= HOUR + 5 * 60_000, String(breach.ageMs));
    assert.match(eventText(breach), /^RPO breach: newest good backup of app is 1(\.\d)?h old \(snapshot \w{8}\), RPO 1h$/);
    await advance(clock, 30 * 60_000);
    assert.equal(ofType(events, 'rpo').length, 1, 'one event per change, not one per check');
    const status = await engine.backups.status();
    assert.equal(status.services.find((s) => s.service === 'app')!.rpo, 'breach');
    assert.equal(status.services.find((s) => s.service === 'other')!.rpo, 'none');

    await engine.backups.backup();
    await settle(() => ofType(events, 'rpo').length === 2, 'the all-clear');
    assert.equal(ofType(events, 'rpo')[1]!.ok, true);
    assert.match(eventText(ofType(events, 'rpo')[1]!), /^RPO met again: newest good backup of app is 0ms old/);
  });

  it('a service with an RPO and no backup at all is in breach from the start', async () => {
    t = stack({});
    const clock = new FakeClock();
    engine = new Engine(t.stack, { clock });
    const events = record(engine.bus);
    engine.backups.start();
    await clock.advance(0);
    await settle(() => ofType(events, 'rpo').length === 1, 'the breach');
    assert.equal(ofType(events, 'rpo')[0]!.detail, 'app has no good backup at all, RPO 1h');
  });

  it('scheduled verification reads a rotating subset of the data', async () => {
    t = stack({ verify_schedule: '0 3 * * *', verify_subset: '1/3' });
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 2, 0));
    engine = new Engine(t.stack, { clock });
    const events = record(engine.bus);
    await engine.backups.backup();
    engine.backups.start();
    for (let day = 0; day < 4; day++) {
      await advance(clock, 24 * HOUR, 4 * HOUR);
      await settle(() => ofType(events, 'verify').length === day + 1, `verify ${day + 1}`);
    }
    const v = ofType(events, 'verify');
    assert.deepEqual(v.map((e) => e.subset), ['1/3', '2/3', '3/3', '1/3']);
    assert.ok(v.every((e) => e.ok && e.trigger === 'schedule' && e.readData));
  });
});
