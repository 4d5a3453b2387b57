import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseConfig } from '../../src/core/config/load';
import { configSchemas } from '../../src/core/config/schema';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Lets the current job end (WeakRef targets live at least until then), then collects. */
async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setImmediate(r));
    gc();
  }
}

describe('config: schemas built on demand and given back', () => {
  it('shares one set of schemas while they are held', () => {
    const a = configSchemas();
    assert.equal(configSchemas(), a);
    assert.equal(configSchemas().stackSchema, a.stackSchema);
  });

  it('nothing keeps them once a config is loaded: the GC takes them, the next load builds them again', async () => {
    const text = 'version: 1\nname: demo\nservices:\n  api:\n    command: [node, api.js]\n';
    const first = parseConfig(text, 'opsdeck.yaml');
    assert.ok(first.config, 'the config parses');
    const ref = new WeakRef(configSchemas());
    await collect();
    assert.equal(ref.deref(), undefined, 'the schemas are still held after the load (a module keeps a reference)');
    const again = parseConfig(text, 'opsdeck.yaml');
    assert.deepEqual(again.config, first.config);
  });
});
