/**
 * The unit sets of `opsdeck units`, checked with the real tools: every systemd unit passes
 * `systemd-analyze verify` (user and system scope) with nothing printed, for examples/default,
 * examples/real-servers and a diamond of dependencies with every option set; every plist parses
 * back with `plist` and holds only keys launchd.plist(5) documents, with their types.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build, parse, type PlistValue } from 'plist';
import { generateUnits, type UnitsRequest } from '../../src/core/boot/generate';
import { checkLaunchdJob } from '../../src/core/boot/launchd-keys';
import { lintUnits } from '../../src/core/boot/lint';
import type { UnitSet } from '../../src/core/boot/model';
import { onCalendar, startCalendarInterval } from '../../src/core/boot/calendar';
import { execLine } from '../../src/core/boot/systemd-syntax';
import { parseSystemdVersion } from '../../src/core/boot/systemd-version';
import { writeUnitFile } from '../../src/core/boot/unit-files';
import { loadConfig, type LoadedStack } from '../../src/core/config/load';
import { tempStack } from '../helpers/stack';

const ROOT = resolve(import.meta.dirname, '../..');
const STACKS = { default: join(ROOT, 'examples/default'), 'real-servers': join(ROOT, 'examples/real-servers'), diamond: join(ROOT, 'test/fixtures/boot/diamond.yaml') };
const launcher = { cli: [process.execPath, '/opt/opsdeck/dist/cli.js'], daemon: [process.execPath, '--max-semi-space-size=1', '/opt/opsdeck/dist/daemon.js'], daemonEnv: { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=32768' } };
const request = (r: Partial<UnitsRequest>): UnitsRequest => ({ launcher, version: '9.9.9-test', systemdVersion: 252, unitDir: '/tmp/opsdeck-units-test', ...r });

/** `systemd-analyze verify` of every unit of the set: everything it prints, and its exit code. */
function verify(set: UnitSet): { code: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'opsdeck-verify-'));
  try {
    for (const f of set.files) writeUnitFile(dir, f);
    const runtime = join(dir, 'runtime');
    mkdirSync(runtime, { mode: 0o700 });
    const units = set.files.filter((f) => /\.(service|target|timer)$/.test(f.name)).map((f) => join(dir, f.name));
    const r = spawnSync('systemd-analyze', [...(set.scope === 'user' ? ['--user'] : []), 'verify', ...units], { encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: runtime } });
    return { code: r.status, output: `${r.stdout}${r.stderr}`.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('boot units (systemd-analyze verify, launchd.plist(5))', function () {
  this.timeout(120_000);
  const stacks: Record<string, LoadedStack> = {};
  before(async () => {
    for (const [name, dir] of Object.entries(STACKS)) stacks[name] = await loadConfig(dir);
  });

  for (const name of Object.keys(STACKS)) {
    for (const mode of ['engine', 'native'] as const) {
      for (const scope of ['user', 'system'] as const) {
        it(`${name}: ${mode} mode, ${scope} units pass systemd-analyze verify with no warning`, async () => {
          const set = await generateUnits(stacks[name]!, request({ target: 'systemd', mode, scope }));
          assert.ok(set.files.length >= 1);
          const r = verify(set);
          assert.equal(r.output, '', `systemd-analyze said:\n${r.output}`);
          assert.equal(r.code, 0);
        });
      }
      it(`${name}: ${mode} mode plists parse back to what was built, with documented keys only`, async () => {
        const set = await generateUnits(stacks[name]!, request({ target: 'launchd', mode }));
        for (const f of set.files) {
          const job = parse(f.text) as Record<string, PlistValue>;
          assert.deepEqual(parse(build(job)), job, `${f.name} does not survive a round trip`);
          assert.deepEqual(checkLaunchdJob(job), [], f.name);
          assert.equal(job.Label, f.name.replace(/\.plist$/, ''));
        }
      });
    }
  }

  it('maps a service\'s config to its systemd unit (diamond, native)', async () => {
    const set = await generateUnits(stacks.diamond!, request({ target: 'systemd', mode: 'native', scope: 'system' }));
    const text = (n: string) => set.files.find((f) => f.name === n)?.text ?? assert.fail(`no ${n} in ${set.files.map((f) => f.name).join(', ')}`);
    const base = text('opsdeck-diamond-base.service');
    assert.match(base, /^Restart=always$/m);
    assert.match(base, /^RestartSec=1s$/m);
    assert.match(base, /^StartLimitIntervalSec=5min$/m);
    assert.match(base, /^StartLimitBurst=4$/m);
    assert.match(base, /^KillSignal=SIGINT$/m);
    assert.match(base, /^TimeoutStopSec=1ms$/m);
    assert.match(base, /^MemoryMax=128M$/m);
    assert.match(base, /^LimitNOFILE=4096$/m);
    assert.match(base, /^KillMode=control-group$/m);
    assert.match(base, /^After=network-online.target$/m);
    assert.doesNotMatch(base, /RestartSteps/, 'systemd 252 has no RestartSteps=');
    assert.doesNotMatch(base, /s3cr3t/, 'a secret is never inline');
    assert.match(base, /^EnvironmentFile=\/tmp\/opsdeck-units-test\/opsdeck-diamond-base\.env$/m);
    assert.match(base, /^Environment="QUOTED=a \\"quoted\\" value with spaces, 100%% and \$HOME and \\\\back\\\\slash"$/m);
    const env = set.files.find((f) => f.name === 'opsdeck-diamond-base.env')!;
    assert.equal(env.mode, 0o600);
    assert.match(env.text, /^API_TOKEN="s3cr3t 'token' \\\$x"$/m);
    const top = text('opsdeck-diamond-top.service');
    assert.match(top, /^After=opsdeck-diamond-left.service opsdeck-diamond-right.service opsdeck-diamond-base.service$/m);
    assert.match(top, /^Wants=opsdeck-diamond-left.service$/m);
    assert.match(top, /^Requires=opsdeck-diamond-right.service$/m);
    assert.match(top, / exec --wait-for left:healthy --timeout 2m -- /, 'healthy is waited for by opsdeck exec');
    assert.match(top, /^Environment="TOP_ONLY=1"$/m);
    assert.match(top, /^Description=top \(diamond\): the top of the diamond, 50%% done$/m);
    const right = text('opsdeck-diamond-right.service');
    assert.match(right, /^Type=oneshot$/m, 'a service waited for to complete runs once');
    assert.match(right, /^RemainAfterExit=yes$/m);
    assert.match(right, / -- \/\S+\/node -e "console.log\('migrated'\)" -- "arg with space" -dash @at "semi;colon"$/m);
    assert.match(text('opsdeck-diamond-left.service'), / -- \/bin\/sh -c "echo left started; exec node -e 'setInterval\(\(\) => \{\}, 1000\)'"$/m);
    assert.match(text('opsdeck-diamond.timer'), /^OnBootSec=10s$/m);
    assert.match(text('opsdeck-diamond.timer'), /^AccuracySec=1s$/m, 'the delay is kept to the second, not systemd\'s default minute');
    assert.match(text('opsdeck-diamond.timer'), /^Unit=opsdeck-diamond.target$/m);
    assert.match(text('opsdeck-diamond-backup.timer'), /^OnCalendar=Mon,Tue,Wed,Thu,Fri \*-\*-\* 00,06,12,18:15:00$/m);
    assert.match(text('opsdeck-diamond-backup.timer'), /^Persistent=true$/m);
    assert.doesNotMatch(text('opsdeck-diamond.target'), /\[Install\]/, 'with a delay the timer starts the target');
    assert.deepEqual(set.activate.sort(), ['opsdeck-diamond-backup.timer', 'opsdeck-diamond-verify.timer', 'opsdeck-diamond.timer']);
  });

  it('writes RestartSteps= and RestartMaxDelaySec= for systemd 254 and later only', async () => {
    const newer = await generateUnits(stacks.diamond!, request({ target: 'systemd', mode: 'native', systemdVersion: 255 }));
    const base = newer.files.find((f) => f.name === 'opsdeck-diamond-base.service')!.text;
    assert.match(base, /^RestartSteps=4$/m); // 1s × 3^4 = 81s ≥ 1m
    assert.match(base, /^RestartMaxDelaySec=1min$/m);
    assert.equal(parseSystemdVersion('systemd 252 (252.39-1~deb12u2)\n+PAM +AUDIT'), 252);
    assert.equal(parseSystemdVersion('not systemd'), undefined);
  });

  it('maps a service to its launchd job (diamond, native)', async () => {
    const set = await generateUnits(stacks.diamond!, request({ target: 'launchd', mode: 'native' }));
    const job = (n: string) => parse(set.files.find((f) => f.name === `dev.opsdeck.diamond.${n}.plist`)!.text) as Record<string, unknown>;
    const base = job('base');
    assert.deepEqual(base.KeepAlive, true);
    assert.equal(base.ThrottleInterval, 1);
    assert.equal(base.ExitTimeOut, 1);
    assert.deepEqual(base.HardResourceLimits, { NumberOfFiles: 4096 });
    assert.equal(set.files.find((f) => f.name === 'dev.opsdeck.diamond.base.plist')!.mode, 0o600, 'a plist holding a secret is private');
    assert.deepEqual(job('left').KeepAlive, { SuccessfulExit: false });
    const args = job('top').ProgramArguments as string[];
    assert.deepEqual(args.slice(args.indexOf('exec')), ['exec', '--name', 'top', '--wait-for', 'left:healthy', '--wait-for', 'right:completed', '--delay', '10s', '--timeout', '2m', '--', process.execPath, '-e', 'setInterval(() => {}, 1000)']);
    assert.equal((job('top').EnvironmentVariables as Record<string, string>).PROFILE_VAR, 'from profile');
    assert.equal(job('top').StandardOutPath, join(ROOT, 'test/fixtures/boot/.opsdeck/logs/top.log'));
    assert.equal((job('backup').StartCalendarInterval as unknown[]).length, 5 * 4);
  });

  it('the launchd key check finds undocumented keys and wrong types', () => {
    const problems = checkLaunchdJob({ Label: 'x', ProgramArguments: ['a', 1], KeepAlive: { SuccessfulExit: 'no' }, MemoryLimit: 5, HardResourceLimits: { Memory: 1 }, StartCalendarInterval: { Minute: 'x' } });
    assert.deepEqual(problems, [
      'ProgramArguments must be string-array',
      'MemoryLimit is not a key launchd.plist(5) documents',
      'StartCalendarInterval must be integer-dictionary or array',
      'KeepAlive.SuccessfulExit must be boolean',
      'HardResourceLimits.Memory is not a resource limit launchd.plist(5) documents',
      'StartCalendarInterval.Minute must be one of Minute, Hour, Day, Weekday, Month with an integer',
    ]);
  });

  it('lint reports what systemd-analyze verify says of a broken unit', async () => {
    const set = await generateUnits(stacks.default!, request({ target: 'systemd', mode: 'engine', scope: 'system' }));
    set.files[0]!.text = set.files[0]!.text.replace('[Service]', '[Service]\nNoSuchKey=1');
    const r = await lintUnits(set);
    assert.equal(r.ok, false);
    assert.match(r.problems.map((p) => p.message).join('\n'), /Unknown key 'NoSuchKey'/);
  });

  it('escapes ExecStart arguments so systemd passes each one as written', () => {
    assert.equal(execLine(['/bin/echo', 'a b', '$HOME', '100%', '-x', 'q"uote', 'back\\slash']), '/bin/echo "a b" "$$HOME" "100%%" -x "q\\"uote" "back\\\\slash"');
    assert.throws(() => execLine(['/bin/echo', 'two\nlines']), /line break/);
  });

  it('writes cron schedules for systemd and launchd, and refuses what they cannot say', () => {
    assert.equal(onCalendar('*/20 3 * * *'), '*-*-* 03:00,20,40:00');
    assert.equal(onCalendar('@weekly'), 'Sun *-*-* 00:00:00');
    assert.deepEqual(startCalendarInterval('30 2 1 * *'), [{ Minute: 30, Hour: 2, Day: 1 }]);
    assert.throws(() => onCalendar('0 0 1 * 1'), /both the day of the month and the day of the week/);
    assert.throws(() => onCalendar('0 0 0 * * *'), /6 fields/);
    assert.throws(() => onCalendar('0 25 * * *'), /25 is out of range for the hour/);
  });

  it('refuses boot.user for user units, with a hint', async () => {
    const t = tempStack({ version: 1, name: 'u', boot: { user: 'deploy' }, services: { a: { command: ['node', '-v'] } } });
    try {
      await assert.rejects(generateUnits(t.stack, request({ target: 'systemd', scope: 'user' })), (e: Error & { hint?: string }) => /boot.user \(deploy\) is for system units/.test(e.message) && /--system/.test(e.hint ?? ''));
    } finally {
      t.cleanup();
    }
  });
});
