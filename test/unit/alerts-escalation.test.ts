/**
 * Alert rules and escalation on a FakeClock, fed the engine's own events through a real EventBus,
 * with the level-2 channel a real command (it appends the alert JSON it reads on stdin to a file)
 * and the state persisted in the stack's .opsdeck/alerts.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AlertManager } from '../../src/core/alerts/manager';
import { readHistory } from '../../src/core/alerts/history';
import { FakeClock } from '../../src/core/clock';
import { EventBus } from '../../src/core/events';
import type { EventOf } from '../../src/core/contract/events';
import { NODE, record, tempStack, type TempStack } from '../helpers/stack';

const MIN = 60_000;
const APPEND_STDIN = "require('fs').appendFileSync('pages.jsonl', require('fs').readFileSync(0, 'utf8'))";

function stack(services: Record<string, unknown> = { storage: { command: [NODE, '-e', '0'] } }, alerts: Record<string, unknown> = {}): TempStack {
  return tempStack({
    version: 1,
    name: 'shop',
    services,
    alerts: {
      rules: { engine_restarted: false, disk_low: false },
      routing: { levels: [{ channels: ['vscode'] }, { after: '10m', channels: ['pager'] }], repeat_interval: '1h' },
      channels: { pager: { type: 'command', argv: [NODE, '-e', APPEND_STDIN] } },
      ...alerts,
    },
  });
}

interface Run {
  t: TempStack;
  bus: EventBus;
  clock: FakeClock;
  manager: AlertManager;
  alertEvents: () => EventOf<'alert'>[];
}

function run(t: TempStack, clock = new FakeClock()): Run {
  const bus = new EventBus();
  const events = record(bus);
  const manager = new AlertManager({ bus, clock, stack: () => t.stack });
  manager.start();
  return { t, bus, clock, manager, alertEvents: () => events.filter((e): e is EventOf<'alert'> => e.type === 'alert') };
}

const down = (r: Run, service: string) => r.bus.emit({ type: 'state', at: r.clock.now(), service, from: 'ready', to: 'backoff', reason: 'exit code 1' });
const up = (r: Run, service: string) => r.bus.emit({ type: 'state', at: r.clock.now(), service, from: 'starting', to: 'ready', reason: 'readiness passed' });
const pages = (t: TempStack) =>
  existsSync(join(t.dir, 'pages.jsonl'))
    ? readFileSync(join(t.dir, 'pages.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { phase: string; level: number; incident: string; service: string })
    : [];

async function advance(r: Run, ms: number): Promise<void> {
  await r.clock.advance(ms);
  await r.manager.idle();
}

describe('alerts: rules and escalation (FakeClock, real events, command channel)', function () {
  this.timeout(30_000);
  const made: Run[] = [];
  const start = (t: TempStack, clock?: FakeClock) => {
    const r = run(t, clock);
    made.push(r);
    return r;
  };
  afterEach(() => {
    for (const r of made.splice(0)) {
      r.manager.stop();
      r.t.cleanup();
    }
  });

  it('for: holds — service_down is pending for 5 minutes, then fires once and opens one incident', async () => {
    const r = start(stack());
    down(r, 'storage');
    assert.deepEqual(r.manager.list().alerts.map((a) => [a.id, a.state]), [['service_down/storage', 'pending']]);
    await advance(r, 4 * MIN + 59_000);
    assert.equal(r.manager.list().alerts[0]!.state, 'pending');
    assert.equal(r.manager.list().incidents.length, 0);
    assert.equal(r.alertEvents().length, 0);
    await advance(r, 1000);
    const view = r.manager.list();
    assert.equal(view.alerts[0]!.state, 'firing');
    assert.equal(view.incidents.length, 1);
    assert.deepEqual(r.alertEvents().map((e) => [e.phase, e.level, e.channels]), [['firing', 1, ['vscode']]]);
  });

  it('level 2 runs its channel after 10 minutes unacknowledged, and not after an acknowledgement', async () => {
    const r = start(stack(undefined, { rules: { engine_restarted: false, disk_low: false, service_down: { for: '0s' } } }));
    down(r, 'storage');
    const id = r.manager.list().incidents[0]!.id;
    await advance(r, 9 * MIN);
    assert.equal(pages(r.t).length, 0, 'no level 2 before 10 minutes');
    await advance(r, 1 * MIN);
    assert.deepEqual(pages(r.t).map((p) => [p.phase, p.level, p.incident]), [['escalated', 2, id]]);

    const r2 = start(stack(undefined, { rules: { engine_restarted: false, disk_low: false, service_down: { for: '0s' } } }));
    down(r2, 'storage');
    await advance(r2, 5 * MIN);
    const acked = r2.manager.ack(r2.manager.list().incidents[0]!.id, { comment: 'on it', by: 'ana' });
    assert.equal(acked.incident.ack?.by, 'ana');
    await advance(r2, 3 * 60 * MIN);
    assert.equal(pages(r2.t).length, 0, 'an acknowledged incident neither escalates nor repeats');
    assert.deepEqual(r2.alertEvents().map((e) => e.phase), ['firing', 'acked']);
  });

  it('a silence holds the pages back while it lasts; when it expires the incident is sent', async () => {
    const r = start(stack(undefined, { rules: { engine_restarted: false, disk_low: false, service_down: { for: '0s' } } }));
    const s = r.manager.silence({ matchers: [{ name: 'service', op: '=', value: 'storage' }], durationMs: 30 * MIN, comment: 'migration' });
    down(r, 'storage');
    const alert = r.manager.list().alerts[0]!;
    assert.equal(alert.silencedBy, s.silence.id);
    await advance(r, 29 * MIN);
    assert.equal(r.alertEvents().length, 0, 'nothing sent while silenced');
    assert.equal(pages(r.t).length, 0);
    await advance(r, 1 * MIN);
    assert.equal(r.manager.list().silences.length, 0, 'the silence expired');
    // 30 minutes in: level 2 is due, and it is the one sent (level 1 is not sent late on top of it).
    assert.deepEqual(r.alertEvents().map((e) => [e.phase, e.level]), [['escalated', 2]]);
    assert.equal(pages(r.t).length, 1);
  });

  it('the resolved message is sent once, to the channels that had the incident', async () => {
    const r = start(stack(undefined, { rules: { engine_restarted: false, disk_low: false, service_down: { for: '0s' } } }));
    down(r, 'storage');
    await advance(r, 10 * MIN);
    up(r, 'storage');
    await advance(r, 0);
    up(r, 'storage');
    await advance(r, 2 * 60 * MIN);
    assert.deepEqual(pages(r.t).map((p) => p.phase), ['escalated', 'resolved']);
    assert.deepEqual(r.alertEvents().map((e) => e.phase), ['firing', 'escalated', 'resolved']);
    assert.equal(r.manager.list().incidents.length, 0);
    const [incident] = r.manager.history().incidents;
    assert.equal(incident!.durationMs, 10 * MIN);
    assert.equal(incident!.level, 2);
  });

  it('inhibition: storage down with 3 dependents down too is one incident, the dependents inhibited by it', async () => {
    const dependent = { command: [NODE, '-e', '0'], depends_on: ['storage'] };
    const t = stack({ storage: { command: [NODE, '-e', '0'], tier: 'storage' }, api: dependent, worker: { ...dependent, tier: 'worker' }, web: { command: [NODE, '-e', '0'], depends_on: ['api'] } }, {
      rules: { engine_restarted: false, disk_low: false, service_down: { for: '1m' } },
    });
    const r = start(t);
    for (const s of ['storage', 'api', 'worker', 'web']) down(r, s);
    await advance(r, 1 * MIN);
    const view = r.manager.list();
    assert.equal(view.alerts.filter((a) => a.state === 'firing').length, 4);
    assert.deepEqual(view.incidents.map((i) => i.service), ['storage']);
    assert.deepEqual(
      view.alerts.filter((a) => a.service !== 'storage').map((a) => [a.service, a.inhibitedBy]).sort(),
      [['api', 'service_down/storage'], ['web', 'service_down/storage'], ['worker', 'service_down/storage']],
    );
    assert.deepEqual(r.alertEvents().map((e) => [e.phase, e.service]), [['firing', 'storage']]);
  });

  it('an engine restart mid-escalation resumes it: level 2 once, level 1 not again, no new incident', async () => {
    const t = stack(undefined, { rules: { engine_restarted: false, disk_low: false, service_down: { for: '0s' } } });
    const clock = new FakeClock();
    const first = start(t, clock);
    down(first, 'storage');
    const id = first.manager.list().incidents[0]!.id;
    await advance(first, 4 * MIN);
    // The engine dies (no clean stop): its subscriptions and timers go with it.
    first.bus.emit = () => undefined;
    (first.manager as unknown as { running: boolean }).running = false;

    await clock.advance(2 * MIN);
    const second = start(t, clock);
    assert.deepEqual(second.manager.list().incidents.map((i) => [i.id, i.level]), [[id, 1]], 'the open incident is carried over');
    down(second, 'storage');
    await advance(second, 4 * MIN);
    assert.equal(pages(t).length, 1, 'level 2 at 10 minutes since the incident opened');
    await advance(second, 20 * MIN);
    assert.deepEqual(pages(t).map((p) => [p.phase, p.level, p.incident]), [['escalated', 2, id]]);
    assert.deepEqual(second.alertEvents().map((e) => [e.phase, e.level]), [['escalated', 2]], 'level 1 is not sent again');
    const opened = readHistory(join(t.dir, '.opsdeck', 'alerts')).filter((h) => h.kind === 'opened');
    assert.equal(opened.length, 1);
  });
});
