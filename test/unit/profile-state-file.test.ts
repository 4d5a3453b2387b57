import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRememberedProfile, rememberProfile, withProfile, withRememberedProfile } from '../../src/core/profiles';
import { tempStack, type TempStack } from '../helpers/stack';

const config = {
  version: 1,
  name: 'state',
  profiles: { dev: { services: ['a', 'b'] }, minimal: { services: ['a'] } },
  active_profile: 'dev',
  services: { a: { command: ['true'] }, b: { command: ['true'] } },
};

/** The warnings process.emitWarning gives while `fn` runs. */
function warningsOf(fn: () => void): string[] {
  const seen: string[] = [];
  const listener = (w: Error) => seen.push(w.message);
  process.on('warning', listener);
  try {
    fn();
  } finally {
    process.off('warning', listener);
  }
  return seen;
}
const tick = () => new Promise((r) => setImmediate(r));

describe('the remembered profile (.opsdeck/state.json)', () => {
  let t: TempStack;
  let opsdeck: string;
  beforeEach(() => {
    t = tempStack(config);
    opsdeck = join(t.dir, '.opsdeck');
  });
  afterEach(() => t.cleanup());

  it('is read back after profile use, with no warning', async () => {
    rememberProfile(withProfile(t.stack, 'minimal'));
    let name: string | undefined;
    const warnings = warningsOf(() => (name = readRememberedProfile(t.stack)));
    await tick();
    assert.equal(name, 'minimal');
    assert.deepEqual(warnings, []);
  });

  for (const [what, text, problem] of [
    ['not JSON (cut short)', '{"active_profile": "mini', /not valid JSON/],
    ['JSON of the wrong shape', '["minimal"]', /not an object with active_profile/],
    ['an active_profile that is not a string', '{"active_profile": 3}', /not an object with active_profile/],
  ] as const) {
    it(`a corrupt file (${what}) is reported, kept aside as state.json.corrupt-<time>, and the default profile is used`, async () => {
      mkdirSync(opsdeck, { recursive: true });
      writeFileSync(join(opsdeck, 'state.json'), text);
      const seen: string[] = [];
      const listener = (w: Error) => seen.push(w.message);
      process.on('warning', listener);
      let stack;
      try {
        stack = withRememberedProfile(t.stack);
        await tick();
      } finally {
        process.off('warning', listener);
      }
      assert.equal(stack.profile, 'dev', 'the default (active_profile of opsdeck.yaml)');
      assert.equal(seen.length, 1, `one warning: ${seen.join(' | ')}`);
      assert.match(seen[0]!, /\.opsdeck[/\\]state\.json/);
      assert.match(seen[0]!, problem);
      const aside = readdirSync(opsdeck).filter((n) => n.startsWith('state.json.corrupt-'));
      assert.equal(aside.length, 1, readdirSync(opsdeck).join(', '));
      assert.match(aside[0]!, /^state\.json\.corrupt-\d{8}T\d{6}Z$/);
      assert.match(seen[0]!, new RegExp(aside[0]!.replace(/\./g, '\\.')));
      assert.equal(readFileSync(join(opsdeck, aside[0]!), 'utf8'), text, 'kept as it was');
      assert.ok(!readdirSync(opsdeck).includes('state.json'), 'the broken file is out of the way');
      // the next read finds no file: the default, quietly
      const again = warningsOf(() => assert.equal(readRememberedProfile(t.stack), undefined));
      await tick();
      assert.deepEqual(again, []);
    });
  }
});
