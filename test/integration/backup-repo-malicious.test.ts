import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initRepository, type BackupRepository, type Snapshot, type SnapshotEntry } from '../../src/core/backup/repo';
import { snapshotId } from '../../src/core/backup/repo/snapshot';
import { META, rejectsWith, tempDir, treeOf } from '../fixtures/backup/helpers';

/**
 * Manifests written by someone else: restore must refuse absolute paths, `..` escapes and
 * symlinks that lead outside, before writing anything, and never write outside the target.
 */
describe('backup repository: malicious manifests are refused', function () {
  this.timeout(30_000);
  let t: ReturnType<typeof tempDir>;
  let repo: BackupRepository;
  let good: Snapshot;
  let outside: string;
  let target: string;

  beforeEach(async () => {
    t = tempDir();
    const src = join(t.dir, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'payload'), 'owned\n');
    repo = await initRepository(join(t.dir, 'repo'));
    good = (await repo.backup([{ service: 'svc', root: src }], META)).snapshot;
    outside = join(t.dir, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'keep.txt'), 'untouched');
    target = join(t.dir, 'restore');
  });
  afterEach(() => t.cleanup());

  /** Write a forged manifest (valid format and id) next to the real ones. */
  function forge(entries: SnapshotEntry[]): string {
    const payload = good.entries.find((e) => e.path === 'payload')!;
    const { id: _id, ...rest } = { ...good, entries: entries.map((e) => (e.type === 'file' ? { ...payload, ...e } : e)) };
    const id = snapshotId(rest);
    writeFileSync(join(t.dir, 'repo/snapshots', id), JSON.stringify({ ...rest, id }));
    return id;
  }

  const file = (path: string, service = 'svc'): SnapshotEntry => ({ path, service, type: 'file', mode: 0o644, mtime: 0, size: 6 });
  const link = (path: string, linkTarget: string): SnapshotEntry => ({ path, service: 'svc', type: 'symlink', mode: 0o777, mtime: 0, size: 0, linkTarget });

  const cases: [string, () => SnapshotEntry[], RegExp][] = [
    ['an absolute path', () => [file('fine.txt'), file(join(t.dir, 'outside/pwned'))], /absolute path/],
    ['a ../ escape', () => [file('fine.txt'), file('../../outside/pwned')], /escapes/],
    ['a nested ../ escape', () => [file('a/b/../../../outside/pwned')], /escapes/],
    ['a symlink to an absolute path outside', () => [link('out', outside), file('fine.txt')], /points outside/],
    ['a symlink climbing out', () => [file('fine.txt'), link('up', '../../outside')], /points outside/],
    ['a file written through a symlink', () => [link('dir', '.'), file('dir/pwned')], /parent dir is a symlink/],
    ['a service name that climbs', () => [file('pwned', '..')], /service name/],
  ];

  for (const [what, entries, why] of cases) {
    it(`refuses ${what}, naming the entry, and writes nothing`, async () => {
      const id = forge(entries());
      const e = await rejectsWith(() => repo.restore(id, { target }), 'BACKUP_MANIFEST_UNSAFE');
      assert.match(e.message, why);
      assert.match(e.message, /refusing snapshot entry "/);
      assert.ok(!existsSync(target), 'nothing created');
      assert.deepEqual(readdirSync(outside), ['keep.txt']);
      assert.ok(!existsSync(join(t.dir, 'pwned')));
      // the whole manifest is refused, even when the restore selects only harmless parts
      await rejectsWith(() => repo.restore(id, { target, include: ['fine.txt'] }), 'BACKUP_MANIFEST_UNSAFE');
    });
  }

  it('never writes through a symlink already in the target that leads outside', async () => {
    mkdirSync(target, { recursive: true });
    symlinkSync(outside, join(target, 'svc'));
    await rejectsWith(() => repo.restore(good.id, { target }), 'BACKUP_MANIFEST_UNSAFE');
    assert.deepEqual(readdirSync(outside), ['keep.txt']);

    const t2 = join(t.dir, 'restore2');
    mkdirSync(join(t2, 'svc'), { recursive: true });
    symlinkSync(join(outside, 'keep.txt'), join(t2, 'svc/payload'));
    await rejectsWith(() => repo.restore(good.id, { target: t2 }), 'BACKUP_MANIFEST_UNSAFE');
    assert.deepEqual(treeOf(outside).get('keep.txt')!.size, 'untouched'.length);
  });

  it('a symlink that stays inside is restored as is', async () => {
    const id = forge([file('payload'), link('alias', 'payload'), { path: 'd', service: 'svc', type: 'dir', mode: 0o755, mtime: 0, size: 0 }, link('d/up', '../payload')]);
    await repo.restore(id, { target });
    const tree = treeOf(join(target, 'svc'));
    assert.equal(tree.get('alias')!.target, 'payload');
    assert.equal(tree.get('d/up')!.target, '../payload');
  });
});
