import assert from 'node:assert/strict';
import { engineErrorNotice, healthNotice, healthRows, IncidentBook, noticeFor as noticeForEvent, NotifyPolicy, resolutionMessage, resultNotice, type NotificationLevel } from '../../src/extension/notify-policy';
import type { EngineEvent } from '../../src/core/contract/events';

/** The events below carry only the fields a notice reads. */
const noticeFor = (e: object, opts?: Parameters<typeof noticeForEvent>[1]) => noticeForEvent(e as EngineEvent, opts);

const at = Date.UTC(2026, 0, 1);

/** A health result's services: storage OK, messaging stopped, api degraded by it. */
const THREE_SERVICES = [
  { service: 'storage', level: 'OK', reason: 'ready' },
  { service: 'messaging', level: 'UNKNOWN', reason: 'not running: stopped' },
  { service: 'api', level: 'WARNING', reason: 'degraded: upstream: messaging' },
];

describe('extension notifications: which events notify', () => {
  it('IPC: only a rise to critical, as a warning with Open Dashboard', () => {
    const n = noticeFor({ type: 'ipc', at, service: 'storage', from: 'warn', to: 'critical', score: 93, summary: 'storage p95 240 ms' });
    assert.equal(n?.kind, 'ipc-high');
    assert.equal(n?.severity, 'warning');
    assert.deepEqual(n?.actions, ['open-dashboard']);
    assert.match(n!.message, /critical \(93\): storage p95 240 ms/);
    assert.equal(noticeFor({ type: 'ipc', at, service: 'stack', from: 'ok', to: 'warn', score: 75, summary: '' }), undefined);
    assert.equal(noticeFor({ type: 'ipc', at, service: 'stack', from: 'critical', to: 'warn', score: 60, summary: '' }), undefined);
  });

  it('a service that failed (gave up, or state failed) is an error with Show Logs and Restart, one key per service', () => {
    const gave = noticeFor({ type: 'gave-up', at, service: 'api', restarts: 5, windowMs: 120_000 });
    assert.equal(gave?.kind, 'service-failed');
    assert.equal(gave?.severity, 'error');
    assert.equal(gave?.service, 'api');
    assert.deepEqual(gave?.actions, ['show-logs', 'restart']);
    assert.match(gave!.message, /api failed: gave up after 5 restarts within 2m/);
    const state = noticeFor({ type: 'state', at, service: 'api', from: 'backoff', to: 'failed', reason: 'gave up' });
    assert.equal(state?.key, gave?.key, 'gave-up and state→failed are the same message for the cooldown');
    assert.equal(noticeFor({ type: 'state', at, service: 'api', from: 'starting', to: 'ready', reason: '' }), undefined);
  });

  it('a crash is a heads-up; crash-looping from the third restart attempt in a row is another message', () => {
    const ev = (attempt: number, cause = 'crash') => ({ type: 'restart', at, service: 'storage', attempt, delayMs: 600, cause, detail: 'exit code 1' });
    const first = noticeFor(ev(1));
    assert.equal(first?.kind, 'service-crashed');
    assert.equal(first?.severity, 'warning');
    assert.equal(first?.message, 'storage crashed (exit code 1); restarting in 600ms');
    assert.deepEqual(first?.actions, ['show-logs']);
    assert.equal(noticeFor(ev(2))?.key, first?.key, 'a second crash is the same message for the cooldown');
    assert.match(noticeFor(ev(1, 'hang'))!.message, /^storage hung/);
    assert.equal(noticeFor(ev(1, 'exit')), undefined, 'a clean exit restarted by policy is not a crash');
    const n = noticeFor(ev(3));
    assert.equal(n?.kind, 'crash-loop');
    assert.equal(n?.severity, 'warning');
    assert.match(n!.message, /storage is crash-looping \(restart 3, crash: exit code 1\)/);
    assert.notEqual(n?.key, first?.key, 'crash-looping is not suppressed by the cooldown of the first crash');
    assert.equal(noticeFor(ev(2), { crashLoopAttempts: 2 })?.kind, 'crash-loop');
  });

  it('a health check result that is not OK (Run Health Check)', () => {
    assert.equal(healthNotice({ level: 'OK', summary: '3/3 OK', services: [] }), undefined);
    const n = healthNotice({
      level: 'UNKNOWN',
      summary: '1/3 OK (messaging UNKNOWN, api WARNING)',
      services: THREE_SERVICES,
    });
    assert.equal(n?.kind, 'health-failing');
    assert.equal(n?.severity, 'warning');
    assert.equal(n?.service, 'api');
    assert.equal(n?.message, 'Health UNKNOWN: 1/3 OK (messaging UNKNOWN, api WARNING) — api: degraded: upstream: messaging');
    assert.equal(healthNotice({ level: 'CRITICAL', summary: '', services: [{ service: 'a', level: 'CRITICAL', reason: 'failed' }] })?.severity, 'error');
    const checkEvent = noticeFor({ type: 'check', at, service: 'api', ok: false, durationMs: 5, output: 'x' });
    assert.equal(n?.key, checkEvent?.key, "a failing check event and the health result about the same service share the cooldown");
  });

  it('a failing full-functionality check, with the last line of its output', () => {
    const n = noticeFor({ type: 'check', at, service: 'storage', ok: false, durationMs: 40, output: 'writing k1\nread back: wrong value' });
    assert.equal(n?.kind, 'health-failing');
    assert.match(n!.message, /check failed: read back: wrong value$/);
    assert.equal(noticeFor({ type: 'check', at, service: 'storage', ok: true, durationMs: 40, output: '' }), undefined);
  });

  it('backups: completed is info, failed is an error, started is nothing', () => {
    const base = { type: 'backup', at, service: 'stack', trigger: 'manual', services: ['storage'], tags: [] };
    assert.equal(noticeFor({ ...base, phase: 'started' }), undefined);
    const ok = noticeFor({ ...base, phase: 'completed', snapshot: 'abcdef0123456789', durationMs: 1500 });
    assert.equal(ok?.kind, 'backup-completed');
    assert.equal(ok?.severity, 'info');
    assert.match(ok!.message, /snapshot abcdef012345\) in 1.5s/);
    const bad = noticeFor({ ...base, phase: 'failed', error: 'no space left on device' });
    assert.equal(bad?.kind, 'backup-failed');
    assert.equal(bad?.severity, 'error');
    assert.match(bad!.message, /Backup failed: no space left on device/);
    assert.equal(noticeFor({ type: 'restore', at, service: 'storage', phase: 'rolled-back', snapshot: 's1', error: 'gate failed' })?.message, 'Restore failed and was rolled back: gate failed');
    assert.equal(noticeFor({ type: 'verify', at, service: 'stack', ok: false, errors: 2 })?.kind, 'backup-failed');
    assert.equal(noticeFor({ type: 'verify', at, service: 'stack', ok: true, errors: 0 }), undefined);
  });

  it('RPO breached is a warning with Backup Now; recovered is nothing', () => {
    const n = noticeFor({ type: 'rpo', at, service: 'storage', ok: false, rpoMs: 3_600_000, ageMs: 5_400_000, detail: '' });
    assert.equal(n?.kind, 'rpo-breached');
    assert.deepEqual(n?.actions, ['backup-now']);
    assert.match(n!.message, /storage is past its recovery point objective: newest good backup is 1.5h old, objective 1h/);
    assert.equal(noticeFor({ type: 'rpo', at, service: 'storage', ok: true, rpoMs: 3_600_000, detail: '' }), undefined);
  });

  it('ignores everything else', () => {
    for (const type of ['spawn', 'exit', 'probe', 'log', 'limit', 'retry-reset', 'something-new']) assert.equal(noticeFor({ type, at, service: 'x' }), undefined, type);
  });

  it('engine errors are errors with Show Engine Output', () => {
    const n = engineErrorNotice('the engine could not start', 'start');
    assert.equal(n.kind, 'engine-error');
    assert.equal(n.severity, 'error');
    assert.deepEqual(n.actions, ['show-engine-output']);
  });
});

