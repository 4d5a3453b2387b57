#!/usr/bin/env node
/**
 * Bundles the extension and the CLI (dist/cli.js and the programs it loads, dist/cli-program.js,
 * dist/cli-report.js and dist/cli-backup.js) with esbuild into CommonJS files under dist/, and the
 * Metrics sidebar webview (browser code) into dist/webview/.
 *
 *   node scripts/build.mjs               development build (sourcemaps; the CLI and the memory
 *                                        worker are minified in every build)
 *   node scripts/build.mjs --production  minified, no sourcemaps (what the VSIX ships)
 *   node scripts/build.mjs --watch       rebuild on change
 *   node scripts/build.mjs --types       also the declarations of the public entry `opsdeck/client`
 *                                        (dist/types/, tsc: ~10 s; every --production build writes them)
 *
 * The root package is ESM ("type": "module") but the extension host loads extensions with
 * require(), so the bundles are CommonJS and dist/package.json says so. ESM-only dependencies
 * (execa 9) are bundled in; `import.meta.url`, which does not exist in CommonJS, is replaced by
 * a value computed from __filename in each bundle's banner.
 */
import * as esbuild from 'esbuild';
import { spawn } from 'node:child_process';
import { chmod, copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI_NODE_FLAGS } from './lib/cli-node-flags.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const args = new Set(process.argv.slice(2));
const watch = args.has('--watch');
const production = args.has('--production');
const types = production || args.has('--types');
for (const a of args) {
  if (a !== '--watch' && a !== '--production' && a !== '--types') {
    console.error(`error: unknown option ${a}\nhint: use --watch, --production and/or --types`);
    process.exit(2);
  }
}

const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));

const importMetaShim = 'var __opsdeck_import_meta_url = require("node:url").pathToFileURL(__filename).href;';

/**
 * The Kubernetes OpenAPI schemas (~1 MB with their validator), which only `opsdeck export
 * kubernetes --check` reads: bundled into the CLI program, required at run time from
 * node_modules by the extension and the daemon (src/core/export/kubernetes-check.ts says
 * NOT_AVAILABLE where they are not installed, as in the VSIX).
 */
const KUBERNETES_SCHEMAS = ['kubernetes-models', 'kubernetes-models/*'];

/** @type {esbuild.BuildOptions} */
const common = {
  absWorkingDir: root,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: !production,
  sourcesContent: false,
  minify: production,
  logLevel: 'info',
  define: {
    'import.meta.url': '__opsdeck_import_meta_url',
    __OPSDECK_VERSION__: JSON.stringify(pkg.version),
  },
};

