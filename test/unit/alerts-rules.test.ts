/**
 * The pieces of the alerts that need no clock: quiet hours, matchers, summary templates, the
 * engine-restarted rule from a state left by an engine that did not stop, and the checks of the
 * `alerts:` config (level order, custom rules, built-in names) with their messages.
 */
import assert from 'node:assert/strict';
import { AlertManager } from '../../src/core/alerts/manager';
import { isQuiet } from '../../src/core/alerts/quiet-hours';
import { matches, parseMatcher } from '../../src/core/alerts/silences';
import { FakeClock } from '../../src/core/clock';
import { parseConfig } from '../../src/core/config/load';
import { EventBus } from '../../src/core/events';
import { NODE, tempStack } from '../helpers/stack';

const at = (hh: number, mm = 0) => new Date(2026, 0, 5, hh, mm).getTime(); // local time

function configError(alerts: string): string {
  try {
    parseConfig(`version: 1\nname: t\nservices:\n  app: { command: [node, x.js] }\nalerts:\n${alerts}`, '/tmp/opsdeck.yaml');
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
}

describe('alerts: rules, matchers, quiet hours, config', () => {
  it('quiet hours over midnight hold back what is below `except`, and only then', () => {
    const q = { from: '22:00', to: '07:00', except: 'critical' as const };
    assert.equal(isQuiet(q, at(23), 'warning'), true);
    assert.equal(isQuiet(q, at(6, 59), 'warning'), true);
    assert.equal(isQuiet(q, at(7), 'warning'), false);
    assert.equal(isQuiet(q, at(23), 'critical'), false);
    assert.equal(isQuiet({ from: '12:00', to: '13:00', except: 'critical' }, at(12, 30), 'info'), true);
    assert.equal(isQuiet(undefined, at(23), 'info'), false);
  });

  it('matchers: =, != and =~ over the whole value; a bad one is refused with an example', () => {
    const s = { id: 's', startsAt: 0, endsAt: 1, comment: '', matchers: [parseMatcher('rule=~ipc_.*'), parseMatcher('severity!=critical')] };
    assert.equal(matches(s, { rule: 'ipc_warn', severity: 'warning' }), true);
    assert.equal(matches(s, { rule: 'ipc_critical', severity: 'critical' }), false);
    assert.equal(matches(s, { rule: 'xipc_warn', severity: 'warning' }), false, 'anchored');
    assert.throws(() => parseMatcher('service'), /"service" is not a matcher/);
    assert.throws(() => parseMatcher('rule=~(ipc'), /matcher regex "\(ipc" is invalid/);
  });

  it('an engine that did not stop cleanly: the next one fires engine_restarted (info) with its summary', () => {
    const t = tempStack({ version: 1, name: 'r', services: { app: { command: [NODE, '-e', '0'] } }, alerts: { rules: { disk_low: false } } });
    try {
      const clock = new FakeClock();
      const first = new AlertManager({ bus: new EventBus(), clock, stack: () => t.stack });
      first.start(); // and never stopped: killed
      const second = new AlertManager({ bus: new EventBus(), clock, stack: () => t.stack });
      second.start();
      const [alert] = second.list().alerts;
      assert.equal(alert?.id, 'engine_restarted/stack');
      assert.equal(alert.severity, 'info');
      assert.match(alert.summary, new RegExp(`^the engine restarted: the previous engine \\(pid ${process.pid}, started .*\\) did not stop cleanly$`));
      second.stop();
      const third = new AlertManager({ bus: new EventBus(), clock, stack: () => t.stack });
      third.start();
      assert.equal(third.list().alerts.some((a) => a.rule === 'engine_restarted'), false, 'not after a clean stop');
      third.stop();
    } finally {
      t.cleanup();
    }
  });

  it('config: levels out of order, a custom rule with both above and below, a built-in name reused, an unknown channel', () => {
    const m = configError(
      [
        '  routing:',
        '    levels:',
        '      - { after: 30m, channels: [vscode] }',
        '      - { after: 10m, channels: [pager] }',
        '  custom:',
        '    cpu_high: { metric: cpu_percent, above: 1 }',
        '    both: { metric: rss_mb, above: 1, below: 2 }',
      ].join('\n'),
    );
    assert.match(m, /alerts\.routing\.levels\.1\.after: level 2 comes after level 1: its "after" must not be shorter/);
    assert.match(m, /alerts\.routing\.levels\.1\.channels\.0: unknown channel "pager"; the channels are vscode, desktop/);
    assert.match(m, /alerts\.custom\.cpu_high: "cpu_high" is a built-in rule/);
    assert.match(m, /alerts\.custom\.both: give exactly one of above or below\n {2}hint: e\.g\. above: 800/);
  });

  it('config: an inline SMTP password is refused; a password file without a user too', () => {
    const m = configError('  channels:\n    mail: { type: email, host: smtp.example.com, from: a@example.com, to: [b@example.com], password: hunter2 }');
    assert.match(m, /alerts\.channels\.mail\.password: is a secret \(an SMTP password\) and must not be written in opsdeck\.yaml: use password_env or password_file/);
    assert.doesNotMatch(m, /hunter2/, 'the secret is not repeated in the message');
    const n = configError('  channels:\n    mail: { type: email, host: smtp.example.com, from: a@example.com, to: [b@example.com], password_env: SMTP_PASS }');
    assert.match(n, /alerts\.channels\.mail: a password needs a user/);
  });
});
