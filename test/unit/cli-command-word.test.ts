import assert from 'node:assert/strict';
import { commandPhrase, commandWord } from '../../src/cli/command-word';

describe('cli: the command a command line names (which bundle dist/cli.js loads)', () => {
  it('is the first argument after the global options in their plain shapes', () => {
    assert.equal(commandWord(['report', '--period', 'week']), 'report');
    assert.equal(commandWord(['-C', 'stacks/a', 'report']), 'report');
    assert.equal(commandWord(['--stack', 'stacks/a', '--verbose', 'report', '--json']), 'report');
    assert.equal(commandWord(['--verbose', 'maintain']), 'maintain');
  });

  it('is unknown when anything else comes first, so the whole program answers', () => {
    assert.equal(commandWord([]), undefined);
    assert.equal(commandWord(['--help', 'report']), undefined);
    assert.equal(commandWord(['-V']), undefined);
    assert.equal(commandWord(['--stack=stacks/a', 'report']), undefined);
    assert.equal(commandWord(['-C']), undefined);
    assert.equal(commandWord(['-C', 'report']), undefined);
  });

  it('as a phrase (for the code cache): the command and its subcommand when a plain word follows', () => {
    assert.equal(commandPhrase(['backups', 'verify', '--read-data']), 'backups verify');
    assert.equal(commandPhrase(['-C', 'backups', 'backups', 'list']), 'backups list');
    assert.equal(commandPhrase(['backup', '--json']), 'backup');
    assert.equal(commandPhrase(['restore', '3fa2b1c0', '--target', 'x']), 'restore', 'a snapshot id is no subcommand');
    assert.equal(commandPhrase(['report']), 'report');
    assert.equal(commandPhrase(['--help']), undefined);
  });
});
