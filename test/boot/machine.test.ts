/**
 * The boot harness itself (test/boot/support/): a machine boots with systemd as PID 1, runs
 * Node and the installed Opsdeck, powers off, boots again, and its journal has both boots.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { buildBundles } from '../helpers/built-cli';
import { installOpsdeck } from './support/install-opsdeck';
import { bootIds, readJournal } from './support/journal';
import { BootMachine } from './support/machine';
import { ensureRootfs } from './support/rootfs';

describe('boot harness: a machine booted with systemd-nspawn', function () {
  this.timeout(5 * 60_000);
  let base: string;
  let machine: BootMachine | undefined;

  before(async function () {
    this.timeout(25 * 60_000); // the first run builds the root file system (debootstrap)
    base = await ensureRootfs();
    buildBundles();
  });

  afterEach(async () => {
    await machine?.destroy();
    machine = undefined;
  });

  it('boots systemd as PID 1, runs this Node and Opsdeck, powers off and boots again', async () => {
    machine = await BootMachine.create(base, 'smoke');
    installOpsdeck(machine.root);

    const first = await machine.boot();
    assert.equal(first.state, 'running', `a fresh machine has no failed unit; systemctl --failed:\n${(await machine.run(['systemctl', '--failed', '--no-pager'])).stdout}`);
    assert.equal((await machine.mustRun(['cat', '/proc/1/comm'])).trim(), 'systemd');
    assert.equal((await machine.mustRun(['node', '--version'])).trim(), process.version);
    assert.match(await machine.mustRun(['opsdeck', '--version']), /^\d+\.\d+\.\d+/);
    const off = await machine.poweroff();
    assert.equal(machine.running, false);

    const second = await machine.boot();
    assert.equal((await machine.mustRun(['cat', '/proc/1/comm'])).trim(), 'systemd');
    const boots = bootIds(await readJournal(machine.root));
    assert.equal(boots.length, 2, `two boots in the journal, got ${boots.join(', ')}`);
    const current = (await machine.mustRun(['cat', '/proc/sys/kernel/random/boot_id'])).trim().replace(/-/g, '');
    assert.equal(boots[1], current, 'the second boot in the journal is the running one');
    console.log(`      boot 1: up in ${first.upMs} ms; poweroff ${off.ms} ms; boot 2: up in ${second.upMs} ms`);
  });

  it('destroy() ends a running machine and removes its copy', async () => {
    machine = await BootMachine.create(base, 'smoke');
    await machine.boot();
    const leader = machine.leader;
    await machine.destroy();
    assert.throws(() => process.kill(leader, 0), /ESRCH/, 'the machine\'s PID 1 is gone');
    assert.equal(existsSync(machine.dir), false);
  });
});
