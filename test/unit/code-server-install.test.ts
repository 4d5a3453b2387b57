/**
 * The code-server install check of scripts/vscode/lib.mjs, against fake installs in temp folders
 * (a real `out/node/entry.js` script that behaves like a broken, slow or first-run code-server):
 * the real reason when `code-server --version` fails (exit code, signal, stderr), one retry, a
 * generous timeout, and no half-finished install left behind for the next run; and the native
 * modules built against this Node's own headers (nodejs.org, where node-gyp fetches them, may be
 * out of reach: a fresh Debian machine had only the npm registry and Debian's mirrors).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CODE_SERVER_VERSION,
  codeServerVersion,
  ensureCodeServer,
  finishCodeServerInstall,
  nodeHeadersEnv,
  removeUnfinishedInstall,
} from '../../scripts/vscode/lib.mjs';

const MARKER = '.opsdeck-installed';
const VERSION_LINE = `${CODE_SERVER_VERSION} 409c64e0df4d53530e59c16acc2b5d5766f717b0 with Code 1.100.3`;

describe('the code-server install check (scripts/vscode/lib.mjs)', function () {
  this.timeout(60_000);
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'opsdeck-cs-test-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  /** A fake install in tmp/install whose entry.js runs `body` (CommonJS). */
  function fakeInstall(body: string, { marker = false } = {}): { dir: string; entry: string } {
    const dir = path.join(tmp, 'install');
    const entry = path.join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
    mkdirSync(path.dirname(entry), { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), '{"type":"commonjs"}\n');
    writeFileSync(entry, body);
    if (marker) writeFileSync(path.join(dir, MARKER), `${VERSION_LINE}\n`);
    return { dir, entry };
  }

  it('accepts the version line after the line code-server prints on its first run', async () => {
    // The first `--version` on a machine writes ~/.config/code-server/config.yaml and says so on
    // stdout before the version: the old check read only the first line and called it broken.
    const { entry } = fakeInstall(
      `console.log('[2026-12-05T18:58:29.436Z] info  Wrote default config file to /root/.config/code-server/config.yaml');\n` +
        `console.log(${JSON.stringify(VERSION_LINE)});\n`,
    );
    assert.deepEqual(await codeServerVersion(entry), { version: VERSION_LINE });
  });

  it('says the exit code and stderr when `--version` fails', async () => {
    const { entry } = fakeInstall(`process.stderr.write("Error: Cannot find module 'node-pty'\\n"); process.exit(7);\n`);
    const r = await codeServerVersion(entry);
    assert.equal(r.version, undefined);
    assert.match(r.error ?? '', /exit 7/);
    assert.match(r.error ?? '', /Cannot find module 'node-pty'/);
  });

  it('says the signal that killed it', async () => {
    const { entry } = fakeInstall(`process.kill(process.pid, 'SIGKILL');\n`);
    const r = await codeServerVersion(entry);
    assert.match(r.error ?? '', /killed by SIGKILL/);
  });

  it('stops a `--version` that does not answer within the timeout, and says so', async () => {
    const { entry } = fakeInstall(`setTimeout(() => {}, 600_000);\n`);
    const t0 = Date.now();
    const r = await codeServerVersion(entry, { timeoutMs: 1000 });
    assert.ok(Date.now() - t0 < 30_000, 'the hung process was stopped');
    assert.match(r.error ?? '', /did not answer within 1s/);
  });

  it('a broken install: the error has the exit code and stderr, it was retried once, and the install is removed', async () => {
    const { dir } = fakeInstall(
      `require('node:fs').appendFileSync(${JSON.stringify(path.join(tmp, 'runs'))}, 'x');\n` +
        `process.stderr.write('Error: libkrb5.so.3: cannot open shared object file\\n'); process.exit(3);\n`,
    );
    const logs: string[] = [];
    await assert.rejects(finishCodeServerInstall(dir, { log: (m: string) => logs.push(m), retryDelayMs: 10 }), (e: Error) => {
      assert.match(e.message, /code-server --version/);
      assert.match(e.message, /exit 3/);
      assert.match(e.message, /libkrb5\.so\.3: cannot open shared object file/);
      assert.match(e.message, /removed/);
      return true;
    });
    assert.equal(readFileSync(path.join(tmp, 'runs'), 'utf8'), 'xx', 'tried twice');
    assert.ok(logs.some((l) => /once more/.test(l)), `the retry is logged: ${logs.join(' | ')}`);
    assert.equal(existsSync(dir), false, 'the broken install is not left for the next run');
  });

  it('a first start that fails, then works on the retry, is accepted and marked installed', async () => {
    const runs = path.join(tmp, 'runs');
    const { dir } = fakeInstall(
      `const fs = require('node:fs');\n` +
        `if (!fs.existsSync(${JSON.stringify(runs)})) { fs.writeFileSync(${JSON.stringify(runs)}, '1'); process.stderr.write('busy\\n'); process.exit(1); }\n` +
        `console.log(${JSON.stringify(VERSION_LINE)});\n`,
    );
    const cs = await finishCodeServerInstall(dir, { log: () => {}, retryDelayMs: 10 });
    assert.equal(cs.version, VERSION_LINE);
    assert.equal(readFileSync(path.join(dir, MARKER), 'utf8').trim(), VERSION_LINE);
  });

  it('removes a half-finished install (no marker), and keeps a finished one', () => {
    const logs: string[] = [];
    const { dir } = fakeInstall('', { marker: true });
    assert.equal(removeUnfinishedInstall(dir, (m: string) => logs.push(m)), false);
    assert.ok(existsSync(path.join(dir, 'node_modules')), 'a finished install stays');
    rmSync(path.join(dir, MARKER));
    assert.equal(removeUnfinishedInstall(dir, (m: string) => logs.push(m)), true);
    assert.equal(existsSync(dir), false, 'the half-finished install is gone');
    assert.match(logs.join('\n'), /half-finished/);
    assert.equal(removeUnfinishedInstall(dir, () => {}), false, 'nothing to do when there is no folder');
  });

  it('ensureCodeServer uses a finished install as it is ($OPSDECK_CODE_SERVER_DIR)', async () => {
    const { dir } = fakeInstall(`console.log(${JSON.stringify(VERSION_LINE)});\n`, { marker: true });
    const saved = process.env.OPSDECK_CODE_SERVER_DIR;
    process.env.OPSDECK_CODE_SERVER_DIR = dir;
    try {
      const cs = await ensureCodeServer({ log: () => {} });
      assert.equal(cs.dir, dir);
      assert.equal(cs.version, VERSION_LINE);
    } finally {
      if (saved === undefined) delete process.env.OPSDECK_CODE_SERVER_DIR;
      else process.env.OPSDECK_CODE_SERVER_DIR = saved;
    }
  });

  it('builds the native modules against the headers of the Node that runs it, when it has them', () => {
    const prefix = path.join(tmp, 'node-prefix');
    const node = path.join(prefix, 'bin', 'node');
    mkdirSync(path.dirname(node), { recursive: true });
    assert.deepEqual(nodeHeadersEnv({}, node), {}, 'no headers: node-gyp downloads them');
    mkdirSync(path.join(prefix, 'include', 'node'), { recursive: true });
    writeFileSync(path.join(prefix, 'include', 'node', 'node_version.h'), '');
    assert.deepEqual(nodeHeadersEnv({}, node), { npm_config_nodedir: prefix });
    assert.deepEqual(nodeHeadersEnv({ npm_config_nodedir: '/opt/node' }, node), {}, 'a nodedir the user set wins');
  });
});
