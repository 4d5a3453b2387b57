import assert from 'node:assert/strict';
import { askedByEnv, openWalkthroughOnFirstUse, shouldOpenWalkthrough, WALKTHROUGH } from '../../src/extension/walkthrough';

const fresh = { openedBefore: false, priorUse: false, testMode: false, asked: undefined, openOnInstall: true };

class Memento {
  readonly values = new Map<string, unknown>();
  get<T>(key: string, fallback: T): T {
    return (this.values.has(key) ? this.values.get(key) : fallback) as T;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, value);
  }
}

describe('extension: the walkthrough on first use', () => {
  it('opens on the first activation in a workspace without prior use, not later', () => {
    assert.equal(shouldOpenWalkthrough(fresh), true);
    assert.equal(shouldOpenWalkthrough({ ...fresh, openedBefore: true }), false);
    assert.equal(shouldOpenWalkthrough({ ...fresh, priorUse: true }), false, 'a workspace already used with Opsdeck');
    assert.equal(shouldOpenWalkthrough({ ...fresh, openOnInstall: false }), false, "VS Code's own setting is respected");
  });

  it('not in tests, unless asked (OPSDECK_WALKTHROUGH)', () => {
    assert.equal(shouldOpenWalkthrough({ ...fresh, testMode: true }), false);
    assert.equal(shouldOpenWalkthrough({ ...fresh, testMode: true, asked: true }), true);
    assert.equal(shouldOpenWalkthrough({ ...fresh, asked: false }), false);
    assert.deepEqual(['1', 'true', '0', 'false', '', undefined, 'x'].map(askedByEnv), [true, true, false, false, undefined, undefined, undefined]);
  });

  it('opens it through workbench.action.openWalkthrough once, and remembers (global and workspace state)', async () => {
    const context = { globalState: new Memento(), workspaceState: new Memento() };
    const calls: unknown[][] = [];
    const run = async (...args: unknown[]) => void calls.push(args);
    const env = { priorUse: false, testMode: false, asked: undefined, openOnInstall: true };
    assert.equal(await openWalkthroughOnFirstUse(context as never, env, run), true);
    assert.deepEqual(calls, [['workbench.action.openWalkthrough', WALKTHROUGH, false]]);
    assert.equal(await openWalkthroughOnFirstUse(context as never, env, run), false, 'the next activation');
    assert.equal(await openWalkthroughOnFirstUse({ globalState: context.globalState, workspaceState: new Memento() } as never, env, run), false, 'another workspace of the same user');
    assert.equal(calls.length, 1);
  });
});
