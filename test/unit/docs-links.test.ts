/**
 * Docs that cannot rot (issue 17): every relative link of README.md and docs/**\/*.md points at
 * a file or folder that exists, every `#anchor` at a heading of its file, every image at a
 * picture that exists (or one the e2e run writes, test/e2e/screenshots.ts).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { E2E_SCREENSHOTS } from '../e2e/screenshots';
import { anchorsOf, isExternal, linksOf, slug } from '../helpers/doc-links';
import { docFiles } from '../helpers/runnable-docs';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Docs written on other branches of issue 17 that the docs here may link to before they are
 * merged. Once a file exists, this test fails until it is taken off the list: the lead reconciles
 * after the merge, and the list never hides a broken link for long.
 */
const PENDING_DOCS: string[] = [];

const rel = (abs: string) => relative(ROOT, abs).split(sep).join('/');
// Pictures are not committed (docs/images/*.png is ignored): the e2e run writes its screenshots,
// test/integration/report.test.ts the report's.
const e2eImages = new Set([...Object.values(E2E_SCREENSHOTS), 'report.png'].map((f) => `docs/images/${f}`));

/** What is wrong with one link of `file`, or undefined. */
function problemOf(file: string, target: string, image: boolean): string | undefined {
  const [path = '', anchor] = target.split('#', 2) as [string, string | undefined];
  const abs = path ? resolve(ROOT, dirname(file), decodeURIComponent(path)) : join(ROOT, file);
  const to = rel(abs);
  if (to.startsWith('..')) return `${target} points outside the repository`;
  if (!existsSync(abs)) {
    if (PENDING_DOCS.includes(to)) return undefined;
    if (image && e2eImages.has(to)) return undefined;
    return `${target}: no such ${image ? 'picture' : 'file'} (${to})`;
  }
  if (anchor === undefined) return undefined;
  if (!abs.endsWith('.md') || statSync(abs).isDirectory()) return `${target}: an anchor into something that is not a Markdown file`;
  const anchors = anchorsOf(readFileSync(abs, 'utf8'));
  return anchors.has(decodeURIComponent(anchor).toLowerCase()) ? undefined : `${target}: ${to} has no heading with the anchor #${anchor} (it has: ${[...anchors].slice(0, 12).join(', ')}…)`;
}

describe('docs: links between README.md and docs/ lead somewhere', () => {
  const files = docFiles(ROOT);

  it('every relative link, anchor and image of README.md and docs/**/*.md exists', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const file of files) {
      for (const link of linksOf(readFileSync(join(ROOT, file), 'utf8'))) {
        if (isExternal(link.target)) continue;
        checked++;
        const p = problemOf(file, link.target, link.image);
        if (p) problems.push(`${file}:${link.line}: ${p}`);
      }
    }
    assert.ok(checked > 100, `links checked: ${checked}`);
    assert.deepEqual(problems, []);
  });

  it('PENDING_DOCS lists only docs that do not exist yet (take the merged ones off the list)', () => {
    assert.deepEqual(PENDING_DOCS.filter((f) => existsSync(join(ROOT, f))), []);
  });

  it('finds links, images and anchors the way GitHub renders them (and not inside code)', () => {
    const text = [
      '# Install `opsdeck` (Linux & macOS)',
      'See [the guide](guides/x.md#step-2), ![shot](images/a.png "title") and <img src="images/b.png">.',
      '## Step 2',
      '## Step 2',
      '[ref]: ../README.md',
      '```md',
      '[not a link](nowhere.md)',
      '# not a heading',
      '```',
      'Inline `[code](nowhere.md)` is not a link.',
    ].join('\n');
    assert.deepEqual(linksOf(text), [
      { line: 2, target: 'guides/x.md#step-2', image: false },
      { line: 2, target: 'images/a.png', image: true },
      { line: 2, target: 'images/b.png', image: true },
      { line: 5, target: '../README.md', image: false },
    ]);
    assert.deepEqual([...anchorsOf(text)], ['install-opsdeck-linux--macos', 'step-2', 'step-2-1']);
    assert.equal(slug('Runnable docs'), 'runnable-docs');
  });

  it('names a broken link, a missing anchor and a missing picture', () => {
    assert.match(problemOf('docs/install.md', 'nowhere.md', false) ?? '', /no such file \(docs\/nowhere\.md\)/);
    assert.match(problemOf('README.md', 'docs/testing.md#no-such-heading', false) ?? '', /has no heading with the anchor #no-such-heading/);
    assert.match(problemOf('docs/install.md', 'images/nothing.png', true) ?? '', /no such picture/);
    assert.equal(problemOf('docs/install.md', `images/${E2E_SCREENSHOTS.walkthrough}`, true), undefined);
  });
});
