/**
 * What the VSIX ships: the JSON Schema the extension validates opsdeck.yaml with (package.json
 * `yamlValidation`) is the generated one, and `vsce ls` lists exactly the files the extension
 * needs (no source maps, no sources, no tests, not the CLI's daemon bundle).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SCHEMA_FILES, renderSchema, staleSchemaFiles } from '../../scripts/gen-schema';

const ROOT = path.resolve(import.meta.dirname, '../..');
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  contributes: { yamlValidation: { url: string }[] };
};

/** `vsce ls --no-dependencies` in `cwd` (no prepublish build): the files the VSIX would hold. */
async function vsceLs(cwd: string): Promise<string[]> {
  const pkg = path.join(ROOT, 'node_modules', '@vscode', 'vsce');
  const { bin } = JSON.parse(readFileSync(path.join(pkg, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(pkg, bin.vsce!), 'ls', '--no-dependencies'], { cwd, timeout: 60_000 });
  return stdout.split('\n').filter(Boolean).sort();
}

/** What `npm run build` writes into dist/ (a development build: with source maps). */
const DEV_BUILD = [
  'package.json', 'node-sqlite3-wasm.wasm',
  'extension.js', 'extension.js.map', 'cli.js', 'cli.js.map', 'cli-program.js', 'cli-program.js.map', 'cli-report.js', 'cli-report.js.map', 'cli-backup.js', 'cli-backup.js.map', 'daemon.js', 'daemon.js.map', 'memory-worker.js', 'memory-worker.js.map', 'repo-worker.js', 'repo-worker.js.map', 'sqlite-check-worker.js', 'sqlite-check-worker.js.map', 'metrics-store-worker.js', 'metrics-store-worker.js.map', 'client.js', 'client.js.map',
  'webview/main.js', 'webview/main.js.map', 'webview/main.css', 'webview/main.css.map', 'webview/uplot.css', 'webview/codicon.css', 'webview/codicon.ttf',
];

/**
 * dist/ files the extension uses: its bundle; the CLI (cli.js and the programs it loads), which
 * Create Stack runs (`opsdeck init`); the worker threads its embedded engine starts (memory,
 * backup repository, a backup's SQLite check, the long-term metrics store); SQLite's WebAssembly; the Metrics webview.
 */
const SHIPPED_DIST = [
  'package.json', 'node-sqlite3-wasm.wasm', 'extension.js', 'cli.js', 'cli-program.js', 'cli-report.js', 'cli-backup.js', 'memory-worker.js', 'repo-worker.js', 'sqlite-check-worker.js', 'metrics-store-worker.js',
  'webview/main.js', 'webview/main.css', 'webview/uplot.css', 'webview/codicon.css', 'webview/codicon.ttf',
].map((f) => `dist/${f}`);

/** media/ files of the repository the VSIX holds: icons, the schema, the walkthrough (not .gitkeep). */
function shippedMedia(): string[] {
  return readdirSync(path.join(ROOT, 'media'), { recursive: true })
    .map((f) => `media/${String(f).split(path.sep).join('/')}`)
    .filter((f) => /\.(png|svg|json|md)$/.test(f));
}

const TOP = ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE'];

describe('packaging: the VSIX', function () {
  this.timeout(120_000);

  it('validates opsdeck.yaml with the schema generated from the zod schema (package.json yamlValidation)', () => {
    const urls = manifest.contributes.yamlValidation.map((v) => v.url);
    assert.deepEqual(urls, ['./media/opsdeck.schema.json']);
    const shipped = readFileSync(path.join(ROOT, urls[0]!), 'utf8');
    assert.ok(shipped === renderSchema(), 'media/opsdeck.schema.json is stale: run `npm run schema`');
  });

  it('gen-schema writes and checks both copies of the schema (docs/ and media/)', () => {
    assert.deepEqual(
      SCHEMA_FILES.map((f) => path.relative(ROOT, f).split(path.sep).join('/')),
      ['docs/opsdeck.schema.json', 'media/opsdeck.schema.json'],
    );
    const tmp = mkdtempSync(path.join(tmpdir(), 'opsdeck-schema-'));
    try {
      const good = path.join(tmp, 'good.json');
      const stale = path.join(tmp, 'stale.json');
      const missing = path.join(tmp, 'missing.json');
      writeFileSync(good, renderSchema());
      writeFileSync(stale, renderSchema().replace('"backup"', '"backup_old"'));
      assert.deepEqual(staleSchemaFiles([good, stale, missing]), [
        { file: stale, state: 'out of date' },
        { file: missing, state: 'missing' },
      ]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('`vsce ls` after a development build: exactly the bundles the extension uses, media and the manifest files', async () => {
    // A copy of what decides the file list, around a dist/ as `npm run build` leaves it and the
    // folders a checkout has, so the result does not depend on the state of this one's dist/.
    const tmp = mkdtempSync(path.join(tmpdir(), 'opsdeck-vsix-'));
    try {
      for (const f of [...TOP, '.vscodeignore']) cpSync(path.join(ROOT, f), path.join(tmp, f));
      cpSync(path.join(ROOT, 'media'), path.join(tmp, 'media'), { recursive: true });
      const junk = ['src/extension/extension.ts', 'test/unit/a.test.ts', 'docs/config.md', 'scripts/build.mjs', 'node_modules/yaml/index.js',
        'examples/default/opsdeck.yaml', '.opsdeck/state.json', 'opsdeck.vsix', 'tsconfig.json', 'webview-ui/src/main.ts', 'bench/README.md'];
      for (const f of [...DEV_BUILD.map((d) => `dist/${d}`), ...junk]) {
        mkdirSync(path.dirname(path.join(tmp, f)), { recursive: true });
        writeFileSync(path.join(tmp, f), 'x');
      }
      assert.deepEqual(await vsceLs(tmp), [...TOP, ...shippedMedia(), ...SHIPPED_DIST].sort());
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('`vsce ls` in this checkout lists nothing else (whatever dist/ holds now)', async () => {
    const files = await vsceLs(ROOT);
    const allowed = new Set([...TOP, ...shippedMedia(), ...SHIPPED_DIST]);
    assert.deepEqual(files.filter((f) => !allowed.has(f)), [], 'files the VSIX must not ship');
    assert.deepEqual(files.filter((f) => !f.startsWith('dist/')), [...TOP, ...shippedMedia()].sort());
  });
});