describe('extension notifications: the policy', () => {
  function setup(level: NotificationLevel = 'all', silenced: string[] = []) {
    let now = at;
    const state = { level, silenced };
    const policy = new NotifyPolicy({ now: () => now, cooldownMs: 60_000, level: () => state.level, silenced: () => state.silenced });
    return { policy, state, advance: (ms: number) => (now += ms) };
  }
  const failed = noticeFor({ type: 'gave-up', at, service: 'api', restarts: 5, windowMs: 1 })!;
  const failedOther = noticeFor({ type: 'gave-up', at, service: 'storage', restarts: 5, windowMs: 1 })!;
  const ipc = noticeFor({ type: 'ipc', at, service: 'stack', from: 'ok', to: 'critical', score: 95, summary: '' })!;
  const backup = noticeFor({ type: 'backup', at, service: 'stack', phase: 'completed' })!;

  it('does not repeat the same notice within the cooldown, and does after it', () => {
    const { policy, advance } = setup();
    assert.deepEqual(policy.decide(failed), { show: true });
    assert.deepEqual(policy.decide(failed), { show: false, reason: 'cooldown' });
    assert.deepEqual(policy.decide(failedOther), { show: true }, 'another service is another message');
    advance(59_999);
    assert.equal(policy.decide(failed).show, false);
    advance(1);
    assert.equal(policy.decide(failed).show, true);
  });

  it('a suppressed repeat does not extend the cooldown', () => {
    const { policy, advance } = setup();
    policy.decide(ipc);
    advance(30_000);
    policy.decide(ipc);
    advance(30_000);
    assert.equal(policy.decide(ipc).show, true);
  });

  it('level errors shows only errors; none shows nothing', () => {
    const { policy, state } = setup('errors');
    assert.deepEqual(policy.decide(ipc), { show: false, reason: 'level' });
    assert.deepEqual(policy.decide(backup), { show: false, reason: 'level' });
    assert.equal(policy.decide(failed).show, true);
    state.level = 'none';
    assert.deepEqual(policy.decide(failedOther), { show: false, reason: 'level' });
  });

  it('silenced kinds never show, and the setting is read at each decision', () => {
    const { policy, state } = setup('all', ['ipc-high']);
    assert.deepEqual(policy.decide(ipc), { show: false, reason: 'silenced' });
    assert.equal(policy.decide(failed).show, true);
    state.silenced = [];
    assert.equal(policy.decide(ipc).show, true);
  });

  it('reset forgets the cooldowns', () => {
    const { policy } = setup();
    policy.decide(failed);
    policy.reset();
    assert.equal(policy.decide(failed).show, true);
  });
});

