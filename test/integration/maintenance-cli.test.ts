import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync, lutimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildBundles, cli } from '../helpers/built-cli';
import { bloatedDatabase, contentOf, integrity } from '../helpers/sqlite-bloat';
import { NODE, until } from '../helpers/stack';

const CLI = join(import.meta.dirname, '../../dist/cli.js');

/** Every path under `dir` (folders end in /), links not followed. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      out.push(relative(dir, p) + (st.isDirectory() ? '/' : ''));
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

const YAML = `version: 1
name: mt
services:
  api:
    command: [sleep, "1000"]
    backup: { sqlite: [data/app.db] }
`;

/**
 * `opsdeck maintain` and `opsdeck cleanup` through the built CLI on real files: a maintain killed
 * with SIGKILL in the middle of VACUUM leaves the database intact (SQLite rolls the hot journal
 * back: integrity_check ok, the rows unchanged), and the lock it left is a stale lock that cleanup
 * removes; cleanup removes exactly the expected files (the tree listed before and after), a dry
 * run removes nothing, nothing outside the stack is touched; bad input is a clear error that
 * changes nothing.
 */
describe('maintenance CLI: maintain killed mid-VACUUM, cleanup, bad input (built CLI, real files)', function () {
  this.timeout(180_000);
  let root: string;
  let dir: string;

  before(() => buildBundles());
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'opsdeck-maintain-'));
    dir = join(root, 'stack');
    mkdirSync(dir);
    writeFileSync(join(dir, 'opsdeck.yaml'), YAML);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('kill -9 in the middle of VACUUM: integrity_check ok, rows unchanged; cleanup removes the stale lock; maintain then completes', async () => {
    const db = join(dir, 'data/app.db');
    bloatedDatabase(db, 300_000, 300);
    const content = contentOf(db);
    const child = spawn(NODE, [CLI, 'maintain', 'api:sqlite:data/app.db'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((ok) => child.on('exit', (_code, signal) => ok(signal)));
    // In VACUUM: its step has started and SQLite has opened the rollback journal it writes the old pages to.
    await until(() => /"step":"vacuum"/.test(stderr) && existsSync(`${db}-journal`), 60_000, 'VACUUM under way');
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    assert.ok(existsSync(`${db}-journal`), 'the kill left a hot journal');
    assert.ok(existsSync(`${db}.lock`), 'the kill left node-sqlite3-wasm\'s lock folder');

    // sqlite3 rolls the hot journal back when it opens the database.
    assert.equal(integrity(db), 'ok');
    assert.equal(contentOf(db), content, 'the rows are unchanged');

    const dry = cli(dir, 'cleanup', '--dry-run', '--json');
    assert.equal(dry.code, 0, dry.stderr);
    const items = (JSON.parse(dry.stdout) as { items: { kind: string; path: string }[] }).items;
    assert.ok(items.some((i) => i.kind === 'locks' && i.path === 'data/app.db.lock'), dry.stdout);
    const clean = cli(dir, 'cleanup');
    assert.equal(clean.code, 0, clean.stderr);
    assert.ok(!existsSync(`${db}.lock`));

    const again = cli(dir, 'maintain', 'sqlite', '--json');
    assert.equal(again.code, 0, again.stderr + again.stdout);
    const r = JSON.parse(again.stdout) as { ok: boolean; tasks: { before: { bytes: number }; after: { bytes: number } }[] };
    assert.ok(r.ok && r.tasks[0]!.after.bytes < r.tasks[0]!.before.bytes, again.stdout);
    assert.equal(integrity(db), 'ok');
    assert.equal(contentOf(db), content);
  });

  it('cleanup removes exactly the expected files, a dry run removes nothing, nothing outside the stack is touched', () => {
    const old = (p: string) => utimesSync(p, new Date(Date.now() - 40 * 86_400_000), new Date(Date.now() - 40 * 86_400_000));
    const write = (p: string, text = 'x'.repeat(100)) => {
      mkdirSync(join(dir, p, '..'), { recursive: true });
      writeFileSync(join(dir, p), text);
      return join(dir, p);
    };
    write('data/keep.txt');
    write('.opsdeck/logs/api.log');
    write('.opsdeck/logs/api.log.1');
    old(write('.opsdeck/logs/api.log.2'));
    write('.opsdeck/logs/api.log.4');
    old(write('.opsdeck/restore/abc-1/previous/data/app.db'));
    old(join(dir, '.opsdeck/restore/abc-1/previous/data'));
    old(join(dir, '.opsdeck/restore/abc-1/previous'));
    old(join(dir, '.opsdeck/restore/abc-1'));
    write('.opsdeck/restore/def-2/new/x');
    old(write('.opsdeck/reports/weekly-1.md'));
    write('.opsdeck/reports/weekly-2.md');
    write('.opsdeck/run/engine.sock');
    write('.opsdeck/tmp/opsdeck-backup-k/file');
    mkdirSync(join(dir, 'data/app.db.lock'), { recursive: true });
    // A link to a folder outside the stack: the link may go, never what it points to.
    const outside = join(root, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'precious'), 'p');
    old(join(outside, 'precious'));
    symlinkSync(outside, join(dir, '.opsdeck/reports/outside-link'));
    lutimesSync(join(dir, '.opsdeck/reports/outside-link'), new Date(Date.now() - 40 * 86_400_000), new Date(Date.now() - 40 * 86_400_000));

    const linkBytes = lstatSync(join(dir, '.opsdeck/reports/outside-link')).size;
    const before = tree(root);
    const dry = cli(dir, 'cleanup', '--dry-run', '--list');
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(tree(root), before, 'a dry run removes nothing');
    assert.match(dry.stdout, /would remove 8 items/);
    assert.match(dry.stdout, /total\s+8/);

    const r = cli(dir, 'cleanup', '--json');
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { files: number; bytes: number; kinds: { kind: string; files: number }[] };
    const after = tree(root);
    const removed = before.filter((p) => !after.includes(p));
    assert.deepEqual(removed, [
      'stack/.opsdeck/logs/api.log.2',
      'stack/.opsdeck/logs/api.log.4',
      'stack/.opsdeck/reports/outside-link',
      'stack/.opsdeck/reports/weekly-1.md',
      'stack/.opsdeck/restore/abc-1/',
      'stack/.opsdeck/restore/abc-1/previous/',
      'stack/.opsdeck/restore/abc-1/previous/data/',
      'stack/.opsdeck/restore/abc-1/previous/data/app.db',
      'stack/.opsdeck/run/engine.sock',
      'stack/.opsdeck/tmp/opsdeck-backup-k/',
      'stack/.opsdeck/tmp/opsdeck-backup-k/file',
      'stack/data/app.db.lock/',
    ]);
    // What appeared is the command's own bookkeeping: the memory journal it recorded its event in
    // (the next owner takes it into memory.db).
    const added = after.filter((p) => !before.includes(p));
    assert.equal(added.length, 2, added.join(', '));
    assert.equal(added[0], 'stack/.opsdeck/memory-journal/');
    assert.match(added[1]!, /^stack\/\.opsdeck\/memory-journal\/\d{12}-[0-9a-f]+\.jsonl$/);
    assert.ok(existsSync(join(outside, 'precious')), 'the link\'s target outside the stack is untouched');
    assert.equal(result.files, 8);
    assert.deepEqual(Object.fromEntries(result.kinds.map((k) => [k.kind, k.files])), { logs: 2, restore: 1, reports: 2, sockets: 1, locks: 1, temp: 1 });
    assert.equal(result.bytes, 6 * 100 + linkBytes);
  });

  it('--daily: the daily set (every daily task: not the memory rebuild), listed, dry-run and run as the schedule runs it', () => {
    const db = join(dir, 'data/app.db');
    bloatedDatabase(db, 2000);
    const list = cli(dir, 'maintain', '--daily', '--list', '--json');
    assert.equal(list.code, 0, list.stderr);
    const ids = (JSON.parse(list.stdout) as { tasks: { id: string; daily: boolean }[] }).tasks.map((x) => x.id);
    assert.deepEqual(ids, ['api:sqlite:data/app.db', 'opsdeck:journal', 'opsdeck:memory', 'opsdeck:metrics', 'opsdeck:backups']);
    const all = (JSON.parse(cli(dir, 'maintain', '--list', '--json').stdout) as { tasks: { id: string }[] }).tasks.map((x) => x.id);
    assert.deepEqual(all.filter((id) => !ids.includes(id)), ['opsdeck:memory:rebuild'], 'every task but the rebuild');
    const before = tree(root);
    const dry = cli(dir, 'maintain', '--daily', '--dry-run', '--json');
    assert.equal(dry.code, 0, dry.stderr);
    const plan = JSON.parse(dry.stdout) as { dryRun: boolean; tasks: { id: string }[] };
    assert.deepEqual([plan.dryRun, plan.tasks.map((x) => x.id)], [true, ids]);
    assert.deepEqual(tree(root), before, 'the dry run changed nothing');
    const run = cli(dir, 'maintain', '--daily', '--json');
    assert.equal(run.code, 0, run.stderr);
    const done = JSON.parse(run.stdout) as { ok: boolean; tasks: { id: string; ok: boolean }[] };
    assert.deepEqual(done.tasks.map((x) => x.id), ids);
    assert.equal(integrity(db), 'ok');
  });

  it('bad input: an unknown task, an unknown service, a bad --older-than: a clear error, nothing changed', () => {
    const db = join(dir, 'data/app.db');
    bloatedDatabase(db, 2000);
    const before = tree(root);
    const cases: [string[], RegExp][] = [
      [['maintain', 'vacum'], /no maintenance task "vacum" in stack mt[\s\S]*hint: .*the tasks are api:sqlite:data\/app\.db/],
      [['maintain', '--service', 'nope'], /no service named "nope" in stack mt[\s\S]*hint: the services are api/],
      [['maintain', '--daily', 'sqlite'], /give either task words \(sqlite\) or the daily set, not both[\s\S]*hint: `opsdeck maintain --daily` runs the daily set/],
      [['cleanup', '--older-than', '30 days'], /"30 days" is not a duration: write a number and a unit, e\.g\. 30d/],
      [['cleanup', '--older-than', '-1d'], /"-1d" is not a duration/],
    ];
    for (const [args, message] of cases) {
      const r = cli(dir, ...args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message);
    }
    const json = cli(dir, 'maintain', 'vacum', '--json');
    assert.equal(json.code, 1);
    assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'BAD_REQUEST');
    assert.deepEqual(tree(root), before, 'nothing changed');
  });
});
