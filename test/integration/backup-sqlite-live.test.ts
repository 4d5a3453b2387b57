import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'node-sqlite3-wasm';
import { copySqlite } from '../../src/core/backup/adapters';
import { Engine } from '../../src/core/engine';
import { NODE, tempStack, until, type TempStack } from '../helpers/stack';

const { Database } = sqlite3;
const REPO = join(import.meta.dirname, '../..');

/**
 * A writer that never stops: each transaction appends rows n+1..n+5 to `seq` (payload derived
 * from n) and sets `meta.last` to the new n, all at once. A consistent copy therefore holds
 * rows 1..k with no gap, k a multiple of 5, meta.last = k, every payload right. In WAL mode
 * (argv[4] = wal) it holds its database in exclusive locking mode (node-sqlite3-wasm has no
 * shared memory) and says every n it commits, since nobody else can open the database.
 */
const WRITER = `
const { Database } = require(${JSON.stringify(join(REPO, 'node_modules/node-sqlite3-wasm'))});
const db = new Database(process.argv[2]);
const wal = process.argv[4] === 'wal';
db.exec(wal ? 'PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=200' : 'PRAGMA journal_mode=DELETE');
db.exec("CREATE TABLE IF NOT EXISTS seq (n INTEGER PRIMARY KEY, payload TEXT NOT NULL); CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, last INTEGER); INSERT OR IGNORE INTO meta VALUES ('last', 0);");
let n = db.get("SELECT last FROM meta").last;
const payload = (i) => ('row ' + i + ' ').repeat(20);
function step() {
  try {
    db.exec('BEGIN IMMEDIATE');
    for (let i = 1; i <= 5; i++) db.run('INSERT INTO seq VALUES (?, ?)', [n + i, payload(n + i)]);
    db.run("UPDATE meta SET last = ? WHERE k = 'last'", [n + 5]);
    db.exec('COMMIT');
    n += 5;
    if (wal || n % 500 === 0) process.stdout.write(n + '\\n');
  } catch (e) {
    try { db.exec('ROLLBACK'); } catch {}
    if (!/locked|busy/i.test(e.message)) { console.error(e.message); process.exit(1); }
  }
  // Back to back (no pause at all) when asked: the harshest case for a reader that needs the lock.
  if (process.argv[3] === 'flat-out') setImmediate(step);
  else setTimeout(step, 0);
}
step();
process.on('SIGTERM', () => { db.close(); process.exit(0); });
`;

interface Contents {
  rows: number;
  max: number;
  last: number;
  integrity: string;
  badPayloads: number;
}