/** @type {esbuild.BuildOptions[]} */
const targets = [
  {
    ...common,
    entryPoints: { extension: 'src/extension/extension.ts' },
    outdir: 'dist',
    // KUBERNETES_SCHEMAS: the extension exports through the CLI (~1 MB of schemas left out).
    external: ['vscode', ...KUBERNETES_SCHEMAS],
    banner: { js: importMetaShim },
  },
  // The CLI, in two bundles: dist/cli.js (the `bin`, small: Node reads and compiles all of a
  // script before it runs a line, ~50 ms for the whole CLI) answers `status`, `health` and
  // `profile list` of a running engine itself and loads dist/cli-program.js, the commander program
  // with everything, for the rest (src/cli/main.ts). test/integration/cli-quick-path.test.ts
  // checks what dist/cli.js holds and loads.
  {
    ...common,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: 'dist',
    // `opsdeck` runs with CLI_NODE_FLAGS (scripts/lib/cli-node-flags.mjs): `env -S` splits the line
    // (coreutils 8.30+, macOS, the BSDs; npm's Windows shims read it too).
    banner: { js: `#!/usr/bin/env -S node ${CLI_NODE_FLAGS.join(' ')}\n${importMetaShim}` },
    plugins: [executable('dist/cli.js'), programApart(), sourcesWithoutSideEffects()],
    // import() as require(): Node's import() of a CommonJS file first scans all of it for its
    // exports (cjs-module-lexer: ~65 ms for the program's 1.2 MB).
    supported: { 'dynamic-import': false },
    minify: true,
  },
  {
    ...common,
    entryPoints: { 'cli-program': 'src/cli/program-main.ts' },
    outdir: 'dist',
    banner: { js: importMetaShim },
    // Always minified (the sourcemap, in development builds, maps it back): `cli.js daemon` runs
    // the engine in this bundle where dist/daemon.js is not shipped (the VSIX), and V8 keeps a
    // script's whole source in memory for as long as it runs, twice its size when a comment holds
    // one character outside Latin-1.
    minify: true,
    // import() as require(): dist/cli.js runs this bundle from V8's code cache, where Node 20 has
    // no import() (src/cli/bundle-loader.ts).
    supported: { 'dynamic-import': false },
  },
  // `opsdeck report` alone (src/cli/report-program-main.ts): the program shell with that one
  // command, its config loading, the report and the store, without the rest of the program
  // (~half its size: less to read, compile and run for every report). Our sources taken as free
  // of side effects as for dist/cli.js, so the doors (src/core/host…) bring in what it uses; zod's
  // locales left out as for the daemon.
  programShellBundle('cli-report', 'src/cli/report-program-main.ts'),
  // `opsdeck backup`, `backups …` and `restore` alone (src/cli/backup-program-main.ts), built the
  // same way: the backup commands, the engine they open and the repository, without the others.
  programShellBundle('cli-backup', 'src/cli/backup-program-main.ts'),
  // The engine daemon that `up --detach` starts (src/daemon/daemon-main.ts: the engine without the
  // CLI), and the worker threads started from next to the bundle that runs the engine (the daemon,
  // the CLI or the extension): the memory worker (src/core/memory/journaled-memory.ts starts it),
  // the only code that opens memory.db in an engine's process, and the backup repository's worker
  // (src/core/backup/repo/worker.ts starts a pool of them), the backup's SQLite check
  // (src/core/backup/adapters/sqlite-checks.ts: quick_check of a copy beside the chunking), and the
  // metrics store worker (src/core/metrics/store/long-term-metrics.ts), the only code that opens
  // metrics.db. All minified.
  {
    ...common,
    entryPoints: {
      daemon: 'src/daemon/daemon-main.ts',
      'memory-worker': 'src/core/memory/memory-worker.ts',
      'metrics-store-worker': 'src/core/metrics/store/store-worker.ts',
      'repo-worker': 'src/core/backup/repo/worker-thread.ts',
      'sqlite-check-worker': 'src/core/backup/adapters/sqlite-check-worker.ts',
    },
    outdir: 'dist',
    banner: { js: importMetaShim },
    minify: true,
    plugins: [daemonShims()],
    external: KUBERNETES_SCHEMAS,
  },
  // The public entry `opsdeck/client` (package.json `exports`): the typed API client for other
  // programs (docs/api.md, "Clients"); its declarations come from tsc (clientTypes below).
  {
    ...common,
    entryPoints: { client: 'src/core/client/public.ts' },
    outdir: 'dist',
    banner: { js: importMetaShim },
  },
  // The Metrics sidebar webview (browser): dist/webview/main.js + main.css; the stylesheets it
  // links (uPlot's, the codicons with their font) are copied next to it below.
  {
    absWorkingDir: root,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome114'],
    sourcemap: !production,
    sourcesContent: false,
    minify: production,
    logLevel: 'info',
    entryPoints: { main: 'webview-ui/src/main.ts' },
    outdir: 'dist/webview',
  },
];

/**
 * What the daemon's bundle leaves out or defers (src/daemon/shims/): `node:http2`, which
 * @hono/node-server imports for `instanceof` checks only; zod's locales other than English; and
 * node:crypto and node:https, loaded on first use.
 */
function daemonShims() {
  return {
    name: 'daemon-shims',
    setup(build) {
      build.onResolve({ filter: /^(node:)?http2$/ }, () => ({ path: path.join(root, 'src/daemon/shims/no-http2.ts') }));
      // The engine's own imports of node:crypto and node:https load the real module on first use.
      build.onResolve({ filter: /^node:(crypto|https)$/ }, (a) =>
        a.importer.startsWith(path.join(root, 'src') + path.sep) && !a.importer.includes(`${path.sep}shims${path.sep}`)
          ? { path: path.join(root, `src/daemon/shims/lazy-${a.path.slice('node:'.length)}.ts`) }
          : undefined,
      );
      build.onResolve({ filter: /\/locales\/index\.js$/ }, (a) =>
        a.importer.includes(`${path.sep}node_modules${path.sep}zod${path.sep}`) ? { path: path.join(root, 'src/daemon/shims/zod-locales.ts') } : undefined,
      );
    },
  };
}

/**
 * dist/cli.js's `import('./program-main')` (and of `./report-program-main`, `./backup-program-main`)
 * run their own bundles, next to it, instead of holding them: through src/cli/bundle-loader.ts,
 * which compiles them with V8's code cache.
 */
function programApart() {
  const bundles = { './program-main': 'cli-program.js', './report-program-main': 'cli-report.js', './backup-program-main': 'cli-backup.js' };
  return {
    name: 'program-apart',
    setup(build) {
      build.onResolve({ filter: /^\.\/(backup-|report-)?program-main$/ }, (a) => ({ path: bundles[a.path], namespace: 'program-apart' }));
      build.onLoad({ filter: /.*/, namespace: 'program-apart' }, (a) => ({
        contents: `import { runBundle } from './bundle-loader';\nrunBundle(require('node:path').join(__dirname, ${JSON.stringify(a.path)}));\n`,
        resolveDir: path.join(root, 'src/cli'),
        loader: 'ts',
      }));
    },
  };
}