describe('extension notifications: one notification per incident', () => {
  const crash = (service = 'api', attempt = 1) => noticeFor({ type: 'restart', at, service, attempt, delayMs: 278, cause: 'crash', detail: 'exit code 1' })!;
  const ready = (pid: number, since = at) => ({ name: 'api', state: 'ready', pid, since });

  it('a crash, a crash loop and a failure of one service are one incident; other notices are none', () => {
    assert.equal(crash().incident, 'down:api');
    assert.equal(crash('api', 3).incident, 'down:api', 'crash-looping is news about the same incident');
    assert.equal(noticeFor({ type: 'gave-up', at, service: 'api', restarts: 5, windowMs: 1 })?.incident, 'down:api');
    assert.equal(crash('storage').incident, 'down:storage', 'another service is another incident');
    assert.equal(noticeFor({ type: 'ipc', at, service: 'stack', from: 'ok', to: 'critical', score: 95, summary: '' })?.incident, undefined);
    assert.equal(noticeFor({ type: 'rpo', at, service: 'storage', ok: false, rpoMs: 1, detail: '' })?.incident, undefined);
  });

  it('while it lasts, a crash says "restarting…" without a countdown that goes stale', () => {
    assert.equal(crash().message, 'api crashed (exit code 1); restarting in 278ms');
    assert.equal(crash().live, 'api crashed (exit code 1); restarting…');
  });

  it('a crash opens an incident; newer news updates it; the service ready again (another pid) resolves it, with the time it took', () => {
    const book = new IncidentBook();
    const opened = book.record(crash(), at, ready(10));
    assert.equal(opened?.opened, true);
    assert.equal(opened?.incident.openedAt, at);
    assert.deepEqual(book.observe([ready(10)], at + 5), [], 'the status from before the crash resolves nothing');
    const again = book.record(crash('api', 3), at + 500, { name: 'api', state: 'backoff', pid: undefined });
    assert.equal(again?.opened, false, 'news about an open incident is not a new one');
    assert.equal(book.get('down:api')?.notice.kind, 'crash-loop');
    assert.deepEqual(book.observe([{ name: 'api', state: 'starting', pid: 11, since: at + 900 }], at + 900), []);
    const [r, ...rest] = book.observe([ready(11, at + 1200)], at + 1300);
    assert.equal(rest.length, 0);
    assert.equal(r?.outcome, 'recovered');
    assert.equal(r?.message, 'api recovered after 1.2s', 'from the crash to the time it became ready');
    assert.equal(book.get('down:api'), undefined, 'a resolved incident is closed');
    assert.equal(book.record(crash(), at + 2000, ready(11))?.opened, true, 'the next crash is a new incident');
  });

  it('a restart so fast that the first status seen is already the new process resolves at once', () => {
    const book = new IncidentBook();
    book.record(crash(), at, ready(12, at + 300));
    assert.equal(book.observe([ready(12, at + 300)], at + 400)[0]?.message, 'api recovered after 300ms');
  });

  it('a ready service with another pid resolves even without a down status in between', () => {
    const book = new IncidentBook();
    book.record(crash(), at, ready(10));
    assert.equal(book.observe([ready(13, at + 800)], at + 900)[0]?.outcome, 'recovered');
  });

  it('degraded counts as back only while it runs (degraded waiting for an upstream has no process)', () => {
    const book = new IncidentBook();
    book.record(crash(), at, { name: 'api', state: 'backoff', pid: undefined });
    assert.deepEqual(book.observe([{ name: 'api', state: 'degraded', pid: undefined }], at + 100), []);
    assert.equal(book.observe([{ name: 'api', state: 'degraded', pid: 20, since: at + 2000 }], at + 2100)[0]?.message, 'api recovered after 2s');
  });

  it('stopped by the user, removed, or no engine any more: the incident ends (without a recovery)', () => {
    const book = new IncidentBook();
    book.record(crash('api'), at, undefined);
    book.record(crash('storage'), at, undefined);
    book.record(crash('messaging'), at, undefined);
    const over = book.observe([{ name: 'api', state: 'stopped', pid: undefined }, { name: 'messaging', state: 'backoff', pid: undefined }], at + 10);
    assert.deepEqual(over.map((r) => [r.incident.service, r.outcome, r.message]), [
      ['api', 'stopped', 'api was stopped'],
      ['storage', 'gone', undefined],
    ]);
    assert.deepEqual(book.observe(undefined, at + 20).map((r) => [r.incident.service, r.outcome, r.message]), [['messaging', 'gone', undefined]]);
    assert.deepEqual(book.clear(), []);
  });

  it('notices without an incident are not recorded; clear forgets the open ones', () => {
    const book = new IncidentBook();
    assert.equal(book.record(engineErrorNotice('x'), at, undefined), undefined);
    book.record(crash(), at, undefined);
    assert.deepEqual(book.clear().map((i) => i.key), ['down:api']);
    assert.equal(book.get('down:api'), undefined);
  });

  it('resolution messages', () => {
    assert.equal(resolutionMessage('api', 'recovered', 1234), 'api recovered after 1.2s');
    assert.equal(resolutionMessage('api', 'recovered', -5), 'api recovered after 0ms');
    assert.equal(resolutionMessage('api', 'gone', 5), undefined);
  });

  it('markShown starts the cooldown of news shown as an update (gave-up, then state failed: one message)', () => {
    const policy = new NotifyPolicy({ now: () => at, level: () => 'all', silenced: () => [] });
    const gave = noticeFor({ type: 'gave-up', at, service: 'api', restarts: 5, windowMs: 1 })!;
    policy.markShown(gave);
    assert.deepEqual(policy.decide(noticeFor({ type: 'state', at, service: 'api', from: 'backoff', to: 'failed', reason: '' })!), { show: false, reason: 'cooldown' });
  });
});

