import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * src/core/wasm-compiler.ts sets a V8 flag for a while or for the process's life, and must put
 * V8's flags back as a new process has them (`--liftoff-only` turns two others off): the test is
 * V8's own, a code cache made after it in one process is accepted by a new one, whose flags are
 * the defaults (V8 refuses a cache made under other flags). Each side is a new Node process.
 */
const MODULE = pathToFileURL(path.resolve(import.meta.dirname, '../../src/core/wasm-compiler.ts')).href;
const SOURCE = 'function f(n) { return n * 2; }\nf(21);\n';

describe('core: V8’s WebAssembly compilers, set and put back (src/core/wasm-compiler.ts)', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-wasm-flags-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Run `code` (an ES module with the module's exports and `makeCache()`) in a new process. */
  const run = (code: string) => {
    const file = path.join(dir, 'side.mjs');
    writeFileSync(
      file,
      `import { baselineWasm, pinBaselineWasm } from ${JSON.stringify(MODULE)};\nimport vm from 'node:vm';\nimport fs from 'node:fs';\n` +
        `const cache = ${JSON.stringify(path.join(dir, 'cache.v8'))};\n` +
        `const makeCache = () => fs.writeFileSync(cache, new vm.Script(${JSON.stringify(SOURCE)}).createCachedData());\n` +
        `const rejected = () => new vm.Script(${JSON.stringify(SOURCE)}, { cachedData: fs.readFileSync(cache) }).cachedDataRejected;\n` +
        code,
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'no flag V8 does not know');
    return r.stdout.trim();
  };

  it('after a while on the baseline compiler, the flags are a new process’s again', () => {
    run('const done = baselineWasm();\ndone();\nmakeCache();\n');
    assert.equal(run('console.log(rejected());\n'), 'false');
  });

  it('pinned for a one-shot command: at exit, before other listeners (the CLI’s code cache), the flags go back', () => {
    // the listener comes first, as the bundle loader's does (it is registered before the command runs)
    run("process.on('exit', makeCache);\npinBaselineWasm();\npinBaselineWasm();\n");
    assert.equal(run('console.log(rejected());\n'), 'false');
  });

  it('(the check has teeth) a cache made while pinned is refused by a new process', () => {
    run('pinBaselineWasm();\nmakeCache();\n');
    assert.equal(run('console.log(rejected());\n'), 'true');
  });
});
