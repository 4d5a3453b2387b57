/** The `sh run` convention of the docs (docs/testing.md "Runnable docs"): parsing and matching. */
import assert from 'node:assert/strict';
import { missingLine, parseRunnableBlocks, where } from '../helpers/runnable-docs';

const doc = [
  '# Guide', //                                  1
  '```sh', //                                     2  not runnable
  '$ opsdeck up', //                              3
  '```', //                                       4
  '1. Start it:', //                              5
  '', //                                          6
  '   ```sh run', //                              7
  '   $ opsdeck up -d', //                        8
  '   default-stack: 3/3 ready', //               9
  '   ...', //                                    10
  '', //                                          11
  '   $ opsdeck status \\', //                    12
  '       --json', //                             13
  '   ```', //                                    14
  '```sh run exit=2 stack=real-servers', //       15
  "$ cat > hook.cjs <<'EOF'", //                  16
  '$ not a command: inside the heredoc', //       17
  'EOF', //                                       18
  '$ opsdeck health --check', //                  19
  'CRITICAL', //                                  20
  '```', //                                       21
].join('\n');

describe('runnable docs: the sh run blocks of a Markdown file', () => {
  it('parses commands, continuation lines, heredocs, expected lines and options, with their lines', () => {
    const blocks = parseRunnableBlocks(doc, 'docs/guide.md');
    assert.deepEqual(blocks, [
      {
        file: 'docs/guide.md', line: 7, stack: 'default', exit: 0,
        commands: [
          { line: 8, cmd: 'opsdeck up -d', expect: ['default-stack: 3/3 ready'] },
          { line: 12, cmd: 'opsdeck status \\\n    --json', expect: [] },
        ],
      },
      {
        file: 'docs/guide.md', line: 15, stack: 'real-servers', exit: 2,
        commands: [
          { line: 16, cmd: "cat > hook.cjs <<'EOF'\n$ not a command: inside the heredoc\nEOF", expect: [] },
          { line: 19, cmd: 'opsdeck health --check', expect: ['CRITICAL'] },
        ],
      },
    ]);
    assert.equal(where(blocks[1]!), 'docs/guide.md:15');
  });

  it('refuses a malformed block, naming file:line', () => {
    assert.throws(() => parseRunnableBlocks('```sh run retry=3\n$ true\n```', 'a.md'), /^Error: a\.md:1: unknown option "retry=3"/);
    assert.throws(() => parseRunnableBlocks('```sh run\njust text\n```', 'a.md'), /^Error: a\.md:2: output line before the first "\$ " command/);
    assert.throws(() => parseRunnableBlocks('x\n```sh run\n```', 'a.md'), /^Error: a\.md:2: a sh run block without a "\$ " command/);
    assert.throws(() => parseRunnableBlocks("```sh run\n$ cat <<EOF\nhello\n```", 'a.md'), /^Error: a\.md:2: the heredoc <<EOF is never ended/);
    assert.throws(() => parseRunnableBlocks('```sh run\n$ true\n', 'a.md'), /^Error: a\.md:1: a code block that is never closed/);
  });

  it('matches expected lines in order, each a substring of one output line', () => {
    const out = 'SERVICE  STATE\n  storage  ready  \napi  ready\n';
    assert.equal(missingLine(out, ['storage  ready', 'api  ready']), undefined);
    assert.equal(missingLine(out, ['api  ready', 'storage  ready']), 'storage  ready', 'order counts');
    assert.equal(missingLine(out, ['storage  failed']), 'storage  failed');
    assert.equal(missingLine(out, ['ready', 'ready', 'ready']), 'ready', 'one output line per expected line');
  });
});
