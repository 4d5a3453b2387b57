import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { LineSplitter, MAX_LINE_CHARS, splitLines } from '../../src/core/supervisor/line-splitter';

function lines(chunks: (string | Buffer)[]): string[] {
  const out: string[] = [];
  const s = new LineSplitter((l) => out.push(l));
  for (const c of chunks) s.push(c);
  s.end();
  return out;
}

describe('LineSplitter (a service\'s output as lines)', () => {
  it('ends a line at \\n, \\r\\n and a lone \\r, and keeps empty lines', () => {
    assert.deepEqual(lines(['a\nb\r\nc\rd\n\ne\n']), ['a', 'b', 'c', 'd', '', 'e']);
  });

  it('joins a line split between chunks, also a \\r\\n split between them', () => {
    assert.deepEqual(lines(['hel', 'lo\r', '\nwor', 'ld\n']), ['hello', 'world']);
    assert.deepEqual(lines(['one\r', 'two\n']), ['one', 'two'], 'a lone \\r at a chunk end still ends the line');
  });

  it('joins a UTF-8 character split between chunks', () => {
    const bytes = Buffer.from('héllo → wörld\n', 'utf8');
    const at = bytes.indexOf(0x86); // inside the three bytes of →
    assert.deepEqual(lines([bytes.subarray(0, at), bytes.subarray(at)]), ['héllo → wörld']);
  });

  it('gives the last line without a line end when the stream ends, and nothing more', () => {
    assert.deepEqual(lines(['a\nlast']), ['a', 'last']);
    assert.deepEqual(lines(['a\n']), ['a']);
    assert.deepEqual(lines([]), []);
  });

  it(`cuts a line longer than ${MAX_LINE_CHARS} characters into pieces instead of holding it all`, () => {
    const out: string[] = [];
    const s = new LineSplitter((l) => out.push(l));
    const chunk = 'x'.repeat(10_000);
    for (let i = 0; i < 20; i++) s.push(chunk); // 200 000 characters, no line end yet
    assert.deepEqual(out.map((l) => l.length), [MAX_LINE_CHARS, MAX_LINE_CHARS, MAX_LINE_CHARS], 'full pieces given as they fill');
    s.push('y\n');
    s.end();
    assert.equal(out.join('').length, 200_001);
    assert.equal(out.at(-1), 'x'.repeat(200_000 - 3 * MAX_LINE_CHARS) + 'y');
  });

  it('splits a real process\'s stdout, the last line without a line end included', async () => {
    const child = spawn(process.execPath, ['-e', 'process.stdout.write("one\\ntwo\\r\\n"); setTimeout(() => process.stdout.write("thr"), 20); setTimeout(() => process.stdout.write("ee\\nlast"), 40)']);
    const got: string[] = [];
    splitLines(child.stdout, (l) => got.push(l));
    await new Promise((r) => child.once('close', r));
    assert.deepEqual(got, ['one', 'two', 'three', 'last']);
  });
});
