/**
 * The architecture's import rules bite (eslint.config.mjs, docs/architecture.md): a surface that
 * reaches past the engine's three doors fails lint, src/core importing vscode fails lint, and
 * there is no import circle under src/ (scripts/check-import-cycles.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ESLint } from 'eslint';
import { circles, importGraph, sourceFiles } from '../../scripts/check-import-cycles';

const ROOT = path.resolve(import.meta.dirname, '../..');

async function restricted(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('architecture rules', function () {
  this.timeout(60_000);

  it('a surface importing a core internal fails lint, with the doors named', async () => {
    for (const [file, spec] of [
      ['src/cli/example.ts', '../core/engine'],
      ['src/cli/backup/example.ts', '../../core/backup/manager'],
      ['src/extension/example.ts', '../core/contract/status'],
      ['src/daemon/example.ts', '../core/host/engine-host'],
      ['src/extension/metrics-view/example.ts', '../../core/api/routes'],
    ] as const) {
      const messages = await restricted(file, `import { x } from '${spec}';\nexport const y = x;\n`);
      assert.equal(messages.length, 1, `${file} importing ${spec}: ${messages.join('; ')}`);
      assert.match(messages[0]!, /src\/core\/contract.*src\/core\/client.*src\/core\/host/);
    }
  });

  it('a surface importing the contract, the client or the host passes', async () => {
    for (const spec of ['../core/contract', '../core/client', '../core/host', './format', 'node:fs']) {
      assert.deepEqual(await restricted('src/cli/example.ts', `import { x } from '${spec}';\nexport const y = x;\n`), [], spec);
    }
  });

  it('src/core importing vscode fails lint', async () => {
    const messages = await restricted('src/core/example.ts', `import * as vscode from 'vscode';\nexport const y = vscode;\n`);
    assert.equal(messages.length, 1);
    assert.match(messages[0]!, /must not import vscode/);
  });

  it('finds an import circle, type-only imports included', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-cycles-'));
    try {
      mkdirSync(path.join(dir, 'a'));
      const a = path.join(dir, 'a', 'one.ts');
      const b = path.join(dir, 'two.ts');
      const c = path.join(dir, 'three.ts');
      writeFileSync(a, "import type { T } from '../two';\nexport const one = 1 as unknown as T;\n");
      writeFileSync(b, "import { one } from './a/one';\nexport type T = typeof one;\n");
      writeFileSync(c, "import { one } from './a/one';\nexport const three = one;\n");
      assert.deepEqual(circles(importGraph([a, b, c])), [[a, b].sort()]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('there is no import circle under src/', () => {
    const found = circles(importGraph(sourceFiles(path.join(ROOT, 'src'))));
    assert.deepEqual(found.map((c) => c.map((f) => path.relative(ROOT, f))), []);
  });
});