/**
 * Our sources, taken as free of side effects on import (as `"sideEffects": false` in a package.json
 * says of a package): a module none of whose exports is used is left out, so the quick path's
 * imports from the doors (src/core/contract, client, host) bring in what it uses, not every module
 * behind the door (the API's zod schemas, the engine, YAML). For dist/cli.js only.
 */
function sourcesWithoutSideEffects() {
  const src = path.join(root, 'src') + path.sep;
  return {
    name: 'sources-without-side-effects',
    setup(build) {
      build.onResolve({ filter: /^\./ }, async (a) => {
        if (a.pluginData?.again || !a.importer.startsWith(src)) return undefined;
        const r = await build.resolve(a.path, { resolveDir: a.resolveDir, kind: a.kind, importer: a.importer, pluginData: { again: true } });
        return r.errors.length || r.external || !r.path.startsWith(src) ? undefined : { ...r, sideEffects: false };
      });
    },
  };
}

/** tsc writes the declarations of `opsdeck/client` into dist/types/ (tsconfig.client-types.json). */
function clientTypes() {
  return new Promise((resolve, reject) => {
    const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
    const child = spawn(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.client-types.json')], { cwd: root, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tsc (the declarations of opsdeck/client) exited with ${code}`))));
  });
}

/** Makes an output file executable after every build. */
function executable(file) {
  return {
    name: 'chmod',
    setup(build) {
      build.onEnd(async (result) => {
        if (result.errors.length === 0) await chmod(path.join(root, file), 0o755);
      });
    },
  };
}

// Start from an empty dist/ so nothing stale (e.g. sourcemaps of a dev build) ends up in the VSIX.
await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
// The root package.json says "type": "module"; this one makes Node treat dist/*.js as CommonJS.
await writeFile(path.join(dist, 'package.json'), JSON.stringify({ type: 'commonjs' }, null, 2) + '\n');
// node-sqlite3-wasm loads its WebAssembly binary from next to the bundle that contains it.
await copyFile(path.join(root, 'node_modules/node-sqlite3-wasm/dist/node-sqlite3-wasm.wasm'), path.join(dist, 'node-sqlite3-wasm.wasm'));
// The webview's stylesheets: uPlot's, and the codicons (css + font) that @vscode-elements' icons need.
await mkdir(path.join(dist, 'webview'), { recursive: true });
for (const [from, to] of [
  ['node_modules/uplot/dist/uPlot.min.css', 'uplot.css'],
  ['node_modules/@vscode/codicons/dist/codicon.css', 'codicon.css'],
  ['node_modules/@vscode/codicons/dist/codicon.ttf', 'codicon.ttf'],
]) {
  await copyFile(path.join(root, from), path.join(dist, 'webview', to));
}

if (watch) {
  const contexts = await Promise.all(targets.map((t) => esbuild.context(t)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('watching for changes (Ctrl+C to stop)');
  const stop = async () => {
    await Promise.all(contexts.map((c) => c.dispose()));
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} else {
  try {
    await Promise.all([...targets.map((t) => esbuild.build(t)), ...(types ? [clientTypes()] : [])]);
  } catch {
    // esbuild and tsc have already printed the errors.
    process.exit(1);
  }
  await checkAscii(targets.filter((t) => t.minify));
}

/** A bundle of the program shell with some commands alone (dist/cli.js loads it for them). */
function programShellBundle(name, entry) {
  return {
    ...common,
    entryPoints: { [name]: entry },
    outdir: 'dist',
    banner: { js: importMetaShim },
    plugins: [sourcesWithoutSideEffects(), daemonShims()],
    supported: { 'dynamic-import': false },
    minify: true,
  };
}

/**
 * The minified bundles must be ASCII: one character beyond it (esbuild escapes those of strings,
 * not of regular expressions) makes Node decode the whole file on its slow path (~27 ms for the
 * program's 2.4 MB) and V8 hold its source as two bytes a character, for every CLI command.
 */
async function checkAscii(minified) {
  const { readFile } = await import('node:fs/promises');
  for (const t of minified) {
    for (const name of Object.keys(t.entryPoints)) {
      const file = path.join(root, t.outdir ?? path.dirname(t.outfile), `${name}.js`);
      const data = await readFile(file).catch(() => undefined);
      const at = data?.findIndex((b) => b > 0x7f) ?? -1;
      if (at >= 0) {
        console.error(`error: ${path.relative(root, file)} is not ASCII at byte ${at}: …${data.subarray(Math.max(0, at - 40), at + 8).toString()}…\nhint: write the character as an escape (\\u2192) in the source; in a regular expression too`);
        process.exit(1);
      }
    }
  }
}
