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
 * The cache holds what V8 compiled while a command ran (the functions it called, not only the
 * bundle's top level): made when the process exits, after a run that had no usable cache or whose
 * command (`backups verify`, see commandPhrase()) the cache was not yet made for. A made-at-exit
 * cache carries the functions the earlier commands compiled too (they came from it), and it saves
 * ~50 ms more of a one-shot backup than one made before the bundle ran (bench/README.md, "Seventh
 * round"). V8 refuses a cache made under other V8 flags: a backup sets one while it runs
 * (src/core/wasm-compiler.ts), which puts them back before this writes.
 *
 * One file per bundle and Node version, named after both, starting with the SHA-1 of the source it
 * was made from (and of this format) and the commands it was made for; another source (a new
 * build) rewrites it, as does a file V8 refuses (another V8, a damaged file). Writes go through a
 * temporary file and a rename; any error of the cache itself (an unwritable home, a full disk) is
 * ignored: the bundle then runs as without the cache.
 */
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { commandPhrase } from './command-word';

/**
 * What happened to the cache: used; to be written at exit (there was none, or one of another
 * source); refused by V8, to be rewritten at exit; left to Node's own (Node 22); or none (off, or
 * its folder cannot be made).
 */
export type CodeCacheOutcome = 'used' | 'written' | 'rejected' | 'node' | 'off';

const KEY_LEN = 20; // SHA-1
/** Part of the key: a file of another layout (an earlier release's) is taken for another source's. */
const FORMAT = 'opsdeck-code-cache-3\0';
/** At most this many commands named in a cache file (past them, the file is not made again). */
const MAX_COVERS = 24;

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
 * (through Node's own where it has one, unless `useNode` is false). `command` names what this run
 * does, for the cache to say which commands it was made for.
 */
export function runBundle(bundle: string, dir: string | undefined = codeCacheDir(), useNode = true, command = commandPhrase(process.argv.slice(2)) ?? ''): CodeCacheOutcome {
  const file = path.resolve(bundle);
  const builtIn = useNode ? nodeCompileCache : undefined;
  if (!dir || builtIn || sourceMapsAsked()) {
    if (dir && builtIn) builtIn(dir);
    createRequire(file)(file);
    return dir && builtIn ? 'node' : 'off';
  }
  // the bytes are hashed as read, and an ASCII file (a minified bundle) becomes a string without
  // UTF-8 decoding, rather than a UTF-8 string encoded again to be hashed (with the config parsed
  // without zod's JIT: 0.531 against 0.547 s for an unchanged backup, bench/README.md)
  const bytes = readFileSync(file);
  const key = createHash('sha1').update(FORMAT).update(bytes).digest();
  const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  const cacheFile = codeCacheFile(dir, file);
  const cached = readCache(cacheFile, key);
  const script = new vm.Script(Module.wrap(source.replace(/^#!.*/, '')), {
    filename: file,
    ...(cached ? { cachedData: cached.data } : {}),
  });
  let outcome: CodeCacheOutcome = cached && !script.cachedDataRejected ? 'used' : cached ? 'rejected' : 'written';
  const covers = outcome === 'used' ? cached!.covers : [];
  const named = command.replace(/[^\x20-\x7e]/g, '?').slice(0, 64); // printable, short: it is stored
  if (outcome !== 'used' || (!covers.includes(named) && covers.length < MAX_COVERS)) {
    if (cacheFolder(dir)) process.once('exit', () => writeCache(cacheFile, key, [...covers, named], () => script.createCachedData()));
    else outcome = 'off';
  }
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

/**
 * The cache file's V8 data and the commands it was made for, if it was made from the source (and
 * in the layout) whose SHA-1 is `key`. The layout: the key, the length of the commands (joined by
 * newlines) in two bytes, the commands, V8's data.
 */
function readCache(cacheFile: string, key: Buffer): { data: Buffer; covers: string[] } | undefined {
  try {
    const stored = readFileSync(cacheFile);
    if (stored.length <= KEY_LEN + 2 || !stored.subarray(0, KEY_LEN).equals(key)) return undefined;
    const end = KEY_LEN + 2 + stored.readUInt16BE(KEY_LEN);
    const covers = stored.toString('latin1', KEY_LEN + 2, end);
    return end < stored.length ? { data: stored.subarray(end), covers: covers ? covers.split('\n') : [] } : undefined;
  } catch {
    return undefined;
  }
}

/** The cache's folder, made if need be (owner-only); false when it cannot be. */
function cacheFolder(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return true;
  } catch {
    return false;
  }
}

/** Write the cache through a temporary file; a failure leaves things as they were (and is not an error). */
function writeCache(cacheFile: string, key: Buffer, covers: string[], data: () => Buffer): void {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  // at most MAX_COVERS names of at most 64 printable characters: they fit in two bytes
  const names = Buffer.from(covers.join('\n'), 'latin1');
  const size = Buffer.alloc(2);
  size.writeUInt16BE(names.length);
  try {
    writeFileSync(tmp, Buffer.concat([key, size, names, data()]), { mode: 0o600 });
    renameSync(tmp, cacheFile);
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // no folder to remove it from
    }
  }
}
