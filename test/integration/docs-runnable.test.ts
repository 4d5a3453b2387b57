/**
 * Docs that cannot rot (issue 17): every ```` ```sh run ```` block of README.md and docs/**\/*.md
 * is run, file by file, as a reader would type it (the convention: docs/testing.md "Runnable
 * docs", parsing in test/helpers/runnable-docs.ts).
 *
 * Per file: a fresh temp copy of the example stack (examples/default, or the one a block names
 * with `stack=NAME`; the copy's `node_modules` links to the repository's, as in
 * test/integration/default-stack.test.ts), its loopback ports remapped to free ones (in
 * opsdeck.yaml, and in the blocks' commands and expected lines, so a stack already running on
 * this machine does not collide), `opsdeck` on PATH running the built dist/cli.js, HOME and the
 * XDG folders inside the temp folder, and OPSDECK_UNIT_DIR there too (`opsdeck units install`
 * writes its units there and enables nothing on this machine). Each block is one test named
 * file:line; its commands run with bash in the copy, in order, stdout and stderr together.
 * After the file, always: `opsdeck down` in every copy, whatever still runs inside it killed,
 * the temp folder removed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killProcessesUsing, processesUsing } from '../../scripts/vscode/lib.mjs';
import { buildBundles } from '../helpers/built-cli';
import { docFiles, missingLine, parseRunnableBlocks, plain, where, type DocBlock, type DocCommand } from '../helpers/runnable-docs';
import { copyExample, REPO, type ExampleCopy } from '../helpers/servers';
import { NODE } from '../helpers/stack';

/** The loopback ports each example writes in its opsdeck.yaml (remapped in the copy). */
const EXAMPLE_PORTS: Record<string, number[]> = {
  default: [7101, 7102, 7103],
  'real-servers': [55432, 56379, 58080],
};

/** How long one command may run before it is killed (a hung command fails its block). */
const COMMAND_TIMEOUT_MS = 180_000;

const files = docFiles(REPO)
  .map((file) => ({ file, blocks: parseRunnableBlocks(readFileSync(join(REPO, file), 'utf8'), file) }))
  .filter((f) => f.blocks.length > 0);

/** The temp folder of one file's run: its stack copies, the environment its commands get. */
class DocRun {
  readonly tmp = mkdtempSync(join(tmpdir(), 'opsdeck-docs-'));
  readonly copies = new Map<string, ExampleCopy>();
  readonly env: NodeJS.ProcessEnv;

  constructor() {
    const bin = join(this.tmp, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'opsdeck'), `#!/bin/sh\nexec '${NODE}' '${join(REPO, 'dist/cli.js')}' "$@"\n`);
    chmodSync(join(bin, 'opsdeck'), 0o755);
    const home = join(this.tmp, 'home');
    const dirs = { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local/share'), XDG_STATE_HOME: join(home, '.local/state'), XDG_CACHE_HOME: join(home, '.cache'), OPSDECK_UNIT_DIR: join(this.tmp, 'units') };
    for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
    this.env = { ...process.env, ...dirs, PATH: `${bin}:${process.env.PATH ?? ''}`, NO_COLOR: '1', FORCE_COLOR: '0' };
    delete this.env.OPSDECK_STACK;
  }

  async copyFor(stack: string): Promise<ExampleCopy> {
    let copy = this.copies.get(stack);
    if (!copy) {
      const ports = EXAMPLE_PORTS[stack];
      assert.ok(ports, `no example stack "${stack}" (examples/: ${Object.keys(EXAMPLE_PORTS).join(', ')})`);
      copy = await copyExample(stack, { ports, linkNodeModules: true });
      this.copies.set(stack, copy);
    }
    return copy;
  }

  /** One command in the copy: its exit code and its output (stdout and stderr as they came). */
  run(copy: ExampleCopy, cmd: string): { code: number; output: string } {
    // Output into a file, not a pipe: a background process a block starts (`… &`) keeps the
    // descriptors it inherited, and a pipe would then never close.
    const out = join(this.tmp, 'output');
    const fd = openSync(out, 'w');
    try {
      const r = spawnSync('bash', ['-c', cmd], { cwd: copy.dir, env: this.env, stdio: ['ignore', fd, fd], timeout: COMMAND_TIMEOUT_MS, killSignal: 'SIGKILL' });
      const output = plain(readFileSync(out, 'utf8'));
      const code = r.status ?? -1;
      return { code, output: r.error ? `${output}\n[${r.error.message}]` : output };
    } finally {
      closeSync(fd);
    }
  }

  async teardown(): Promise<string[]> {
    const problems: string[] = [];
    for (const copy of this.copies.values()) {
      const down = this.run(copy, 'opsdeck down');
      if (down.code !== 0 && !/no engine|not running/i.test(down.output)) problems.push(`opsdeck down in ${copy.dir}: exit ${down.code}\n${down.output}`);
    }
    const dirs = [this.tmp, ...[...this.copies.values()].map((c) => c.dir)];
    const left = await killProcessesUsing(dirs);
    if (processesUsing(dirs).length) problems.push(`processes still running after the file: ${left.map((p) => `${p.pid} ${p.cmd}`).join('; ')}`);
    for (const copy of this.copies.values()) copy.cleanup();
    rmSync(this.tmp, { recursive: true, force: true });
    return problems;
  }
}

/** The example's port numbers in `text`, replaced with the copy's. */
function remapPorts(text: string, copy: ExampleCopy): string {
  let out = text;
  for (const [from, to] of copy.ports) out = out.replace(new RegExp(`\\b${from}\\b`, 'g'), String(to));
  return out;
}

/** The failure message of one command: file:line of the block and the command, what was wrong, the output. */
function failure(block: DocBlock, c: DocCommand, what: string, output: string): string {
  return `${where(block)} (command at line ${c.line}: ${c.cmd.split('\n')[0]}): ${what}\n--- its output ---\n${output.trimEnd() || '(none)'}\n---`;
}

describe('runnable docs: every sh run block of README.md and docs/ runs and shows what it says', function () {
  before(function () {
    this.timeout(120_000);
    buildBundles();
  });

  it('finds runnable blocks (README.md and the guides have some)', () => {
    const names = files.map((f) => f.file);
    for (const f of ['README.md', 'docs/install.md', 'docs/guides/developers.md', 'docs/guides/operators.md']) assert.ok(names.includes(f), `${f} has no sh run block: ${names.join(', ')}`);
  });

  for (const { file, blocks } of files) {
    describe(file, function () {
      let run: DocRun;
      before(() => {
        run = new DocRun();
      });
      after(async function () {
        this.timeout(120_000);
        assert.deepEqual(await run.teardown(), [], `teardown of ${file}`);
      });

      for (const block of blocks) {
        it(`${where(block)}: ${block.commands.map((c) => c.cmd.split('\n')[0]).join(' · ').slice(0, 120)}`, async function () {
          this.timeout(COMMAND_TIMEOUT_MS * block.commands.length + 30_000);
          const copy = await run.copyFor(block.stack);
          block.commands.forEach((c, i) => {
            const last = i === block.commands.length - 1;
            const want = last ? block.exit : 0;
            const { code, output } = run.run(copy, remapPorts(c.cmd, copy));
            if (code !== want) assert.fail(failure(block, c, `exit code ${code}, the doc expects ${want}`, output));
            const missing = missingLine(output, c.expect.map((e) => remapPorts(e, copy)));
            if (missing !== undefined) assert.fail(failure(block, c, `the output lacks the line "${missing}" (expected in order: ${JSON.stringify(c.expect)})`, output));
          });
        });
      }
    });
  }
});
