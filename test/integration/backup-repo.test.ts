import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initRepository, isRepository, openRepository, type BackupProgress, type BackupRepository, type VerifyProgress } from '../../src/core/backup/repo';
import { Rng } from '../fixtures/backup/dataset';
import { assertSameTree, META, rejectsWith, tempDir } from '../fixtures/backup/helpers';

/** A small service tree (5 files, 4 folders, 1 symlink): nested folders, an empty file, a symlink, modes, a compressible log, random data. */
function makeTree(root: string, rng = new Rng('tree')): void {
  mkdirSync(join(root, 'db/wal'), { recursive: true });
  mkdirSync(join(root, 'logs'), { recursive: true });
  mkdirSync(join(root, 'empty-dir'), { recursive: true });
  writeFileSync(join(root, 'db/main.sqlite'), rng.bytes(3_000_000));
  writeFileSync(join(root, 'db/wal/0001'), rng.bytes(70_000));
  writeFileSync(join(root, 'logs/app.log'), 'GET /health 200\n'.repeat(100_000));
  writeFileSync(join(root, 'empty'), '');
  writeFileSync(join(root, 'run.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(join(root, 'run.sh'), 0o750);
  chmodSync(join(root, 'db/wal'), 0o700);
  symlinkSync('db/main.sqlite', join(root, 'current'));
}

describe('backup repository: backup, list, diff, restore (real files)', function () {
  this.timeout(60_000);
  let t: ReturnType<typeof tempDir>;
  let repo: BackupRepository;
  let src: string;
  beforeEach(async () => {
    t = tempDir();
    src = join(t.dir, 'src');
    makeTree(src);
    repo = await initRepository(join(t.dir, 'repo'));
  });
  afterEach(() => t.cleanup());

  it('round-trips a tree byte for byte (modes, symlinks, empty files and folders)', async () => {
    const progress: BackupProgress[] = [];
    const r = await repo.backup([{ service: 'db', root: src }], { ...META, tags: ['nightly'], gitCommit: 'abc123' }, { onProgress: (p) => progress.push(p), progressIntervalMs: 0 });
    assert.equal(r.summary.filesNew, 5);
    assert.equal(r.summary.symlinks, 1);
    assert.equal(r.summary.dirs, 4);
    assert.ok(r.summary.bytesAdded < r.summary.bytesRead, 'the log compresses');
    assert.deepEqual(r.warnings, []);
    assert.deepEqual([...new Set(progress.map((p) => p.phase))], ['scan', 'backup', 'index', 'snapshot', 'done']);
    const last = progress.at(-1)!;
    assert.equal(last.filesDone, 5);
    assert.equal(last.bytesDone, last.bytesTotal);

    const s = await repo.snapshot(r.snapshot.id.slice(0, 8));
    assert.equal(s.stack, 'demo');
    assert.equal(s.gitCommit, 'abc123');
    assert.deepEqual(s.tags, ['nightly']);
    assert.deepEqual(s.services, ['db']);
    const link = s.entries.find((e) => e.path === 'current')!;
    assert.equal(link.type, 'symlink');
    assert.equal(link.linkTarget, 'db/main.sqlite');
    assert.ok(s.entries.every((e) => !e.path.startsWith('/') && !e.path.includes('\\')));

    const out = join(t.dir, 'out');
    const rr = await repo.restore(r.snapshot.id, { target: out });
    assert.equal(rr.files, 5);
    assert.equal(rr.verified, 5);
    assertSameTree(join(out, 'db'), src);
  });

  it('verify reports its progress: the structure, the data read, then what it checked', async () => {
    await repo.backup([{ service: 'db', root: src }], META);
    const stats = await repo.stats();
    for (const readData of [true, false]) {
      const seen: VerifyProgress[] = [];
      assert.ok((await repo.verify({ readData, onProgress: (p) => seen.push(p), progressIntervalMs: 0 })).ok);
      assert.deepEqual([...new Set(seen.map((p) => p.phase))], readData ? ['structure', 'data', 'done'] : ['structure', 'done']);
      const done = seen.at(-1)!;
      assert.deepEqual([done.packsDone, done.packsTotal], [stats.packs, stats.packs], 'every pack checked');
      if (readData) {
        const data = seen.filter((p) => p.phase === 'data');
        assert.ok(data.every((p, i) => i === 0 || p.bytesDone >= data[i - 1]!.bytesDone), 'bytes only grow');
        assert.equal(data.at(-1)!.bytesDone, data[0]!.bytesTotal);
        assert.ok(done.bytesDone > 0 && done.bytesDone === data[0]!.bytesTotal, 'done carries the bytes read');
      } else assert.equal(done.bytesDone, 0, 'nothing read beyond the trailers');
    }
  });

  it('opens an existing repository; refuses to init twice or open a non-repository', async () => {
    assert.ok(await isRepository(join(t.dir, 'repo')));
    const again = await openRepository(join(t.dir, 'repo'));
    assert.equal(again.config.id, repo.config.id);
    await rejectsWith(() => initRepository(join(t.dir, 'repo')), 'BACKUP_REPO_EXISTS');
    await rejectsWith(() => initRepository(src), 'BACKUP_REPO_EXISTS');
    await rejectsWith(() => openRepository(join(t.dir, 'nope')), 'BACKUP_REPO_NOT_FOUND');
  });

  it('deduplicates within and across snapshots, and skips unchanged files using the parent', async () => {
    writeFileSync(join(src, 'copy.sqlite'), readFileSync(join(src, 'db/main.sqlite')));
    const first = await repo.backup([{ service: 'db', root: src }], META);
    const stats1 = await repo.stats();
    // the copy added no chunk
    assert.equal(first.summary.chunksNew, stats1.blobs);
    assert.ok(first.summary.chunksTotal > stats1.blobs);

    const second = await repo.backup([{ service: 'db', root: src }], META);
    assert.equal(second.summary.filesUnchanged, 6);
    assert.equal(second.summary.bytesRead, 0, 'unchanged files are not read');
    assert.equal(second.summary.bytesAdded, 0);
    assert.equal(second.snapshot.parent, first.snapshot.id);

    // a changed file (same size, new mtime) is read again; its unchanged chunks are not stored again
    const p = join(src, 'db/main.sqlite');
    const data = readFileSync(p);
    data.write('changed!', 2_500_000);
    writeFileSync(p, data);
    utimesSync(p, new Date(), new Date(Date.now() + 5000));
    const third = await repo.backup([{ service: 'db', root: src }], META);
    assert.equal(third.summary.filesChanged, 1);
    assert.equal(third.summary.bytesRead, data.length);
    assert.ok(third.summary.chunksNew >= 1 && third.summary.chunksNew <= 2, `${third.summary.chunksNew} new chunks`);

    // parent: false reads everything, still adds nothing
    const fourth = await repo.backup([{ service: 'db', root: src }], META, { parent: false });
    assert.equal(fourth.summary.filesUnchanged, 0);
    assert.equal(fourth.summary.chunksNew, 0);
  });

  it('lists snapshots oldest first, resolves prefixes and latest, diffs two snapshots', async () => {
    const a = await repo.backup([{ service: 'db', root: src }], { ...META, time: Date.UTC(2026, 0, 1) });
    writeFileSync(join(src, 'logs/app.log'), 'GET /health 500\n'.repeat(100));
    writeFileSync(join(src, 'new.txt'), 'new');
    await import('node:fs/promises').then((fs) => fs.rm(join(src, 'empty')));
    const b = await repo.backup([{ service: 'db', root: src }], { ...META, time: Date.UTC(2026, 0, 2) });
    const list = await repo.snapshots();
    assert.deepEqual(list.map((s) => s.id), [a.snapshot.id, b.snapshot.id]);
    assert.equal(list[0]!.files, 5);
    assert.equal((await repo.snapshot('latest')).id, b.snapshot.id);
    await rejectsWith(() => repo.snapshot('ffffffffffff'), 'BACKUP_SNAPSHOT_NOT_FOUND');
    await rejectsWith(() => repo.snapshot('zz'), 'BACKUP_SNAPSHOT_NOT_FOUND');
    if (a.snapshot.id[0] === b.snapshot.id[0]) await rejectsWith(() => repo.snapshot(a.snapshot.id[0]!), 'BACKUP_SNAPSHOT_AMBIGUOUS');

    const d = await repo.diff(a.snapshot.id, b.snapshot.id.slice(0, 10));
    assert.deepEqual(d.added.map((x) => x.path), ['new.txt']);
    assert.deepEqual(d.removed.map((x) => x.path), ['empty']);
    assert.deepEqual(d.changed.map((x) => [x.path, x.sizeBefore, x.sizeAfter, x.what.includes('content')]), [['logs/app.log', 1_600_000, 1600, true]]);
    assert.equal(d.bytesAdded, 3 + 1600);
  });

  it('backs up explicit paths, single files and streams; restores by service, include glob and per-service folder', async () => {
    const dump = Buffer.from('-- pg_dump\nCREATE TABLE t (id int);\n'.repeat(1000));
    const r = await repo.backup(
      [
        { service: 'db', root: src, paths: ['db', 'db/main.sqlite', 'current'] },
        { service: 'logs', root: join(src, 'logs/app.log') },
        {
          service: 'pg',
          files: [
            { path: 'dump/pg.sql', stream: async function* () { yield dump.subarray(0, 1000); yield dump.subarray(1000); }, mode: 0o600 },
            { path: 'run.sh', source: join(src, 'run.sh') },
          ],
        },
      ],
      META,
    );
    assert.deepEqual(
      r.snapshot.entries.map((e) => `${e.service}:${e.path}:${e.type}`),
      ['db:current:symlink', 'db:db:dir', 'db:db/main.sqlite:file', 'logs:app.log:file', 'pg:dump/pg.sql:file', 'pg:run.sh:file'],
    );
    assert.deepEqual(r.snapshot.services, ['db', 'logs', 'pg']);

    const out = join(t.dir, 'out');
    const pgOnly = await repo.restore(r.snapshot.id, { target: out, services: ['pg'] });
    assert.equal(pgOnly.files, 2);
    assert.deepEqual(readdirSync(out), ['pg']);
    assert.deepEqual(readFileSync(join(out, 'pg/dump/pg.sql')), dump);

    const out2 = join(t.dir, 'out2');
    const logsDir = join(t.dir, 'elsewhere/logs');
    await repo.restore(r.snapshot.id, { target: out2, include: ['**/*.sqlite', 'logs/*.log'], serviceTargets: { logs: logsDir } });
    assert.ok(existsSync(join(out2, 'db/db/main.sqlite')));
    assert.ok(!existsSync(join(out2, 'db/current')), 'not included');
    assert.deepEqual(readFileSync(join(logsDir, 'app.log')), readFileSync(join(src, 'logs/app.log')));

    await rejectsWith(() => repo.restore(r.snapshot.id, { target: out, services: ['nope'] }), 'SERVICE_UNKNOWN');
    await rejectsWith(() => repo.restore(r.snapshot.id, { target: out, overwrite: false, services: ['pg'] }), 'BACKUP_RESTORE_FAILED');

    const chunks: Buffer[] = [];
    for await (const c of repo.readFile(r.snapshot.id, 'pg', 'dump/pg.sql')) chunks.push(c);
    assert.deepEqual(Buffer.concat(chunks), dump);
  });

  it('worker threads and the calling thread store the same chunks (plain and encrypted)', async () => {
    const big = join(t.dir, 'big');
    mkdirSync(join(big, 'sub'), { recursive: true });
    const rng = new Rng('threads');
    for (let i = 0; i < 6; i++) writeFileSync(join(big, `sub/f${i}.bin`), rng.bytes(3_000_000 + i * 777_777));
    writeFileSync(join(big, 'dup.bin'), readFileSync(join(big, 'sub/f1.bin')));
    writeFileSync(join(big, 'log.txt'), 'GET /api 200 12ms\n'.repeat(400_000));
    const onMain = await repo.backup([{ service: 'x', root: big }], META, { threads: 0, parent: false });
    const other = await initRepository(join(t.dir, 'repo2'));
    const onWorkers = await other.backup([{ service: 'x', root: big }], META, { threads: 2 });
    assert.deepEqual(onWorkers.snapshot.entries, onMain.snapshot.entries);
    assert.equal(onWorkers.summary.chunksNew, onMain.summary.chunksNew);
    assert.ok(Math.abs(onWorkers.summary.bytesAdded - onMain.summary.bytesAdded) < 64 * 1024, 'same compression, give or take the sampling');
    assert.ok((await other.verify({ readData: true })).ok);
    const enc = await initRepository(join(t.dir, 'repo3'), { encryption: 'k', kdfCost: 12 });
    const e = await enc.backup([{ service: 'x', root: big }], META, { threads: 2 });
    // (chunk boundaries are keyed in an encrypted repository: the same files, other chunks; the restores below compare the bytes)
    assert.deepEqual(e.snapshot.entries.map((x) => [x.path, x.size]), onMain.snapshot.entries.map((x) => [x.path, x.size]));
    assert.ok((await enc.verify({ readData: true })).ok);
    for (const threads of [0, 2]) {
      await enc.restore(e.snapshot.id, { target: join(t.dir, `out${threads}`), threads });
      assertSameTree(join(t.dir, `out${threads}/x`), big);
      await other.restore(onWorkers.snapshot.id, { target: join(t.dir, `plain${threads}`), threads });
      assertSameTree(join(t.dir, `plain${threads}/x`), big);
    }
    // the pool refuses to write through a symlink too
    await rejectsWith(() => other.restore(onWorkers.snapshot.id, { target: join(t.dir, 'plain2'), threads: 2, overwrite: false }), 'BACKUP_RESTORE_FAILED');
  });

  it('a cancelled backup (AbortSignal) records nothing and releases the lock, on workers or not', async () => {
    const big = join(t.dir, 'big');
    mkdirSync(big);
    const rng = new Rng('abort');
    for (let i = 0; i < 8; i++) writeFileSync(join(big, `f${i}.bin`), rng.bytes(4 << 20));
    for (const threads of [2, 0]) {
      const ac = new AbortController();
      const p = repo.backup([{ service: 'x', root: big }], META, {
        threads,
        signal: ac.signal,
        progressIntervalMs: 0,
        onProgress: (pr) => {
          if (pr.bytesDone > 6 << 20) ac.abort();
        },
      });
      await rejectsWith(() => p, 'BACKUP_ABORTED');
      assert.deepEqual(await repo.snapshots(), []);
      assert.equal(await repo.lockHolder(), undefined);
    }
    assert.ok((await repo.verify({ readData: true })).ok);
  });

  it('a dry run reads and measures but writes nothing', async () => {
    const before = await repo.stats();
    const r = await repo.backup([{ service: 'db', root: src }], META, { dryRun: true });
    assert.ok(r.dryRun);
    assert.ok(r.summary.bytesAdded > 0);
    const after = await repo.stats();
    assert.deepEqual(after, before);
    assert.deepEqual(await repo.snapshots(), []);
  });

  it('refuses bad sources with BACKUP_SOURCE_FAILED and leaves no snapshot', async () => {
    await rejectsWith(() => repo.backup([{ service: 'db', root: join(t.dir, 'missing') }], META), 'BACKUP_SOURCE_FAILED');
    await rejectsWith(() => repo.backup([{ service: 'db', root: src, paths: ['../etc'] }], META), 'BACKUP_SOURCE_FAILED');
    await rejectsWith(() => repo.backup([{ service: '../x', root: src }], META), 'BACKUP_SOURCE_FAILED');
    await rejectsWith(() => repo.backup([{ service: 'db', root: 'relative/path' }], META), 'BACKUP_SOURCE_FAILED');
    await rejectsWith(
      () => repo.backup([{ service: 'db', files: [{ path: 'a', source: join(src, 'empty') }, { path: 'a', source: join(src, 'run.sh') }] }], META),
      'BACKUP_SOURCE_FAILED',
    );
    assert.deepEqual(await repo.snapshots(), []);
    assert.equal(await repo.lockHolder(), undefined, 'the lock is released after a failure');
  });

  it('lets one writer at a time hold the lock, and takes over a dead writer\'s lock', async () => {
    const first = repo.backup([{ service: 'db', root: src }], META);
    await rejectsWith(() => repo.backup([{ service: 'db', root: src }], META), 'BACKUP_REPO_LOCKED');
    await rejectsWith(() => repo.prune(), 'BACKUP_REPO_LOCKED');
    await first;
    // a lock left by a process that no longer exists is stale
    writeFileSync(join(t.dir, 'repo/lock'), JSON.stringify({ pid: 2 ** 22 + 12345, hostname: (await import('node:os')).hostname(), operation: 'backup', startedAt: '2026-01-01T00:00:00Z' }));
    assert.equal((await repo.lockHolder())?.alive, false);
    await repo.backup([{ service: 'db', root: src }], META);
    assert.equal(await repo.lockHolder(), undefined);
    // readers need no lock
    writeFileSync(join(t.dir, 'repo/lock'), JSON.stringify({ pid: process.pid, hostname: (await import('node:os')).hostname(), operation: 'backup', startedAt: new Date().toISOString() }));
    assert.equal((await repo.snapshots()).length, 2);
    assert.ok((await repo.verify()).ok);
  });

  it('forget applies the policy per group and removes only manifests; dry run shows why each is kept', async () => {
    for (let d = 1; d <= 5; d++) await repo.backup([{ service: 'db', root: src }], { ...META, time: Date.UTC(2026, 0, d, 12) });
    await repo.backup([{ service: 'db', root: src }], { ...META, profile: 'ci', time: Date.UTC(2026, 0, 1) });
    const dry = await repo.forget({ last: 2, weekly: 1 }, { dryRun: true, timeZone: 'UTC' });
    assert.equal(dry.groups.length, 2);
    assert.deepEqual(
      dry.keep.map((k) => [k.snapshot.time.slice(0, 10), k.snapshot.profile, k.reasons]),
      [
        ['2026-01-01', 'ci', ['last', 'weekly']],
        ['2026-01-05', 'default', ['last', 'weekly']],
        ['2026-01-04', 'default', ['last']],
      ],
    );
    assert.equal((await repo.snapshots()).length, 6, 'dry run removes nothing');
    const r = await repo.forget({ last: 2, weekly: 1 }, { timeZone: 'UTC' });
    assert.equal(r.remove.length, 3);
    assert.equal((await repo.snapshots()).length, 3);
    await rejectsWith(() => repo.forget({}), 'BACKUP_POLICY_INVALID');
    const removed = await repo.removeSnapshots([r.keep[0]!.snapshot.id.slice(0, 12)]);
    assert.equal(removed.length, 1);
    assert.equal((await repo.snapshots()).length, 2);
  });
});
