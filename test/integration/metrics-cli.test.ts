import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeClock } from '../../src/core/clock';
import { LongTermMetrics } from '../../src/core/metrics/store/long-term-metrics';
import { buildBundles, cli } from '../helpers/built-cli';
import { httpService, tempStack, type TempStack } from '../helpers/stack';
import { DEFAULT_ROLLUP_RETENTION } from '../../src/core/contract/metrics-store';

const MIN = 60_000;

/** Three ready minutes of `api` in the last hours, a restart and a backup, journaled as an engine leaves them. */
async function seed(dir: string): Promise<void> {
  const clock = new FakeClock(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000);
  const store = new LongTermMetrics(join(dir, '.opsdeck'), { clock, retention: DEFAULT_ROLLUP_RETENTION, states: () => [{ name: 'api', state: 'ready' }] });
  store.mark({ at: clock.now() + 1000, kind: 'restart', service: 'api', data: { cause: 'crash', detail: 'exit code 1', attempt: 1 } });
  store.mark({ at: clock.now() + 2000, kind: 'backup', service: 'stack', data: { phase: 'completed', trigger: 'manual', services: ['api'], bytesAdded: 2048, durationMs: 500 } });
  await clock.advance(3 * MIN + 5000);
  await store.close();
}

describe('opsdeck metrics and opsdeck report (built CLI)', function () {
  this.timeout(180_000);
  let t: TempStack;
  before(() => buildBundles());
  afterEach(() => {
    if (t) cli(t.dir, 'down');
    t?.cleanup();
  });

  it('without an engine: a table, --json, a report in each format, --out, --dry-run; bad input is a clear error that changes nothing', async () => {
    const api = await httpService();
    t = tempStack({ version: 1, name: 'cli', services: { api: api.config } });
    const empty = cli(t.dir, 'metrics');
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /no long-term metrics yet/);
    await seed(t.dir);

    const table = cli(t.dir, 'metrics', '--since', '6h');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /SERVICE\s+AVAILABILITY/);
    assert.match(table.stdout, /^api\s+100\.00 %\s+3m/m);

    const json = cli(t.dir, 'metrics', '--since', '6h', '--resolution', 'minute', '--service', 'api', '--json');
    assert.equal(json.code, 0, json.stderr);
    const answer = JSON.parse(json.stdout) as { resolution: string; services: { service: string; readySec: number }[] };
    assert.equal(answer.resolution, 'minute');
    assert.deepEqual(answer.services.map((r) => r.readySec), [60, 60, 60]);

    const badSince = cli(t.dir, 'metrics', '--since', 'last tuesday');
    assert.equal(badSince.code, 1);
    assert.match(badSince.stderr, /"last tuesday" is neither a duration/);
    const unknown = cli(t.dir, 'metrics', '--service', 'apu');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /apu/);
    const badRes = cli(t.dir, 'metrics', '--resolution', 'day');
    assert.equal(badRes.code, 1);
    assert.match(badRes.stderr, /day.*invalid|Allowed choices/i);
    const backwards = cli(t.dir, 'metrics', '--since', '1h', '--until', '2h');
    assert.equal(backwards.code, 1);
    assert.match(backwards.stderr, /since .* is not before until/);

    const rj = cli(t.dir, 'report', '--period', 'day', '--json');
    assert.equal(rj.code, 0, rj.stderr);
    const report = JSON.parse(rj.stdout) as { usage: { services: { service: string; readySec: number; restarts: number }[] }; dataProtection: { backups: { bytesAdded: number } } };
    assert.equal(report.usage.services[0]!.readySec, 180);
    assert.equal(report.dataProtection.backups.bytesAdded, 2048);
    const md = cli(t.dir, 'report', '--period', 'day');
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /^# Opsdeck report — cli, last day/m);

    const out = join(t.dir, 'r.html');
    const dry = cli(t.dir, 'report', '--format', 'html', '--out', out, '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /would write/);
    assert.ok(!existsSync(out), '--dry-run wrote nothing');
    const html = cli(t.dir, 'report', '--format', 'html', '--out', out);
    assert.equal(html.code, 0, html.stderr);
    assert.match(readFileSync(out, 'utf8'), /^<!doctype html>/);

    const both = cli(t.dir, 'report', '--period', 'week', '--since', '2d');
    assert.equal(both.code, 1);
    assert.match(both.stderr, /either --period or --since/);
    assert.ok(!existsSync(join(t.dir, '.opsdeck', 'reports')), 'no report saved by any of these');
  });

  it('with an engine: the same through the API (what the last engine journaled included), --save writes and announces, --list lists', async () => {
    const api = await httpService();
    t = tempStack({ version: 1, name: 'cli2', services: { api: api.config } });
    await seed(t.dir);
    const up = cli(t.dir, 'up', '--detach');
    assert.equal(up.code, 0, up.stderr);
    const json = cli(t.dir, 'metrics', '--since', '6h', '--json');
    assert.equal(json.code, 0, json.stderr);
    const answer = JSON.parse(json.stdout) as { services: { readySec: number }[]; store: { bytes: number } };
    assert.ok(answer.services.filter((r) => r.readySec === 60).length >= 3, 'the journaled minutes are in');
    assert.ok(answer.store.bytes > 0);
    const unknown = cli(t.dir, 'metrics', '--service', 'apu', '--json');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /apu/);

    const saved = cli(t.dir, 'report', '--period', 'day', '--save', '--json');
    assert.equal(saved.code, 0, saved.stderr);
    assert.match(saved.stderr, /saved .*report-cli2-day-.*\.html/);
    const list = cli(t.dir, 'report', '--list', '--json');
    assert.equal(list.code, 0, list.stderr);
    const l = JSON.parse(list.stdout) as { reports: { format: string }[]; nextRun?: string };
    assert.deepEqual(l.reports.map((r) => r.format).sort(), ['html', 'json']);
    assert.ok(l.nextRun && new Date(l.nextRun).getDay() === 1, `next run on a Monday: ${l.nextRun}`);
    const mem = cli(t.dir, 'memory', 'search', 'report', '--kind', 'report', '--json');
    assert.equal(mem.code, 0, mem.stderr);
    assert.match(mem.stdout, /day report written/, 'the report event is recorded');
  });
});
