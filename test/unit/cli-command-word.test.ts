import assert from 'node:assert/strict';
import { commandWord } from '../../src/cli/command-word';

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
});
