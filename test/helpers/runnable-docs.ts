/**
 * Runnable docs (issue 17, convention in docs/testing.md "Runnable docs"): the ```` ```sh run ````
 * blocks of the Markdown files, parsed into commands and the output lines each must show, and
 * the matching of a command's output against them. Pure: no process is started here; the test
 * that runs the blocks is test/integration/docs-runnable.test.ts.
 */
import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** One `$ ` command of a block and the lines its output must show, in order. */
export interface DocCommand {
  /** 1-based line of the `$ ` line in the file. */
  line: number;
  /** The command as bash gets it (continuation lines and heredoc bodies included). */
  cmd: string;
  /** Expected output lines (trimmed, blank lines and `...` left out). */
  expect: string[];
}

export interface DocBlock {
  /** The file, relative to the repository (forward slashes). */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The example stack the block runs in (`default` unless `stack=NAME`). */
  stack: string;
  /** The exit code the block's last command must have (`exit=N`, else 0). */
  exit: number;
  commands: DocCommand[];
}

/** Where a block is, as people and editors read it: `docs/install.md:42`. */
export const where = (b: { file: string; line: number }) => `${b.file}:${b.line}`;

const FENCE = /^(\s*)(`{3,}|~{3,})\s*(.*)$/;
/** A heredoc in a command line: `<<EOF`, `<<-EOF`, `<<'EOF'`, `<<"EOF"` (the word is the terminator). */
const HEREDOC = /<<-?\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1/;

/**
 * The `sh run` blocks of one Markdown text. A command line starts with `$ `; a command ending in
 * `\` goes on over the next line, and a heredoc's body (up to its terminator) belongs to its
 * command. Every other line up to the next `$ ` line is an expected output line. Throws (with
 * file:line) on a malformed block: an unknown option, a runnable block without a command, an
 * unterminated block or heredoc.
 */
export function parseRunnableBlocks(text: string, file: string): DocBlock[] {
  const lines = text.split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const fence = open[2]!;
    const info = open[3]!.trim().split(/\s+/);
    const closing = new RegExp(`^\\s*\\${fence[0]}{${fence.length},}\\s*$`);
    const close = lines.findIndex((l, j) => j > i && closing.test(l));
    if (close < 0) throw new Error(`${file}:${i + 1}: a code block that is never closed`);
    // A block indented under a list item: its lines lose the fence's indentation.
    const body = lines.slice(i + 1, close).map((l) => l.replace(new RegExp(`^ {0,${open[1]!.length}}`), ''));
    if (info[0] === 'sh' && info[1] === 'run') blocks.push(parseBlock(body, file, i + 1, info.slice(2)));
    i = close;
  }
  return blocks;
}

function parseBlock(body: string[], file: string, line: number, options: string[]): DocBlock {
  const block: DocBlock = { file, line, stack: 'default', exit: 0, commands: [] };
  for (const opt of options) {
    const m = /^(stack|exit)=(\S+)$/.exec(opt);
    if (m?.[1] === 'stack' && /^[a-z0-9-]+$/.test(m[2]!)) block.stack = m[2]!;
    else if (m?.[1] === 'exit' && /^\d+$/.test(m[2]!)) block.exit = Number(m[2]);
    else throw new Error(`${file}:${line}: unknown option "${opt}" of a sh run block (stack=NAME or exit=N)`);
  }
  for (let k = 0; k < body.length; k++) {
    const text = body[k]!;
    if (text.startsWith('$ ')) {
      const at = line + 1 + k;
      const parts = [text.slice(2)];
      while (parts.at(-1)!.endsWith('\\') && k + 1 < body.length) parts.push(body[++k]!);
      const heredoc = HEREDOC.exec(parts.join('\n'));
      if (heredoc) {
        const end = body.findIndex((l, j) => j > k && l === heredoc[2]);
        if (end < 0) throw new Error(`${file}:${at}: the heredoc <<${heredoc[2]} is never ended (a line "${heredoc[2]}" inside the block)`);
        parts.push(...body.slice(k + 1, end + 1));
        k = end;
      }
      block.commands.push({ line: at, cmd: parts.join('\n'), expect: [] });
    } else {
      const want = text.trim();
      if (!want || want === '...') continue;
      const current = block.commands.at(-1);
      if (!current) throw new Error(`${file}:${line + 1 + k}: output line before the first "$ " command of a sh run block`);
      current.expect.push(want);
    }
  }
  if (block.commands.length === 0) throw new Error(`${file}:${line}: a sh run block without a "$ " command`);
  return block;
}

/** The first expected line the output does not show (in order, one output line each), or undefined. */
export function missingLine(output: string, expect: string[]): string | undefined {
  const got = output.split('\n').map((l) => l.trim());
  let from = 0;
  for (const want of expect) {
    const at = got.findIndex((l, i) => i >= from && l.includes(want));
    if (at < 0) return want;
    from = at + 1;
  }
  return undefined;
}

/** Without terminal colours and cursor moves. */
// eslint-disable-next-line no-control-regex
export const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

/** The Markdown files the docs tests read: README.md and docs/**\/*.md, relative, sorted. */
export function docFiles(root: string): string[] {
  const docs = readdirSync(join(root, 'docs'), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.md'))
    .map((f) => relative(root, join(root, 'docs', f)).split(sep).join('/'));
  return ['README.md', ...docs.sort()];
}
