import assert from 'node:assert/strict';
import { compileGlob, compileGlobs } from '../../src/core/glob';
import { checkIncludes } from '../../src/core/backup/restore';
import { OpsError } from '../../src/core/errors';

const m = (pattern: string, path: string) => compileGlob(pattern).matches(path);

describe('backup: globs of backup.files / backup.exclude / restore --include', () => {
  it('* and ? stay inside one path segment', () => {
    assert.ok(m('data/*.json', 'data/a.json'));
    assert.ok(!m('data/*.json', 'data/sub/a.json'));
    assert.ok(m('data/?.txt', 'data/a.txt'));
    assert.ok(!m('data/?.txt', 'data/ab.txt'));
  });

  it('** crosses folders, including none', () => {
    assert.ok(m('**/*.log', 'a.log'));
    assert.ok(m('**/*.log', 'x/y/z.log'));
    assert.ok(m('config/**', 'config/a/b.yaml'));
    assert.ok(m('a/**/b', 'a/b'));
    assert.ok(m('a/**/b', 'a/x/y/b'));
  });

  it('a folder, literally or with a trailing slash, means everything under it', () => {
    assert.ok(m('config', 'config/app.yaml'));
    assert.ok(m('config/', 'config/deep/x'));
    assert.ok(m('config/', 'config'));
    assert.ok(!m('config/', 'configs/x'));
    const g = compileGlob('config/');
    assert.equal(g.base, 'config');
    assert.equal(g.literal, true);
  });

  it('classes, negated classes and alternatives', () => {
    assert.ok(m('log[0-9].txt', 'log7.txt'));
    assert.ok(!m('log[!0-9].txt', 'log7.txt'));
    assert.ok(m('log[!0-9].txt', 'logx.txt'));
    assert.ok(m('*.{db,sqlite}', 'a.sqlite'));
    assert.ok(!m('*.{db,sqlite}', 'a.txt'));
  });

  it('the walk starts at the literal prefix', () => {
    assert.equal(compileGlob('data/users/*.json').base, 'data/users');
    assert.equal(compileGlob('**/*.json').base, '');
    assert.equal(compileGlob('./x/*.db').base, 'x');
  });

  it('dots are literal', () => {
    assert.ok(!m('a.b', 'axb'));
  });

  it('refuses what cannot be right, saying why', () => {
    const bad: [string, RegExp][] = [
      ['', /empty/],
      ['/etc/passwd', /absolute/],
      ['../secrets/*', /"\.\."/],
      ['data/[abc', /no closing "]"/],
      ['data/{a,b', /no closing "}"/],
    ];
    for (const [glob, why] of bad) {
      assert.throws(() => compileGlob(glob), (e: unknown) => e instanceof OpsError && e.code === 'BAD_REQUEST' && why.test(e.message) && !!e.hint, glob);
    }
  });

  it('several globs: any of them', () => {
    const g = compileGlobs(['a/*', 'b/**']);
    assert.ok(g.matches('a/x') && g.matches('b/x/y') && !g.matches('c/x'));
  });

  it('--include: strict errors, no {a,b} (the repository does not know them)', () => {
    assert.doesNotThrow(() => checkIncludes(['data/*.db', 'storage/**']));
    assert.throws(() => checkIncludes(['data/[x']), /no closing/);
    assert.throws(() => checkIncludes(['*.{a,b}']), /alternatives are not supported/);
  });
});
