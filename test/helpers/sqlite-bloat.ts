/** Test helpers: a real SQLite database with measurable bloat, made and read with the sqlite3 program (not Opsdeck's own SQLite). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** Run SQL with the sqlite3 program; its output. */
export function sqlite3(file: string, sql: string): string {
  const r = spawnSync('sqlite3', [file, sql], { encoding: 'utf8' });
  assert.equal(r.status, 0, `sqlite3 ${sql}: ${r.stderr}`);
  return r.stdout.trim();
}

/** A database of `rows` rows of ~`blob` random bytes, the second half deleted: its free pages are the bloat. */
export function bloatedDatabase(file: string, rows: number, blob = 200): void {
  mkdirSync(dirname(file), { recursive: true });
  sqlite3(
    file,
    `CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, v BLOB); CREATE INDEX items_name ON items(name);
     WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${rows}) INSERT INTO items SELECT x, 'item ' || x, randomblob(${blob}) FROM c;
     DELETE FROM items WHERE id > ${rows / 2};`,
  );
}

/** What must not change: the rows and a digest of their content. */
export function contentOf(file: string): string {
  return sqlite3(file, "SELECT count(*) || ' rows, ' || sum(length(v)) || ' bytes, ' || total(id) || ' ids, ' || group_concat(hex(substr(v, 1, 2)), '') FROM (SELECT * FROM items ORDER BY id)").slice(0, 400);
}

export const integrity = (file: string) => sqlite3(file, 'PRAGMA integrity_check');
export const freePages = (file: string) => Number(sqlite3(file, 'PRAGMA freelist_count'));
