/**
 * SQLite backups that keep the page layout: a changed row costs about one page in the repository,
 * an unchanged database is not copied or read again, and a WAL-mode database (frames not yet
 * checkpointed) is backed up and restored as of its last commit. A damaged database (its copy fails
 * quick_check, which runs beside the chunking) fails the backup and leaves no snapshot; one whose
 * index disagrees with its table passes quick_check and fails the restore's integrity_check.
 */
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'node-sqlite3-wasm';
import { copySqlite } from '../../src/core/backup/adapters';
import { Engine } from '../../src/core/engine';
import { NODE, tempStack, type TempStack } from '../helpers/stack';

const { Database } = sqlite3;

/** A database of `rows` rows of ~200 bytes, in the given journal mode (WAL: exclusive locking, nothing checkpointed). */
function fill(file: string, rows: number, wal: boolean): InstanceType<typeof Database> {
  const db = new Database(file);
  db.exec(wal ? 'PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0' : 'PRAGMA journal_mode=DELETE');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL); CREATE INDEX t_v ON t(v)');
  db.exec('BEGIN');
  for (let i = 1; i <= rows; i++) db.run('INSERT INTO t VALUES (?, ?)', [i, `row ${i} `.repeat(20)]);
  db.exec('COMMIT');
  return db;
}

