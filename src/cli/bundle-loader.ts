/**
 * How dist/cli.js runs the larger CLI bundle a command needs (dist/cli-program.js, cli-backup.js,
 * cli-report.js: 0.5-2.4 MB each): compiled with V8's code cache, kept per user in
 * `~/.cache/opsdeck/code-cache/` (`$XDG_CACHE_HOME`; `OPSDECK_CODE_CACHE=DIR` elsewhere, `off`
 * for none). Without it, every command compiles its bundle from source again: ~0.1 s of a
 * one-shot `backup` or `backups list` (bench/README.md, "Sixth round").
 *
 * Node 22 has this built in (`module.enableCompileCache()`), used where it exists; Node 20, which
 * Opsdeck supports, does not. What the Node 20 path costs to keep: the bundle is compiled through
 * `vm.Script` with Node's CommonJS wrapper instead of `require`, so it must stay a CommonJS file
 * that needs only `exports`, `require`, `module`, `__filename` and `__dirname` (esbuild's `cjs`
 * output is) and has no `import()`: Node 20 cannot import from a script compiled out of a code
 * cache (esbuild's `supported: { 'dynamic-import': false }` makes each a `require`, and an
 * `import()` left fails on every run, cached or not, so tests find it). `--enable-source-maps`
 * (which Node applies to what `require` loads, not to a vm.Script) takes the plain path.
 *
 * The cache holds what V8 compiled before the bundle ran (its top level), made right after
 * compiling: V8 refuses a cache made under other V8 flags, and a backup sets one while it runs
 * (src/core/wasm-compiler.ts). One file per bundle and Node version, named after both, starting
 * with the SHA-1 of the source it was made from; another source (a new build) rewrites it, as does
 * a file V8 refuses (another V8, a damaged file). Writes go through a temporary file and a rename;
 * any error of the cache itself (an unwritable home, a full disk) is ignored: the bundle then
 * runs as without the cache.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';

/**
 * What happened to the cache: used; written (there was none, or one of another source); refused
 * by V8 and rewritten; left to Node's own (Node 22); or none (off, or it could not be written).
 */
export type CodeCacheOutcome = 'used' | 'written' | 'rejected' | 'node' | 'off';

const KEY_LEN = 20; // SHA-1

/** The folder of the code cache, or undefined for none (`OPSDECK_CODE_CACHE=off`, no home folder). */
export function codeCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const set = env.OPSDECK_CODE_CACHE;
  if (set === 'off' || set === '0') return undefined;
  if (set) return path.resolve(set);
  const home = env.HOME || homeOrNone();
  const base = env.XDG_CACHE_HOME || (home ? path.join(home, '.cache') : undefined);
  return base ? path.join(base, 'opsdeck', 'code-cache') : undefined;
}

function homeOrNone(): string | undefined {
  try {
    return os.homedir() || undefined;
  } catch {
    return undefined; // a user without a home folder
  }
}

/** The cache file of `bundle` under `dir`: per bundle, Node version and architecture. */
export function codeCacheFile(dir: string, bundle: string): string {
  return path.join(dir, `${path.basename(bundle, '.js')}-node${process.versions.node}-${process.arch}.v8`);
}

/** Node's own compile cache (Node 22), where it has one. */
const nodeCompileCache = (Module as unknown as { enableCompileCache?: (dir?: string) => unknown }).enableCompileCache;

/**
 * Run the CommonJS file `bundle` as `require` would, compiled with the code cache in `dir`
 * (through Node's own where it has one, unless `useNode` is false).
 */
export function runBundle(bundle: string, dir: string | undefined = codeCacheDir(), useNode = true): CodeCacheOutcome {
  const file = path.resolve(bundle);
  const builtIn = useNode ? nodeCompileCache : undefined;
  if (!dir || builtIn || sourceMapsAsked()) {
    if (dir && builtIn) builtIn(dir);
    createRequire(file)(file);
    return dir && builtIn ? 'node' : 'off';
  }
  const source = readFileSync(file, 'utf8');
  const key = createHash('sha1').update(source).digest();
  const cacheFile = codeCacheFile(dir, file);
  const cached = readCache(cacheFile, key);
  const script = new vm.Script(Module.wrap(source.replace(/^#!.*/, '')), {
    filename: file,
    ...(cached ? { cachedData: cached } : {}),
  });
  let outcome: CodeCacheOutcome = cached && !script.cachedDataRejected ? 'used' : cached ? 'rejected' : 'written';
  if (outcome !== 'used' && !writeCache(dir, cacheFile, key, script.createCachedData())) outcome = 'off';
  const mod = new Module(file);
  mod.filename = file;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(file));
  (Module as unknown as { _cache: Record<string, Module> })._cache[file] = mod;
  const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => void;
  wrapper.call(mod.exports, mod.exports, createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
  return outcome;
}

/** `--enable-source-maps` (mapped stack traces), which Node applies to what `require` loads, not to a vm.Script. */
function sourceMapsAsked(): boolean {
  return process.execArgv.includes('--enable-source-maps') || /(^|\s)--enable-source-maps(\s|$)/.test(process.env.NODE_OPTIONS ?? '');
}

/** The cached data of the file, if it was made from the source whose SHA-1 is `key`. */
function readCache(cacheFile: string, key: Buffer): Buffer | undefined {
  try {
    const data = readFileSync(cacheFile);
    return data.length > KEY_LEN && data.subarray(0, KEY_LEN).equals(key) ? data.subarray(KEY_LEN) : undefined;
  } catch {
    return undefined;
  }
}

/** Write the cache (the key, then V8's data) through a temporary file; false when it cannot be written. */
function writeCache(dir: string, cacheFile: string, key: Buffer, data: Buffer): boolean {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(tmp, Buffer.concat([key, data]), { mode: 0o600 });
    renameSync(tmp, cacheFile);
    return true;
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // no folder to remove it from
    }
    return false;
  }
}
