/**
 * A real boot (issue 13, docs/boot.md "Reboot test"): in a Debian machine booted with
 * systemd-nspawn (test/boot/support/), `opsdeck units install --system --mode M` for
 * examples/default (with a boot delay) and for a crash-looping stack (fixtures/crashloop), then
 * power off and boot again, for M = engine and M = native. After the reboot: the stack came up by
 * itself, in dependency order, after the delay, healthy; `kill -9` of a service is undone by the
 * right party (the engine, whose pid stays; or systemd, NRestarts); the crash loop ends at the
 * retry limit. Prints the time from boot to healthy (docs/boot.md's figures).
 */
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBundles } from '../helpers/built-cli';
import { until } from '../helpers/stack';
import { httpOk, opsdeckStatus, opsdeckUnitsReport, unitProps, type StackStatus } from './support/inside';
import { installOpsdeck, installStack } from './support/install-opsdeck';
import { bootIds, readJournal, type JournalEntry } from './support/journal';
import { BootMachine, type BootInfo } from './support/machine';
import { ensureRootfs } from './support/rootfs';

const EXAMPLE = join(import.meta.dirname, '../../examples/default');
const CRASHLOOP = join(import.meta.dirname, 'fixtures/crashloop');
/** examples/default's `name:` and services, and the crash loop's (fixtures/crashloop/opsdeck.yaml). */
const STACK = 'default-stack';
const SERVICES = ['storage', 'messaging', 'api'] as const;
const PORTS: Record<(typeof SERVICES)[number], number> = { storage: 7101, messaging: 7102, api: 7103 };
const CRASHER_UNIT = 'opsdeck-crashloop-crasher.service';
const CRASHER_RETRIES = 3;
/** The boot delay written into the machine's copy of examples/default. */
const DELAY_S = 4;

const unitOf = (service: string) => `opsdeck-${STACK}-${service}.service`;
const ENGINE_UNIT = `opsdeck-${STACK}.service`;

/** The entries of the machine's current (last) boot. */
async function currentBoot(m: BootMachine): Promise<JournalEntry[]> {
  const all = await readJournal(m.root);
  const ids = bootIds(all);
  return all.filter((e) => e.bootId === ids[ids.length - 1]);
}

/** A line the engine logs per state change (src/daemon/run-host.ts stateLines): `ISO service from → to: reason`. */
interface StateLine {
  at: number;
  service: string;
  from: string;
  to: string;
}

function stateLines(entries: JournalEntry[]): StateLine[] {
  const lines: StateLine[] = [];
  for (const e of entries) {
    if (e.unit !== ENGINE_UNIT) continue;
    const m = /^(\S+) (\S+) (\S+) → (\S+):/.exec(e.message);
    if (m) lines.push({ at: Date.parse(m[1]!), service: m[2]!, from: m[3]!, to: m[4]! });
  }
  return lines;
}

const firstAt = (lines: StateLine[], service: string, to: string): number => {
  const line = lines.find((l) => l.service === service && l.to === to);
  assert.ok(line, `the engine logged no "${service} … → ${to}" after the reboot; its lines: ${JSON.stringify(lines)}`);
  return line.at;
};

/** When `unit` first logged a line matching `re` in `entries`. */
function firstLogAt(entries: JournalEntry[], unit: string, re: RegExp): number {
  const e = entries.find((x) => x.fields._SYSTEMD_UNIT === unit && re.test(x.message));
  assert.ok(e, `${unit} logged no line matching ${re} after the reboot; its lines: ${JSON.stringify(entries.filter((x) => x.fields._SYSTEMD_UNIT === unit).map((x) => x.message))}`);
  return e.at;
}

/** Every service of the example ready (engine) or answering its health endpoint (native). */
async function stackHealthy(m: BootMachine, mode: string): Promise<boolean> {
  try {
    if (mode === 'engine') {
      const s = await opsdeckStatus(m, '/srv/default');
      return s.running && SERVICES.every((n) => s.services.find((x) => x.name === n)?.state === 'ready');
    }
    for (const n of SERVICES) if (!(await httpOk(m, `http://127.0.0.1:${PORTS[n]}/health`))) return false;
    return true;
  } catch {
    return false; // the engine's API is not up yet
  }
}