function restoredRows(file: string): { rows: number; integrity: string; row7: string } {
  const db = new Database(file, { readOnly: true });
  try {
    db.exec('PRAGMA locking_mode=EXCLUSIVE');
    const integrity = (db.all('PRAGMA integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
    const { rows } = db.get('SELECT count(*) AS rows FROM t') as { rows: number };
    const { v } = db.get('SELECT v FROM t WHERE id = 7') as { v: string };
    return { rows, integrity, row7: v };
  } finally {
    db.close();
  }
}

describe('backup: SQLite pages, unchanged databases, WAL mode', function () {
  this.timeout(60_000);
  let t: TempStack;
  let engine: Engine;

  beforeEach(() => {
    t = tempStack({ version: 1, name: 'pages', services: { db: { command: [NODE, '-e', 'setInterval(() => {}, 1000)'], backup: { sqlite: ['data/app.db'] } } } });
    mkdirSync(join(t.dir, 'data'));
    engine = new Engine(t.stack);
  });
  afterEach(async () => {
    await engine.dispose();
    t.cleanup();
  });

  it('rollback journal: an unchanged database is not read again; one changed row costs about one page', async () => {
    const file = join(t.dir, 'data', 'app.db');
    fill(file, 40_000, false).close();
    const first = await engine.backups.backup();
    assert.deepEqual(first.notes.map((n) => n.note), ['quick_check ok']);
    assert.ok(first.bytesRead > 8 << 20, `the first backup reads the database (${first.bytesRead} bytes)`);

    const again = await engine.backups.backup();
    assert.deepEqual(again.notes.map((n) => n.note), ['unchanged (quick_check ok)']);
    assert.equal(again.bytesRead, 0, 'nothing read: the database is unchanged');
    assert.equal(again.filesUnchanged, again.files);

    const db = new Database(file);
    db.run('UPDATE t SET v = ? WHERE id = ?', ['changed '.repeat(20), 20_000]);
    db.close();
    const changed = await engine.backups.backup();
    assert.deepEqual(changed.notes.map((n) => n.note), ['quick_check ok']);
    assert.ok(changed.bytesAdded < 64 * 1024, `one changed row adds a few pages, not a chunk of the file (${changed.bytesAdded} bytes)`);

    const target = mkdtempSync(join(tmpdir(), 'opsdeck-restore-'));
    rmSync(target, { recursive: true });
    try {
      const r = await engine.backups.restore(changed.snapshot, { target });
      assert.deepEqual(r.sqlite, [{ service: 'db', path: 'data/app.db', integrity: 'ok' }]);
      assert.deepEqual(readFileSync(join(target, 'db', 'data', 'app.db')), readFileSync(file), 'the restored database is the live file, page for page');
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  });

  it('WAL mode: the committed frames are in the backup, which restores to a valid WAL-mode database', async () => {
    const file = join(t.dir, 'data', 'app.db');
    const db = fill(file, 5_000, true);
    try {
      db.run('UPDATE t SET v = ? WHERE id <= 100', ['wal '.repeat(10)]);
      db.run('DELETE FROM t WHERE id > 4900');
      const r = await engine.backups.backup();
      assert.deepEqual(r.notes.map((n) => n.note), ['quick_check ok']);
      const again = await engine.backups.backup();
      assert.deepEqual(again.notes.map((n) => n.note), ['unchanged (quick_check ok)']);
      db.run('UPDATE t SET v = ? WHERE id = 7', ['later '.repeat(10)]);
      const later = await engine.backups.backup();
      assert.deepEqual(later.notes.map((n) => n.note), ['quick_check ok'], 'a commit to the log is a change');

      for (const [snap, row7] of [[r.snapshot, 'wal '.repeat(10)], [later.snapshot, 'later '.repeat(10)]] as const) {
        const target = mkdtempSync(join(tmpdir(), 'opsdeck-restore-'));
        rmSync(target, { recursive: true });
        try {
          const res = await engine.backups.restore(snap, { target });
          assert.deepEqual(res.sqlite, [{ service: 'db', path: 'data/app.db', integrity: 'ok' }]);
          const restored = join(target, 'db', 'data', 'app.db');
          const c = restoredRows(restored);
          assert.equal(c.integrity, 'ok');
          assert.equal(c.rows, 4900, 'rows as of the last commit (the delete included)');
          assert.equal(c.row7, row7, 'each snapshot holds its own commit');
          assert.equal(readFileSync(restored)[18], 2, 'still a WAL-mode database');
        } finally {
          rmSync(target, { recursive: true, force: true });
        }
      }
    } finally {
      db.close();
    }
  });
  it('the database is copied off the event loop: an engine running a scheduled backup keeps answering meanwhile', async () => {
    const file = join(t.dir, 'data', 'big.db');
    const db = new Database(file);
    db.exec('PRAGMA journal_mode=DELETE; CREATE TABLE b (x BLOB); INSERT INTO b VALUES (zeroblob(64 * 1024 * 1024))');
    db.close();
    let turns = 0;
    let copying = true;
    const spin = () => {
      if (!copying) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const dest = join(t.dir, 'big-copy.db');
    const r = await copySqlite(file, dest);
    copying = false;
    assert.deepEqual([r.attempts, r.wal], [1, false]);
    // copyFileSync held the loop for the whole copy (a turn or two); on the thread pool it turns on
    assert.ok(turns > 20, `the event loop turned ${turns} times during the copy of 64 MiB`);
    assert.ok(readFileSync(dest).equals(readFileSync(file)), 'the copy is the database');
  });

  it('a damaged database: its copy fails quick_check (checked beside the chunking), the backup fails, no snapshot is written', async () => {
    const file = join(t.dir, 'data', 'app.db');
    fill(file, 40_000, false).close();
    // Page 11 (a b-tree page) overwritten: the header is intact, so the copy is made as usual.
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, 4096 * 10);
    closeSync(fd);

    await assert.rejects(engine.backups.backup(), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'BACKUP_SOURCE_FAILED');
      assert.match(e.message, /data\/app\.db fails its quick_check: .*Tree \d+ page 11/s);
      return true;
    });
    assert.deepEqual(await engine.backups.list(), { snapshots: [], unreadable: [] }, 'no snapshot references the damaged copy');
    assert.deepEqual(readdirSync(join(t.dir, '.opsdeck', 'tmp')), [], 'the staging folder is removed (the check stopped first)');
    const pruned = await engine.backups.prune();
    assert.equal(pruned.packsAfter, 0, `the packs stored before the failed check stopped the backup are garbage that prune removes (${pruned.packsBefore} → 0)`);
  });

  it('an index that disagrees with its table passes the backup\'s quick_check; the restore\'s integrity_check (beside the writing) fails it', async () => {
    const file = join(t.dir, 'data', 'app.db');
    fill(file, 2_000, false).close();
    // The index's declared column changed under it: every page is sound (quick_check ok), but the
    // index no longer holds what its table says it should (integrity_check: rows missing from it).
    const db = new Database(file);
    db.exec("PRAGMA writable_schema=ON; UPDATE sqlite_master SET sql = 'CREATE INDEX t_v ON t(id)' WHERE name = 't_v'");
    db.close();
    const r = await engine.backups.backup();
    assert.deepEqual(r.notes.map((n) => n.note), ['quick_check ok']);

    const target = mkdtempSync(join(tmpdir(), 'opsdeck-restore-'));
    rmSync(target, { recursive: true });
    try {
      await assert.rejects(engine.backups.restore(r.snapshot, { target }), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'BACKUP_DATA_CORRUPT');
        assert.match(e.message, /restored SQLite database db\/data\/app\.db fails its integrity check: .*missing from index t_v/s);
        return true;
      });
      assert.deepEqual(readFileSync(join(target, 'db', 'data', 'app.db')), readFileSync(file), 'the file itself was restored byte for byte (its SHA-256 matched)');
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  });
});
