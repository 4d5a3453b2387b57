import assert from 'node:assert/strict';
import { checkEntryPath, globToRegExp, matchesInclude, resolveInside } from '../../src/core/backup/repo';
import type { SnapshotEntry } from '../../src/core/backup/repo';
import { checkServiceEntries } from '../../src/core/backup/repo/paths';
import { OpsError } from '../../src/core/errors';

const unsafe = (fn: () => unknown, mentions?: string) =>
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof OpsError, String(e));
    assert.equal(e.code, 'BACKUP_MANIFEST_UNSAFE');
    assert.ok(e.hint);
    if (mentions) assert.ok(e.message.includes(mentions), e.message);
    return true;
  });

const file = (path: string): SnapshotEntry => ({ path, service: 's', type: 'file', mode: 0o644, mtime: 0, size: 0, sha256: '0'.repeat(64), chunks: [] });
const dir = (path: string): SnapshotEntry => ({ path, service: 's', type: 'dir', mode: 0o755, mtime: 0, size: 0 });
const link = (path: string, linkTarget: string): SnapshotEntry => ({ path, service: 's', type: 'symlink', mode: 0o777, mtime: 0, size: 0, linkTarget });

describe('backup repository: manifest path safety', () => {
  it('accepts relative posix paths', () => {
    for (const p of ['a', 'a/b.txt', '.hidden', 'a..b', '...', 'dir/with space/x', 'x\\y']) checkEntryPath(p);
  });

  it('refuses absolute paths, `..` escapes and odd segments, naming the entry', () => {
    unsafe(() => checkEntryPath('/etc/passwd'), '/etc/passwd');
    unsafe(() => checkEntryPath('../outside'), '..');
    unsafe(() => checkEntryPath('a/../../outside'));
    unsafe(() => checkEntryPath('a/..'));
    unsafe(() => checkEntryPath(''));
    unsafe(() => checkEntryPath('a//b'));
    unsafe(() => checkEntryPath('./a'));
    unsafe(() => checkEntryPath('a/.'));
    unsafe(() => checkEntryPath('C:/Windows'));
    unsafe(() => checkEntryPath('a\0b'));
  });

  it('resolveInside joins only safe paths', () => {
    assert.equal(resolveInside('/restore', 'a/b'), '/restore/a/b');
    unsafe(() => resolveInside('/restore', '../x'));
  });

  it('accepts symlinks that stay inside, refuses those that leave', () => {
    checkServiceEntries('s', [dir('a'), link('a/l', '../b'), file('b'), link('top', '.'), link('c', 'a/l')]);
    unsafe(() => checkServiceEntries('s', [link('l', '/etc/passwd')]), 's/l');
    unsafe(() => checkServiceEntries('s', [link('l', '..')]), 'outside');
    unsafe(() => checkServiceEntries('s', [dir('a'), link('a/l', '../../x')]), 's/a/l');
    unsafe(() => checkServiceEntries('s', [link('l', 'x/../../y')]));
  });

  it('follows the manifest\'s own symlinks the way the kernel will', () => {
    // x/a -> "." (x itself), so x/a/../.. is the parent of the root: lexically harmless, really outside
    unsafe(() => checkServiceEntries('s', [dir('x'), link('x/a', '.'), link('t', 'x/a/../..')]), 's/t');
    // a chain that goes deeper stays inside
    checkServiceEntries('s', [dir('d'), dir('d/e'), link('deep', 'd/e'), link('up', 'deep/..')]);
    // a loop is refused
    unsafe(() => checkServiceEntries('s', [link('a', 'b'), link('b', 'a'), link('c', 'a/x')]));
  });

  it('refuses entries below a symlink and duplicates', () => {
    unsafe(() => checkServiceEntries('s', [link('l', '.'), file('l/x')]), 'l/x');
    unsafe(() => checkServiceEntries('s', [file('a'), file('a')]), 'twice');
    unsafe(() => checkServiceEntries('../s', [file('a')]));
  });

  it('matches include globs on path or service/path, including folder contents', () => {
    const e = { service: 'db', path: 'data/main/app.sqlite' };
    assert.ok(matchesInclude(e, ['data']));
    assert.ok(matchesInclude(e, ['db/data/**']));
    assert.ok(matchesInclude(e, ['**/*.sqlite']));
    assert.ok(matchesInclude(e, ['data/*/app.sqlite']));
    assert.ok(matchesInclude(e, ['data/ma?n/']));
    assert.ok(!matchesInclude(e, ['*.sqlite']));
    assert.ok(!matchesInclude(e, ['logs/**']));
    assert.ok(matchesInclude(e, []));
    assert.ok(globToRegExp('a[0-9].txt').test('a7.txt'));
    assert.ok(!globToRegExp('a[!0-9].txt').test('a7.txt'));
    assert.ok(globToRegExp('**/x').test('x'));
  });
});