for (const mode of ['engine', 'native'] as const) {
  describe(`boot: units installed with --mode ${mode}, then a reboot`, function () {
    this.timeout(3 * 60_000);
    let machine: BootMachine | undefined;
    let second: BootInfo;
    /** From nspawn's start until the test's polling first saw the stack healthy. */
    let seenHealthyMs: number;

    const m = () => {
      assert.ok(machine, 'the machine was not made (see the before all hook\'s failure)');
      return machine;
    };

    before(async function () {
      this.timeout(25 * 60_000); // the first run builds the root file system (debootstrap)
      const base = await ensureRootfs();
      buildBundles();
      machine = await BootMachine.create(base, mode);
      installOpsdeck(machine.root);
      installStack(machine.root, EXAMPLE, 'default');
      appendFileSync(join(machine.root, 'srv/default/opsdeck.yaml'), `\n# test/boot/reboot.test.ts\nboot: { delay: ${DELAY_S}s }\n`);
      installStack(machine.root, CRASHLOOP, 'crashloop');
      await machine.boot();
      for (const dir of ['/srv/default', '/srv/crashloop']) {
        await machine.mustRun(['opsdeck', '-C', dir, 'units', 'install', '--system', '--mode', mode], { timeoutMs: 120_000 });
      }
      await machine.poweroff();
      second = await machine.boot();
      try {
        await until(() => stackHealthy(m(), mode), 120_000, `examples/default healthy after the reboot (${mode} mode)`);
      } catch (e) {
        throw new Error(`${(e as Error).message}\n${await opsdeckUnitsReport(machine)}`);
      }
      seenHealthyMs = Date.now() - second.startedAt;
    });

    after(async () => {
      await machine?.destroy();
    });

    it('came up by itself after the reboot, in dependency order, after the boot delay', async () => {
      const entries = await currentBoot(m());
      let first: number;
      let allHealthy: number;
      if (mode === 'engine') {
        // When each process started (the engine's status), and when each became ready (its journal lines).
        const status = await opsdeckStatus(m(), '/srv/default');
        const startedAt = Object.fromEntries(SERVICES.map((s) => [s, status.services.find((x) => x.name === s)?.startedAt ?? NaN]));
        const lines = stateLines(entries);
        const readyAt = Object.fromEntries(SERVICES.map((s) => [s, firstAt(lines, s, 'ready')]));
        assert.ok(startedAt.api! >= readyAt.storage! && startedAt.api! >= readyAt.messaging!, `api started before storage and messaging were ready: ${JSON.stringify({ startedAt, readyAt })}`);
        assert.ok(startedAt.messaging! >= readyAt.storage!, `messaging (tier messaging) started before storage (tier storage) was ready: ${JSON.stringify({ startedAt, readyAt })}`);
        first = Math.min(...Object.values(startedAt));
        allHealthy = Math.max(...Object.values(readyAt));
        for (const s of SERVICES) assert.equal(status.services.find((x) => x.name === s)?.health, 'OK', `${s} is healthy: ${JSON.stringify(status.services)}`);
      } else {
        for (const s of SERVICES) assert.equal((await unitProps(m(), unitOf(s), ['ActiveState'])).ActiveState, 'active', `${unitOf(s)} is active`);
        const listening = Object.fromEntries(SERVICES.map((s) => [s, firstLogAt(entries, unitOf(s), /listening on/)]));
        assert.ok(listening.api! >= listening.storage! && listening.api! >= listening.messaging!, `api listened before storage and messaging: ${JSON.stringify(listening)}`);
        const api = await unitProps(m(), unitOf('api'), ['ExecStart']);
        assert.match(api.ExecStart ?? '', /--wait-for/, 'api waits for its dependencies through `opsdeck exec --wait-for`');
        first = Math.min(...Object.values(listening));
        allHealthy = Math.max(...Object.values(listening));
      }
      const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
      console.log(
        `      ${mode} mode, after nspawn started: systemd up ${secs(second.upMs)}; first service started ${secs(first - second.startedAt)} ` +
          `(boot delay ${DELAY_S} s); all healthy ${secs(allHealthy - second.startedAt)}; seen healthy by the test ${secs(seenHealthyMs)}`,
      );
      // nspawn was started before systemd, so this gap is at least the real one.
      assert.ok(first - second.startedAt >= DELAY_S * 1000, `the first service started ${first - second.startedAt} ms after the boot, before the ${DELAY_S} s delay`);
    });

    if (mode === 'engine') {
      it('kill -9 of a service: the engine restarts it, and the engine itself stays (same pid, no systemd restart)', async () => {
        const before = await opsdeckStatus(m(), '/srv/default');
        const storage = before.services.find((s) => s.name === 'storage');
        assert.ok(storage?.pid && before.engine, `storage runs under the engine: ${JSON.stringify(before)}`);
        await m().mustRun(['kill', '-9', String(storage.pid)]);
        let after: StackStatus | undefined;
        await until(async () => {
          after = await opsdeckStatus(m(), '/srv/default').catch(() => undefined);
          const s = after?.services.find((x) => x.name === 'storage');
          return s?.state === 'ready' && s.pid !== storage.pid;
        }, 60_000, 'storage ready again with a new pid');
        const s = after!.services.find((x) => x.name === 'storage')!;
        assert.equal(s.restarts, 1);
        assert.equal(s.lastRestart?.cause, 'crash');
        assert.equal(after!.engine?.pid, before.engine.pid, 'the same engine restarted it');
        const unit = await unitProps(m(), ENGINE_UNIT, ['MainPID', 'NRestarts']);
        assert.deepEqual(unit, { MainPID: String(before.engine.pid), NRestarts: '0' }, 'systemd did not restart the engine');
      });

      it('a crash-looping service is given up after its retry limit (the engine marks it failed)', async () => {
        let status: StackStatus | undefined;
        await until(async () => {
          status = await opsdeckStatus(m(), '/srv/crashloop').catch(() => undefined);
          return status?.services.find((s) => s.name === 'crasher')?.state === 'failed';
        }, 60_000, 'crasher failed');
        assert.equal(status!.services.find((s) => s.name === 'crasher')?.restarts, CRASHER_RETRIES);
        await new Promise((r) => setTimeout(r, 3000));
        const later = await opsdeckStatus(m(), '/srv/crashloop');
        assert.deepEqual(
          later.services.map((s) => [s.name, s.state, s.restarts]),
          [['crasher', 'failed', CRASHER_RETRIES]],
          'it stays failed: no more restarts',
        );
      });
    } else {
      it('kill -9 of a service: systemd restarts it (NRestarts), and it answers again', async () => {
        const unit = unitOf('storage');
        const before = await unitProps(m(), unit, ['MainPID', 'NRestarts']);
        assert.ok(Number(before.MainPID) > 0, `${unit} runs: ${JSON.stringify(before)}`);
        assert.equal(before.NRestarts, '0');
        await m().mustRun(['kill', '-9', before.MainPID!]);
        await until(async () => {
          const now = await unitProps(m(), unit, ['MainPID', 'NRestarts', 'ActiveState']);
          return now.ActiveState === 'active' && now.NRestarts === '1' && now.MainPID !== before.MainPID && (await httpOk(m(), 'http://127.0.0.1:7101/health'));
        }, 60_000, `${unit} restarted by systemd and healthy`);
      });

      it('a crash-looping service is given up after its retry limit (systemd: StartLimitBurst)', async () => {
        let props: Record<string, string> = {};
        await until(async () => {
          props = await unitProps(m(), CRASHER_UNIT, ['ActiveState', 'Result', 'NRestarts']);
          return props.ActiveState === 'failed';
        }, 60_000, `${CRASHER_UNIT} failed`);
        await new Promise((r) => setTimeout(r, 3000));
        assert.equal((await unitProps(m(), CRASHER_UNIT, ['ActiveState'])).ActiveState, 'failed', 'it stays failed');
        const entries = await currentBoot(m());
        // systemd 252 keeps Result=exit-code when a restart hits the limit; it says so in the journal.
        assert.ok(
          entries.some((e) => e.fields.UNIT === CRASHER_UNIT && /Start request repeated too quickly/.test(e.message)),
          `systemd logged no "Start request repeated too quickly" for ${CRASHER_UNIT}: ${JSON.stringify(props)}`,
        );
        const runs = entries.filter((e) => e.fields._SYSTEMD_UNIT === CRASHER_UNIT && /exiting with 1/.test(e.message));
        assert.equal(runs.length, CRASHER_RETRIES + 1, 'the first run and max_retries restarts, no more');
      });
    }
  });
}
