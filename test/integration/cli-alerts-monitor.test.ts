/**
 * `opsdeck monitor` and `opsdeck alerts` through the built CLI (dist/cli.js): the exit code of
 * each state (OK, WARNING, CRITICAL with a running engine; CRITICAL and UNKNOWN without one;
 * UNKNOWN for a stack that cannot be read), silence and ack with --dry-run changing nothing, and
 * bad config errors (unknown rule, bad duration, a secret written inline) said clearly.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBundles, cli } from '../helpers/built-cli';
import { NODE, tempStack, type TempStack } from '../helpers/stack';

const QUIET = { engine_restarted: false, disk_low: false };
/** A custom rule over the disk that always holds (no volume is more than 100 % free). */
const alwaysDisk = (severity: string) => ({ always: { metric: 'disk_free_percent', below: 101, severity, summary: 'the test rule holds ({{value}}% free)' } });

function stack(alerts: Record<string, unknown>): TempStack {
  return tempStack({ version: 1, name: 'mon', services: { app: { command: [NODE, '-e', 'setInterval(() => {}, 1000)'] } }, alerts: { rules: QUIET, routing: { levels: [{ channels: ['vscode'] }] }, ...alerts } });
}

describe('cli: opsdeck monitor and alerts (built CLI)', function () {
  this.timeout(120_000);
  before(() => buildBundles());
  let t: TempStack | undefined;
  let running = false;
  const stop = () => {
    if (running) assert.equal(cli(t!.dir, 'down').code, 0);
    running = false;
  };
  afterEach(() => {
    stop();
    t?.cleanup();
  });

  /** A stack run by a real daemon (`opsdeck up --detach`). */
  const withEngine = (alerts: Record<string, unknown>) => {
    t = stack(alerts);
    const r = cli(t.dir, 'up', '--detach');
    assert.equal(r.code, 0, r.stderr);
    running = true;
    return t;
  };
  const incidents = (dir: string) => (JSON.parse(cli(dir, 'alerts', 'list', '--json').stdout) as { incidents: { id: string; ack?: { by?: string } }[] }).incidents;

  it('OK (0) with an engine and nothing firing', () => {
    const s = withEngine({});
    const r = cli(s.dir, 'monitor', '--json');
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { level: string; engine: boolean; alerts: unknown[] };
    assert.deepEqual([report.level, report.engine, report.alerts.length], ['OK', true, 0]);
  });

  it('WARNING (1) and CRITICAL (2) with an engine, printing the firing alert', () => {
    let s = withEngine({ custom: alwaysDisk('warning') });
    let r = cli(s.dir, 'monitor');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^WARNING: 1 firing: the test rule holds/);
    assert.match(r.stdout, /always\/stack/);
    stop();
    t!.cleanup();

    s = withEngine({ custom: alwaysDisk('critical') });
    r = cli(s.dir, 'monitor');
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /^CRITICAL: 1 firing/);
  });

  it('without an engine: CRITICAL (2) from the disk, else UNKNOWN (3); an unreadable stack is UNKNOWN (3)', () => {
    t = stack({ custom: alwaysDisk('critical') });
    let r = cli(t.dir, 'monitor', '--json');
    assert.equal(r.code, 2, r.stderr);
    const report = JSON.parse(r.stdout) as { level: string; engine: boolean; unknown: string[] };
    assert.equal(report.engine, false);
    assert.match(report.unknown[0]!, /no engine is running/);
    t.cleanup();

    t = stack({});
    r = cli(t.dir, 'monitor');
    assert.equal(r.code, 3);
    assert.match(r.stdout, /^UNKNOWN: no engine is running/);

    writeFileSync(join(t.dir, 'opsdeck.yaml'), 'version: 1\nname: [broken\n');
    r = cli(t.dir, 'monitor');
    assert.equal(r.code, 3);
    assert.match(r.stdout, /^UNKNOWN: the stack cannot be read/);
  });

  it('alerts list, silence and ack: --dry-run changes nothing; the silence makes monitor OK', () => {
    const s = withEngine({ custom: alwaysDisk('critical') });
    const list = JSON.parse(cli(s.dir, 'alerts', 'list', '--json').stdout) as { alerts: { id: string; incident?: string }[]; incidents: { id: string }[] };
    assert.deepEqual(list.alerts.map((a) => a.id), ['always/stack']);
    const incident = list.incidents[0]!.id;

    let r = cli(s.dir, 'alerts', 'silence', '--matcher', 'rule=always', '--for', '1h', '--comment', 'test', '--dry-run', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { matches: string[] }).matches, ['always/stack']);
    assert.equal(cli(s.dir, 'monitor').code, 2, 'a dry-run silence silences nothing');

    r = cli(s.dir, 'alerts', 'ack', 'always/stack', '--dry-run', '--json'); // by the alert's id, as `alerts list` shows it
    assert.equal(r.code, 0, r.stderr);
    r = cli(s.dir, 'alerts', 'ack', incident, '--comment', 'looking', '--dry-run', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(incidents(s.dir)[0]!.ack, undefined, 'a dry-run ack acknowledges nothing');
    r = cli(s.dir, 'alerts', 'ack', incident, '--by', 'ana');
    assert.match(r.stdout, new RegExp(`^acknowledged ${incident}`));
    assert.equal(incidents(s.dir)[0]!.ack?.by, 'ana');

    r = cli(s.dir, 'alerts', 'silence', '--matcher', 'rule=always', '--for', '1h', '--comment', 'test');
    assert.match(r.stdout, /^silenced \(s-[0-9a-f]+\) rule=always/);
    assert.equal(cli(s.dir, 'monitor').code, 0, 'a silenced alert does not count');

    r = cli(s.dir, 'alerts', 'ack', 'nope');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no open incident or firing alert "nope"/);
    r = cli(s.dir, 'alerts', 'silence', '--matcher', 'service', '--for', '1h', '--comment', 'x');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /"service" is not a matcher/);
  });

  it('bad alert config: an unknown rule, a bad duration and an inline secret are each said with where and a hint', () => {
    t = tempStack({ version: 1, name: 'bad', services: { app: { command: [NODE, '-e', '0'] } } });
    writeFileSync(
      join(t.dir, 'opsdeck.yaml'),
      [
        'version: 1',
        'name: bad',
        'services:',
        '  app: { command: [node, -e, "0"] }',
        'alerts:',
        '  rules:',
        '    service_faild: false',
        '    service_down: { for: 5 minutes }',
        '  channels:',
        '    chat: { type: webhook, url: "https://hooks.example.com/T000/B000/XXX" }',
        '',
      ].join('\n'),
    );
    const r = cli(t.dir, 'validate');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /7:5 {2}alerts\.rules\.service_faild: unknown key "service_faild"\n {2}hint: did you mean `service_failed`\?/);
    assert.match(r.stderr, /alerts\.rules\.service_down\.for: must be a duration/);
    assert.match(r.stderr, /alerts\.channels\.chat\.url: is a secret \(a webhook URL carries its token\) and must not be written in opsdeck\.yaml: use url_env or url_file\n {2}hint: remove it; give the variable/);
  });
});
