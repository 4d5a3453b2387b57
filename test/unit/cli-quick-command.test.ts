import assert from 'node:assert/strict';
import { quickCommand } from '../../src/cli/quick-path';

const split = (line: string) => (line ? line.split(' ') : []);

describe('cli: which command lines the quick path answers (quickCommand)', () => {
  it('status, health and profile list, with the global options anywhere and their own after the name', () => {
    assert.deepEqual(quickCommand(split('status')), { command: 'status', verbose: false, json: false, check: false, services: [] });
    assert.deepEqual(quickCommand(split('-C dir status --json --verbose')), { command: 'status', stack: 'dir', verbose: true, json: true, check: false, services: [] });
    assert.deepEqual(quickCommand(split('status api db --json')), { command: 'status', verbose: false, json: true, check: false, services: ['api', 'db'] });
    assert.deepEqual(quickCommand(split('health api --stack dir db --check --json')), {
      command: 'health', stack: 'dir', verbose: false, json: true, check: true, services: ['api', 'db'],
    });
    assert.deepEqual(quickCommand(split('profile list --json -C dir')), { command: 'profile list', stack: 'dir', verbose: false, json: true, check: false, services: [] });
  });

  it('leaves every other shape to the program', () => {
    for (const line of [
      '', '--help', '-V', 'status --help', 'status -h', 'help status', 'up', 'logs api', 'profile', 'profile use dev', 'profile list extra',
      'status -x', 'status --check', 'status -- api', 'health --dry-run', 'health -- api', 'health -x', '--json status', '--stack=dir status', '-Cdir status',
      '-C', 'status -C', '-C -x status', '-C a -C b status', 'stauts', 'daemon',
    ]) {
      assert.equal(quickCommand(split(line)), undefined, line);
    }
  });
});
