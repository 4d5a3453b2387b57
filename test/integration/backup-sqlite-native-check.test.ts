/**
 * The SQLite checks of backups and restores (src/core/backup/adapters/sqlite-checks.ts) by the
 * system's sqlite3 program (Debian's, installed by the test setup: scripts/setup-system.mjs), its
 * `ok` taken and anything else checked again with SQLite's WebAssembly, which gives the verdict.
 * "Which program ran" is seen through a real wrapper script named by OPSDECK_SQLITE3 that logs
 * its arguments and then runs the real sqlite3.
 */
import assert from 'node:assert/strict';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'node-sqlite3-wasm';
import { SqliteChecks } from '../../src/core/backup/adapters';
import { immutableUri, nativeSqlite3 } from '../../src/core/backup/adapters/sqlite-native-check';

const { Database } = sqlite3;

describe('backup: SQLite checks by the system’s sqlite3, the WebAssembly where it says anything but ok', function () {
  this.timeout(60_000);
  let dir: string;
  let log: string;
  let wrapper: string;
  const real = nativeSqlite3({ PATH: process.env.PATH ?? '' });

  before(() => {
    assert.ok(real, 'sqlite3 is on the PATH (Debian package sqlite3; `npm test` installs it: scripts/setup-system.mjs)');
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'opsdeck-sqlite-native-'));
    log = join(dir, 'calls.log');
    wrapper = join(dir, 'sqlite3-logged');
    writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${real}' "$@"\n`);
    chmodSync(wrapper, 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A database of `rows` rows, in WAL mode (its header says so) or rollback mode. */
  const database = (name: string, rows: number, wal = false) => {
    const file = join(dir, name);
    const db = new Database(file);
    db.exec(wal ? 'PRAGMA journal_mode=WAL' : 'PRAGMA journal_mode=DELETE');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL); CREATE INDEX t_v ON t(v); BEGIN');
    for (let i = 1; i <= rows; i++) db.run('INSERT INTO t VALUES (?, ?)', [i, `row ${i} `.repeat(20)]);
    db.exec('COMMIT');
    if (wal) db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    db.close();
    return file;
  };
  const calls = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);
  const check = async (file: string, env: NodeJS.ProcessEnv, pragma: 'quick_check' | 'integrity_check' = 'quick_check') => {
    const checks = new SqliteChecks(pragma, env);
    checks.start(file, file);
    try {
      return (await checks.verdicts())[0]!.verdict;
    } finally {
      await checks.close();
    }
  };

  it('a sound database: sqlite3 answers ok (read-only, immutable: nothing made beside a WAL-mode file), for both pragmas', async () => {
    const file = database('app?#%.db', 2000, true);
    const before = readdirSync(dir).sort();
    assert.deepEqual(await check(file, { OPSDECK_SQLITE3: wrapper }), { ok: true, detail: 'ok' });
    assert.deepEqual(await check(file, { OPSDECK_SQLITE3: wrapper }, 'integrity_check'), { ok: true, detail: 'ok' });
    const ran = calls();
    assert.equal(ran.length, 2, 'the program ran once per check');
    assert.ok(ran[0]!.includes(immutableUri(file)) && ran[0]!.includes('-readonly') && ran[0]!.endsWith('PRAGMA quick_check;'), ran[0]);
    assert.ok(ran[1]!.endsWith('PRAGMA integrity_check;'), ran[1]);
    assert.deepEqual(readdirSync(dir).filter((f) => f !== 'calls.log').sort(), before.filter((f) => f !== 'calls.log'), 'no -wal or -shm file made');
  });

  it('a damaged database: sqlite3’s problems are checked again with the WebAssembly, whose verdict fails the check', async () => {
    const file = database('app.db', 40_000);
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, 4096 * 10);
    closeSync(fd);
    const v = await check(file, { OPSDECK_SQLITE3: wrapper });
    assert.equal(v.ok, false);
    assert.match(v.detail, /Tree \d+ page 11/);
    assert.equal(calls().length, 1, 'sqlite3 ran first');
    const wasm = await check(file, { OPSDECK_SQLITE3: 'off' });
    assert.deepEqual(v, wasm, 'the verdict is the WebAssembly’s own');
  });

  it('a program that fails, or none (OPSDECK_SQLITE3=off, or not on the PATH): the WebAssembly checks', async () => {
    const file = database('app.db', 500);
    assert.deepEqual(await check(file, { OPSDECK_SQLITE3: '/bin/false' }), { ok: true, detail: 'ok' });
    assert.deepEqual(await check(file, { OPSDECK_SQLITE3: 'off' }), { ok: true, detail: 'ok' });
    assert.deepEqual(await check(file, { PATH: dir }), { ok: true, detail: 'ok' });
    assert.deepEqual(calls(), [], 'the logged program never ran');
    assert.equal(nativeSqlite3({ PATH: dir }), undefined);
    assert.equal(nativeSqlite3({ OPSDECK_SQLITE3: '0', PATH: process.env.PATH ?? '' }), undefined);
  });

  it('not a database: the verdict says so, and a check still running when the checks close is stopped', async () => {
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, Buffer.alloc(8192, 7));
    const v = await check(junk, { OPSDECK_SQLITE3: wrapper });
    assert.equal(v.ok, false);
    assert.match(v.detail, /not a database/);

    const slow = join(dir, 'sqlite3-slow');
    const pidFile = join(dir, 'slow.pid');
    writeFileSync(slow, `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 600\n`);
    chmodSync(slow, 0o755);
    const checks = new SqliteChecks('quick_check', { OPSDECK_SQLITE3: slow });
    checks.start(junk, junk);
    while (!existsSync(pidFile) || !readFileSync(pidFile, 'utf8').trim()) await new Promise((r) => setTimeout(r, 20));
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await checks.close();
    const [r] = await checks.verdicts();
    assert.deepEqual(r!.verdict, { ok: false, detail: 'the backup ended before the check ran' });
    // stopped (SIGTERM): gone once it has exited and been reaped, not left to sleep its 600 s
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 200 && alive(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(), false, `the program (pid ${pid}) was stopped, not left running`);
  });
});