function read(file: string): Contents {
  const db = new Database(file, { readOnly: true });
  try {
    // A copy nobody else opens; exclusive locking mode lets node-sqlite3-wasm read a WAL-mode one.
    db.exec('PRAGMA locking_mode=EXCLUSIVE');
    const integrity = (db.all('PRAGMA integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
    const { rows, max } = db.get('SELECT count(*) AS rows, coalesce(max(n), 0) AS max FROM seq') as { rows: number; max: number };
    const last = (db.get("SELECT last FROM meta WHERE k = 'last'") as { last: number }).last;
    let badPayloads = 0;
    for (const r of db.all('SELECT n, payload FROM seq') as { n: number; payload: string }[]) if (r.payload !== `row ${r.n} `.repeat(20)) badPayloads++;
    return { rows, max, last, integrity, badPayloads };
  } finally {
    db.close();
  }
}

const assertPointInTime = (c: Contents, what: string) => {
  assert.equal(c.integrity, 'ok', `${what}: integrity_check`);
  assert.equal(c.rows, c.max, `${what}: rows 1..${c.max} with no gap (found ${c.rows} rows)`);
  assert.equal(c.last, c.max, `${what}: meta.last (${c.last}) agrees with the rows (a whole transaction, not part of one)`);
  assert.equal(c.max % 5, 0, `${what}: whole transactions only`);
  assert.equal(c.badPayloads, 0, `${what}: every row's payload intact`);
};

for (const mode of ['rollback journal', 'WAL'] as const) {
  describe(`backup: a live SQLite database under constant writes (writer child process, ${mode})`, function () {
    this.timeout(60_000);
    let t: TempStack;
    let writer: ChildProcess | undefined;
    let engine: Engine | undefined;
    /** The last n the writer reported (WAL mode: every commit). */
    let seen = 0;

    /**
     * What the writer has committed now: read from the live file, waiting out its locks; in WAL mode
     * (its database held exclusively) what it reported, after a pause so every commit that a copy
     * taken before could hold has been reported.
     */
    const writerRows = async (): Promise<number> => {
      if (mode === 'WAL') {
        await new Promise((r) => setTimeout(r, 100));
        return seen;
      }
      for (;;) {
        try {
          const db = new Database(join(t.dir, 'data', 'live.db'), { readOnly: true });
          try {
            return (db.get("SELECT last FROM meta WHERE k = 'last'") as { last: number }).last;
          } finally {
            db.close();
          }
        } catch (e) {
          if (!/locked/.test((e as Error).message)) throw e;
          await new Promise((r) => setTimeout(r, 1));
        }
      }
    };

    before(async () => {
      t = tempStack({ version: 1, name: 'live', services: { db: { command: [NODE, '-e', 'setInterval(() => {}, 1000)'], backup: { sqlite: ['data/live.db'] } } } });
      mkdirSync(join(t.dir, 'data'));
      const script = join(t.dir, 'writer.cjs');
      writeFileSync(script, WRITER);
      writer = spawn(NODE, [script, join(t.dir, 'data', 'live.db'), process.env.OPSDECK_WRITER ?? 'steady', mode === 'WAL' ? 'wal' : 'delete'], { stdio: ['ignore', 'pipe', 'inherit'] });
      writer.stdout!.on('data', (b: Buffer) => (seen = Number(b.toString().trim().split('\n').pop())));
      await until(() => seen >= 1000, 20_000, 'the writer to have written 1000 rows');
      engine = new Engine(t.stack);
    });

    after(async () => {
      writer?.kill('SIGTERM');
      await engine?.dispose();
      t?.cleanup();
    });

    it('copySqlite of the live file: a consistent copy while the writer keeps going', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'opsdeck-sqlite-'));
      try {
        for (let i = 0; i < 5; i++) {
          const dest = join(dir, `copy-${i}.db`);
          const before = await writerRows();
          await copySqlite(join(t.dir, 'data', 'live.db'), dest);
          assertPointInTime(read(dest), `copy ${i}`);
          assert.ok(read(dest).max >= before, 'the copy is not older than what was committed before it started');
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('backups taken while it writes restore to databases that pass integrity_check and equal a point in time', async () => {
      const results = [];
      for (let i = 0; i < 4; i++) {
        const before = await writerRows();
        const r = await engine!.backups.backup();
        const after = await writerRows();
        results.push({ id: r.snapshot, before, after });
        assert.equal(r.check!.ok, true, 'the structure check after the backup');
        assert.deepEqual(r.notes.map((n) => n.note), ['quick_check ok']);
        await new Promise((res) => setTimeout(res, 150));
      }
      assert.ok((await writerRows()) > results[0]!.before, 'the writer kept writing all along');
      let previous = 0;
      for (const [i, r] of results.entries()) {
        const target = mkdtempSync(join(tmpdir(), 'opsdeck-restore-'));
        rmSync(target, { recursive: true });
        try {
          const restored = await engine!.backups.restore(r.id, { target });
          assert.deepEqual(restored.sqlite, [{ service: 'db', path: 'data/live.db', integrity: 'ok' }]);
          const c = read(join(target, 'db', 'data', 'live.db'));
          assertPointInTime(c, `snapshot ${i}`);
          assert.ok(c.max >= r.before && c.max <= r.after, `snapshot ${i} holds a state between the start and the end of its backup (${r.before} ≤ ${c.max} ≤ ${r.after})`);
          assert.ok(c.max > previous, 'each snapshot is newer than the one before');
          previous = c.max;
        } finally {
          rmSync(target, { recursive: true, force: true });
        }
      }
    });
  });
}
