import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { codeCacheDir, codeCacheFile } from '../../src/cli/bundle-loader';

/**
 * dist/cli.js runs the larger CLI bundles through runBundle, with V8's code cache. Each load here
 * is a new Node process, as each CLI command is (within one process V8 reuses what it compiled
 * and never looks at the cache), running a real file; on runBundle's own path (`useNode` false:
 * Node 22 has a compile cache of its own, which runBundle leaves the work to there).
 */
const LOADER = pathToFileURL(path.resolve(import.meta.dirname, '../../src/cli/bundle-loader.ts')).href;

describe('cli: running a bundle with V8’s code cache (src/cli/bundle-loader.ts)', function () {
  this.timeout(60_000);
  let dir: string;
  let cache: string;
  let runner: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-bundle-'));
    cache = path.join(dir, 'cache');
    runner = path.join(dir, 'run.mjs');
    writeFileSync(
      runner,
      `import { runBundle } from ${JSON.stringify(LOADER)};\n` +
        `import Module from 'node:module';\n` +
        `const outcome = runBundle(process.argv[2], process.argv[3] || undefined, false, process.argv[4] ?? '');\n` +
        `const m = Module._cache[process.argv[2]];\n` +
        `console.log(JSON.stringify({ outcome, exported: m?.exports.value, loaded: m?.loaded }));\n`,
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A CommonJS bundle (with a shebang, as dist/cli.js has) that prints what it saw when it ran. */
  const bundle = (value: string, name = 'bundle.js') => {
    const file = path.join(dir, name);
    writeFileSync(file, `#!/usr/bin/env node\nconst p = require('node:path');\nmodule.exports.value = ${JSON.stringify(value)};\nconsole.log(JSON.stringify({ value: module.exports.value, file: __filename, dir: __dirname, base: p.basename(__filename), self: this === module.exports }));\n`);
    return file;
  };
  /** runBundle(file, cacheDir) in a new process: what the bundle printed, then the outcome. */
  const load = (file: string, cacheDir: string | undefined = cache, command = '') => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', runner, file, cacheDir ?? '', command], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const result = lines.find((l) => 'outcome' in l) as { outcome: string; exported: string; loaded: boolean };
    return { ran: lines.filter((l) => l !== result), ...result };
  };

  it('runs the file as require would (its exports, require, __filename, __dirname), writes the cache, then uses it', () => {
    const file = bundle('one');
    const first = load(file);
    assert.deepEqual(first, { ran: [{ value: 'one', file, dir, base: 'bundle.js', self: true }], outcome: 'written', exported: 'one', loaded: true });
    assert.ok(readFileSync(codeCacheFile(cache, file)).length > 20, 'the source’s key and V8’s data');
    const second = load(file);
    assert.deepEqual([second.outcome, second.ran.length, second.exported], ['used', 1, 'one']);
  });

  it('a new source (a new build) is compiled again and its cache replaces the old one', () => {
    const file = bundle('old');
    assert.equal(load(file).outcome, 'written');
    bundle('new');
    const changed = load(file);
    assert.deepEqual([changed.outcome, changed.exported], ['written', 'new']);
    assert.deepEqual([load(file).outcome, load(file).exported], ['used', 'new']);
  });

  it('a cache V8 refuses (damaged) is rewritten, and the bundle still runs', () => {
    const file = bundle('x');
    assert.equal(load(file).outcome, 'written');
    const stored = readFileSync(codeCacheFile(cache, file));
    // the header kept (the source's key, the commands it was made for), V8's data damaged
    const header = 20 + 2 + stored.readUInt16BE(20);
    writeFileSync(codeCacheFile(cache, file), Buffer.concat([stored.subarray(0, header), Buffer.alloc(stored.length - header, 7)]));
    const damaged = load(file);
    assert.deepEqual([damaged.outcome, damaged.exported, damaged.ran.length], ['rejected', 'x', 1]);
    assert.equal(load(file).outcome, 'used');
  });

  it('a cache that cannot be written (a file where its folder should be), or none, and the bundle still runs', () => {
    writeFileSync(cache, 'not a folder');
    const file = bundle('y');
    assert.deepEqual([load(file).outcome, load(file).exported], ['off', 'y']);
    assert.equal(readFileSync(cache, 'utf8'), 'not a folder', 'left as it was');
    const none = load(file, undefined);
    assert.deepEqual([none.outcome, none.exported, none.ran.length], ['off', 'y', 1]);
  });

  it('is made at exit with what the run compiled, again for a command it was not made for, not for one it was', () => {
    // a function of ~2 000 statements that only the command `big` calls: compiled only when called
    const file = path.join(dir, 'lazy.js');
    const body = Array.from({ length: 2000 }, (_, i) => `  n = (n * 31 + ${i}) % 1000003;`).join('\n');
    writeFileSync(file, `function big() {\n  let n = 1;\n${body}\n  return n;\n}\nmodule.exports.value = process.argv[4] === 'big' ? String(big()) : 'small';\n`);
    const size = () => readFileSync(codeCacheFile(cache, file)).length;
    assert.equal(load(file, cache, 'small').outcome, 'written');
    const small = size();
    const again = load(file, cache, 'small');
    assert.deepEqual([again.outcome, size()], ['used', small], 'made for `small`: not made again');
    const big = load(file, cache, 'big');
    assert.equal(big.outcome, 'used');
    const both = size();
    assert.ok(both > small + 10_000, `made again at exit with big() compiled: ${small} -> ${both} bytes`);
    assert.deepEqual([load(file, cache, 'big').outcome, load(file, cache, 'small').outcome, size()], ['used', 'used', both], 'made for both now');
  });

  it('a bundle that is not ASCII keeps its characters (read as UTF-8), cached or not', () => {
    const file = bundle('d\u00e9j\u00e0 \u2713 \u{1F600}');
    const first = load(file);
    const second = load(file);
    assert.deepEqual([first.outcome, second.outcome], ['written', 'used']);
    for (const run of [first, second]) assert.equal(run.exported, 'd\u00e9j\u00e0 \u2713 \u{1F600}');
  });

  it('an import() in a bundle fails on every run, cached or not (so the bundles are built without one)', () => {
    const file = path.join(dir, 'dynamic.js');
    writeFileSync(file, 'module.exports.value = "d";\nimport("node:os").then(() => console.log(JSON.stringify({ imported: true })), (e) => console.log(JSON.stringify({ failed: e.message })));\n');
    const first = load(file);
    const second = load(file);
    assert.deepEqual([first.outcome, second.outcome], ['written', 'used']);
    for (const run of [first, second]) assert.match(JSON.stringify(run.ran), /dynamic import callback was not specified/);
  });

  it('an error of the bundle itself is thrown, as require would', () => {
    const file = path.join(dir, 'bad.js');
    writeFileSync(file, 'throw new Error("bundle failed");\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', runner, file, cache], { encoding: 'utf8', timeout: 30_000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /bundle failed/);
    writeFileSync(file, 'this is not javascript(\n');
    const s = spawnSync(process.execPath, ['--import', 'tsx', runner, file, cache], { encoding: 'utf8', timeout: 30_000 });
    assert.match(s.stderr, /SyntaxError/);
  });

  it('lives in ~/.cache/opsdeck/code-cache ($XDG_CACHE_HOME), OPSDECK_CODE_CACHE elsewhere, `off` for none', () => {
    assert.equal(codeCacheDir({ HOME: '/home/ann' }), '/home/ann/.cache/opsdeck/code-cache');
    assert.equal(codeCacheDir({ HOME: '/home/ann', XDG_CACHE_HOME: '/var/cache/ann' }), '/var/cache/ann/opsdeck/code-cache');
    assert.equal(codeCacheDir({ HOME: '/home/ann', OPSDECK_CODE_CACHE: '/srv/cc' }), '/srv/cc');
    assert.equal(codeCacheDir({ HOME: '/home/ann', OPSDECK_CODE_CACHE: 'off' }), undefined);
    assert.equal(codeCacheDir({ HOME: '/home/ann', OPSDECK_CODE_CACHE: '0' }), undefined);
    assert.match(path.basename(codeCacheFile('/c', '/x/dist/cli-backup.js')), new RegExp(`^cli-backup-node${process.versions.node.replace(/\./g, '\\.')}-${process.arch}\\.v8$`));
    assert.ok(!existsSync('/home/ann'), 'nothing is created by asking');
  });
});