describe('extension notifications: results the user asked for', () => {
  it('Run Health Check lists every service, worst first, with its level and reason', () => {
    const { title, rows } = healthRows({
      level: 'WARNING',
      summary: '1/3 OK (messaging UNKNOWN, api WARNING)',
      services: THREE_SERVICES,
    });
    assert.equal(title, 'Health WARNING: 1 of 3 services OK');
    assert.deepEqual(rows, [
      { service: 'api', level: 'WARNING', reason: 'degraded: upstream: messaging' },
      { service: 'messaging', level: 'UNKNOWN', reason: 'not running: stopped' },
      { service: 'storage', level: 'OK', reason: 'ready' },
    ]);
    assert.equal(healthRows({ level: 'OK', summary: '1/1 OK', services: [{ service: 'a', level: 'OK', reason: '' }] }).title, 'Health OK: 1 of 1 service OK', 'singular');
    assert.equal(healthRows({ level: 'OK', summary: '1/1 OK', services: [{ service: 'a', level: 'OK', reason: ' ' }] }).rows[0]?.reason, 'ok');
    assert.equal(healthRows({ level: 'UNKNOWN', summary: '', services: [] }).title, 'Health UNKNOWN: no services');
  });

  it('a command result is a notice of its own (not one cooldown for every run)', () => {
    const n = resultNotice('backup-completed', 'info', 'Backup done', ['open-dashboard']);
    assert.equal(n.key, 'backup-completed:command');
    assert.deepEqual(n.actions, ['open-dashboard']);
    assert.equal(n.incident, undefined);
  });

  it('counts are pluralised', () => {
    assert.match(noticeFor({ type: 'gave-up', at, service: 'api', restarts: 1, windowMs: 60_000 })!.message, /gave up after 1 restart within 1m$/);
    assert.match(noticeFor({ type: 'verify', at, service: 'stack', ok: false, errors: 1 })!.message, /: 1 error$/);
    assert.match(noticeFor({ type: 'verify', at, service: 'stack', ok: false, errors: 2 })!.message, /: 2 errors$/);
  });
});

describe('notify policy: reports', () => {
  it('a scheduled report is an information with Open; a report someone asked for is not notified', () => {
    const noticeFor = noticeForEvent;
    const base = { type: 'report' as const, at: 1, service: 'stack', period: 'week', since: 0, until: 1, files: ['/s/.opsdeck/reports/r.html'] };
    const n = noticeFor({ ...base, trigger: 'schedule' });
    assert.equal(n?.kind, 'report-written');
    assert.equal(n?.severity, 'info');
    assert.deepEqual(n?.actions, ['open-report']);
    assert.match(n!.message, /week operations report is ready/);
    assert.equal(noticeFor({ ...base, trigger: 'manual' }), undefined);
  });
});
