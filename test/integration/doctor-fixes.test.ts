/**
 * The doctor's findings whose fix is another Opsdeck command, followed through with the built
 * CLI: boot units installed into a temporary unit folder (`opsdeck units install --unit-dir`,
 * OPSDECK_UNIT_DIR for the doctor) then opsdeck.yaml edited → `env.boot` says drifted, with
 * `opsdeck units diff; opsdeck units install`, and after the install it is ✓ again; `boot:`
 * declared and nothing installed → the fix `opsdeck units install`; a stale engine lock, socket
 * and service record → `env.stale` with `opsdeck cleanup`, which clears it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DoctorCheck, DoctorReport } from '../../src/core/contract/doctor';
import { bootUnitsCheck } from '../../src/core/doctor/boot-units';
import { runDoctor } from '../../src/core/doctor/run-doctor';
import { buildBundles, cli } from '../helpers/built-cli';
import { tempStack, type TempStack } from '../helpers/stack';

const yaml = (command: string, boot = '') => `version: 1
name: fixes
${boot}services:
  web:
    command: [sleep, "${command}"]
`;

function doctor(dir: string): { report: DoctorReport; text: string } {
  const json = cli(dir, 'doctor', '--json');
  assert.ok(json.code === 0 || json.code === 1, json.stderr);
  const text = cli(dir, 'doctor').stdout;
  return { report: JSON.parse(json.stdout) as DoctorReport, text };
}
const find = (r: DoctorReport, id: string): DoctorCheck => {
  const c = r.checks.find((x) => x.id === id);
  assert.ok(c, `no ${id} in ${r.checks.map((x) => x.id).join(', ')}`);
  return c;
};

describe('doctor fixes that are Opsdeck commands, followed (the built CLI)', function () {
  this.timeout(120_000);
  let t: TempStack | undefined;
  const saved = process.env.OPSDECK_UNIT_DIR;

  before(() => buildBundles());
  afterEach(() => {
    if (saved === undefined) delete process.env.OPSDECK_UNIT_DIR;
    else process.env.OPSDECK_UNIT_DIR = saved;
    t?.cleanup();
    t = undefined;
  });

  it('boot units: not set up → ✓; installed → ✓; opsdeck.yaml edited → ! drifted with units diff + install; installed again → ✓', () => {
    t = tempStack(yaml('1000', 'boot:\n  mode: native\n'));
    const units = join(t.dir, 'units');
    process.env.OPSDECK_UNIT_DIR = units;

    let boot = find(doctor(t.dir).report, 'env.boot');
    assert.equal(boot.status, 'warn');
    assert.match(boot.found, /declares boot: but its units are not installed/);
    assert.equal(boot.fix?.command, 'opsdeck units install');

    const install = cli(t.dir, 'units', 'install', '--unit-dir', units);
    assert.equal(install.code, 0, install.stderr);
    assert.deepEqual(readdirSync(units).sort(), ['opsdeck-fixes-web.service', 'opsdeck-fixes.target']);
    boot = find(doctor(t.dir).report, 'env.boot');
    assert.equal(boot.status, 'ok', boot.found);
    assert.match(boot.found, /2 unit files installed, matching opsdeck\.yaml \(systemd native mode, user scope/);

    writeFileSync(join(t.dir, 'opsdeck.yaml'), yaml('2000', 'boot:\n  mode: native\n'));
    const { report, text } = doctor(t.dir);
    boot = find(report, 'env.boot');
    assert.equal(boot.status, 'warn');
    assert.match(boot.found, /differ from what opsdeck\.yaml generates now: opsdeck-fixes-web\.service/);
    assert.equal(boot.fix?.command, 'opsdeck units diff; opsdeck units install');
    assert.match(text, /! Boot units installed and current — installed units differ/);
    assert.equal(cli(t.dir, 'units', 'diff').code, 1, 'units diff agrees: they differ');

    assert.equal(cli(t.dir, 'units', 'install').code, 0);
    assert.equal(find(doctor(t.dir).report, 'env.boot').status, 'ok');
    assert.match(readFileSync(join(units, 'opsdeck-fixes-web.service'), 'utf8'), /sleep 2000/);
  });

  it('boot units: no boot: and nothing installed → ✓ "not set up to start at boot"', () => {
    t = tempStack(yaml('1000'));
    process.env.OPSDECK_UNIT_DIR = join(t.dir, 'units');
    const boot = find(doctor(t.dir).report, 'env.boot');
    assert.equal(boot.status, 'ok');
    assert.match(boot.found, /^not set up to start at boot/);
  });

  it('in a process that cannot tell how units run Opsdeck (not the CLI, no opsdeck on PATH): ✓ when not set up, a warning saying why when boot: is declared', async () => {
    t = tempStack(yaml('1000'));
    process.env.OPSDECK_UNIT_DIR = join(t.dir, 'units');
    const path = process.env.PATH;
    process.env.PATH = join(t.dir, 'empty');
    try {
      const [plain] = await bootUnitsCheck(t.stack);
      assert.equal(plain!.status, 'ok');
      assert.match(plain!.found, /^not set up to start at boot/);
      const declared = tempStack(yaml('1000', 'boot:\n  mode: engine\n'));
      try {
        const boot = find(await runDoctor(declared.stack), 'env.boot');
        assert.equal(boot.status, 'warn');
        assert.match(boot.found, /the check itself failed: cannot tell how to run Opsdeck from a boot unit/);
      } finally {
        declared.cleanup();
      }
    } finally {
      process.env.PATH = path;
    }
  });

  it('a stale lock, socket and service record → ! env.stale with `opsdeck cleanup` → cleanup → ✓', () => {
    t = tempStack(yaml('1000'));
    const run = join(t.dir, '.opsdeck', 'run');
    mkdirSync(join(run, 'services'), { recursive: true, mode: 0o700 });
    const gone = 2 ** 22 + 11;
    writeFileSync(join(run, 'engine.lock'), JSON.stringify({ pid: gone, owner: 'daemon', startedAt: 1 }), { mode: 0o600 });
    writeFileSync(join(run, 'engine.sock'), '', { mode: 0o600 });
    writeFileSync(join(run, 'services', 'web.json'), JSON.stringify({ service: 'web', pid: gone + 1, pgid: gone + 1, startTime: '1', startedAt: 1, engine: { pid: gone } }), { mode: 0o600 });

    const stale = find(doctor(t.dir).report, 'env.stale');
    assert.equal(stale.status, 'warn');
    assert.match(stale.found, new RegExp(`engine.lock of pid ${gone}, which is gone; engine.sock, which no engine serves; services/web.json \\(web, pid ${gone + 1} gone\\)`));
    assert.equal(stale.fix?.command, 'opsdeck cleanup');

    const dry = cli(t.dir, 'cleanup', '--dry-run', '--list');
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /\.opsdeck\/run\/services\/web\.json .*record of web's process/);
    const done = cli(t.dir, 'cleanup');
    assert.equal(done.code, 0, done.stderr);
    assert.deepEqual(readdirSync(run).sort(), ['services']);
    assert.deepEqual(readdirSync(join(run, 'services')), []);
    const after = find(doctor(t.dir).report, 'env.stale');
    assert.equal(after.status, 'ok', after.found);
  });

  it('a record whose process is gone but whose group still runs: said, and cleanup keeps it (the next engine stops that group)', async () => {
    t = tempStack(yaml('1000'));
    // A group leader that exits, leaving its child (sleep) in its process group.
    const leader = spawn('sh', ['-c', 'sleep 30 & exit 0'], { detached: true, stdio: 'ignore' });
    await new Promise((resolve) => leader.once('exit', resolve));
    const pid = leader.pid!;
    try {
      const dir = join(t.dir, '.opsdeck', 'run', 'services');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(join(dir, 'web.json'), JSON.stringify({ service: 'web', pid, pgid: pid, startTime: '1', startedAt: 1, engine: { pid: 2 ** 22 + 13 } }), { mode: 0o600 });
      const stale = find(doctor(t.dir).report, 'env.stale');
      assert.equal(stale.status, 'warn');
      assert.match(stale.found, new RegExp(`web \\(pid ${pid} gone, its process group ${pid} still runs\\)`));
      assert.equal(stale.fix?.command, 'opsdeck up');
      assert.equal(cli(t.dir, 'cleanup').code, 0);
      assert.deepEqual(readdirSync(dir), ['web.json']);
    } finally {
      process.kill(-pid, 'SIGKILL');
    }
  });
});
