import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fixture, freePort, NODE, tempStack, type TempStack } from '../helpers/stack';
import { cli, type CliRun as Run } from '../helpers/built-cli';

const ROOT = resolve(import.meta.dirname, '../..');

const json = <T = Record<string, unknown>>(r: Run) => JSON.parse(r.stdout) as T;
const ok = (r: Run) => assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);

/** Every file under `dir` with its size and mtime: "nothing changed" means this is equal. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      out.push(`${relative(dir, p)} ${st.isDirectory() ? 'dir' : `${st.size} ${st.mtimeMs}`}`);
    }
  };
  walk(dir);
  return out;
}

describe('opsdeck backup / backups / restore (the built dist/cli.js)', function () {
  this.timeout(120_000);
  let t: TempStack;
  let port: number;

  before(async () => {
    const r = spawnSync(NODE, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    port = await freePort();
    t = tempStack({
      version: 1,
      name: 'clibackup',
      services: {
        kv: {
          tier: 'storage',
          command: [NODE, fixture('http-service.cjs')],
          env: { PORT: port },
          health: { readiness: { http: { url: `http://127.0.0.1:${port}/health` } }, check: { exec: [NODE, fixture('check-kv.cjs')] } },
          backup: { files: ['data/'], exclude: ['**/*.tmp'] },
          rpo: '1h',
          rto: '1m',
          stop_grace: '2s',
        },
      },
    });
    mkdirSync(join(t.dir, 'data', 'sub'), { recursive: true });
    writeFileSync(join(t.dir, 'data', 'a.txt'), 'alpha\n');
    writeFileSync(join(t.dir, 'data', 'sub', 'b.txt'), 'beta\n');
    writeFileSync(join(t.dir, 'data', 'skip.tmp'), 'scratch');
  });

  after(() => {
    cli(t.dir, 'down');
    t?.cleanup();
  });

  it('backup --dry-run changes nothing at all, and says what a backup would do', () => {
    const before = tree(t.dir);
    const r = cli(t.dir, 'backup', '--dry-run', '--json');
    ok(r);
    const out = json(r);
    assert.equal(out.dryRun, true);
    assert.equal(out.files, 3, 'a.txt, sub/b.txt and opsdeck.yaml (not the excluded .tmp)');
    assert.equal(out.filesNew, 3);
    assert.deepEqual(tree(t.dir), before, 'no repository, no .opsdeck, nothing touched');
    assert.ok(!existsSync(join(t.dir, '.opsdeck')));
    const human = cli(t.dir, 'backup', '--dry-run', '--no-progress');
    ok(human);
    assert.match(human.stdout, /^dry run: nothing was written; a backup now would make this snapshot in/);
  });

  let first: string;
  it('backup --json: the snapshot and what it added; progress as lines on stderr when not a terminal', () => {
    const r = cli(t.dir, 'backup', '--tag', 'one');
    ok(r);
    assert.match(r.stdout, /^snapshot [0-9a-f]{8} saved in \.opsdeck\/backups \(repository created\)\n {2}services {3}kv \+ opsdeck\.yaml \[one\]\n {2}files {6}3 \(3 new, 0 changed, 0 unchanged\)\n/);
    assert.match(r.stdout, /\n {2}check {6}structure ok\n/);
    assert.match(r.stderr, /^backup: done 3\/3 files, \S+ \S+\/\S+ \S+, .*\/s, ETA -$/m);
    writeFileSync(join(t.dir, 'data', 'a.txt'), 'alpha 2\n');
    const j = cli(t.dir, 'backup', '--json', '--service', 'kv');
    ok(j);
    const out = json(j);
    for (const key of ['dryRun', 'snapshot', 'time', 'repository', 'repositoryCreated', 'services', 'tags', 'files', 'filesNew', 'filesChanged', 'filesUnchanged', 'bytesTotal', 'bytesRead', 'bytesAdded', 'durationMs', 'notes', 'skipped', 'check']) {
      assert.ok(key in out, `BackupResult has ${key}`);
    }
    assert.equal(out.filesChanged, 1);
    assert.equal(out.filesUnchanged, 2);
    assert.equal(j.stderr, '', '--json: no progress output');
    first = json<{ snapshots: { id: string }[] }>(cli(t.dir, 'backups', 'list', '--json')).snapshots[0]!.id;
    // the one-shot command recorded its events as an owner does: in the memory journal, not
    // memory.db (no SQLite opened for it); a search without an engine takes the journal in first
    const journal = join(t.dir, '.opsdeck', 'memory-journal');
    assert.ok(readdirSync(journal).some((f) => f.endsWith('.jsonl')), 'a journal segment');
    assert.ok(!existsSync(join(t.dir, '.opsdeck', 'memory.db')), 'memory.db not opened by a one-shot backup');
    const mem = json<{ hits: { kind: string; text: string }[] }>(cli(t.dir, 'memory', 'search', 'backup', '--kind', 'backup', '--json'));
    assert.ok(mem.hits.some((h) => /backup of kv/.test(h.text)), JSON.stringify(mem.hits));
    assert.ok(existsSync(join(t.dir, '.opsdeck', 'memory.db')), 'the search took the journal into memory.db');
  });

  it('backups list / show / diff / status', () => {
    const list = cli(t.dir, 'backups', 'list');
    ok(list);
    assert.match(list.stdout, /^ID +TIME +PROFILE +SERVICES +TAGS +FILES +SIZE +ADDED\n[0-9a-f]{8} .* kv +one +3 /);
    const show = json<{ id: string; entries: { service: string; path: string; type: string; sha256?: string; chunks?: string[] }[] }>(cli(t.dir, 'backups', 'show', first.slice(0, 8), '--json'));
    assert.equal(show.id, first);
    const files = show.entries.filter((e) => e.type === 'file');
    assert.deepEqual(files.map((e) => `${e.service}/${e.path}`).sort(), ['_stack/opsdeck.yaml', 'kv/data/a.txt', 'kv/data/sub/b.txt']);
    assert.ok(files.every((e) => e.chunks?.length === 1 && e.sha256 === undefined), `files are known by their chunks, not a whole-file hash: ${JSON.stringify(files)}`);
    const text = cli(t.dir, 'backups', 'show', first.slice(0, 8));
    ok(text);
    assert.match(text.stdout, /^SERVICE +PATH +SIZE\n/m, 'no SHA-256 column when no file has one');
    const diff = cli(t.dir, 'backups', 'diff', first, 'latest');
    ok(diff);
    assert.match(diff.stdout, /^diff [0-9a-f]{8} → [0-9a-f]{8}\nM kv\/data\/a\.txt \(content, mtime: 6 B → 8 B\)\n0 added, 0 removed, 1 changed, 2 unchanged/);
    const status = json<{ snapshots: number; services: { service: string; rpo: string; rtoMs: number }[] }>(cli(t.dir, 'backups', 'status', '--json'));
    assert.equal(status.snapshots, 2);
    assert.deepEqual(status.services.map((s) => [s.service, s.rpo, s.rtoMs]), [['kv', 'ok', 60_000]]);
  });

  it('restore --target: the files, verified', () => {
    const target = join(mkdtempSync(join(tmpdir(), 'opsdeck-cli-')), 'out');
    try {
      const r = cli(t.dir, 'restore', first, '--target', target, '--json');
      ok(r);
      const out = json<{ files: unknown[]; verified: number; mode: string }>(r);
      assert.equal(out.mode, 'target');
      assert.equal(out.verified, 3);
      assert.equal(readFileSync(join(target, 'kv', 'data', 'a.txt'), 'utf8'), 'alpha\n');
    } finally {
      rmSync(join(target, '..'), { recursive: true, force: true });
    }
  });

  it('bad input: clear errors, exit 1, nothing done', () => {
    const before = tree(join(t.dir, '.opsdeck', 'backups'));
    const cases: [string[], RegExp, string][] = [
      [['restore', 'deadbeef', '--target', '/tmp/nowhere'], /^error: .*deadbeef/m, 'BACKUP_SNAPSHOT_NOT_FOUND'],
      [['restore', 'latest', '--include', 'data/[x', '--target', '/tmp/nowhere'], /^error: --include glob "data\/\[x" is invalid: "\[" in "\[x" has no closing "\]"$/m, 'BAD_REQUEST'],
      [['restore', 'latest', '--target', '/tmp/nowhere', '--in-place'], /^error: --target and --in-place exclude each other$/m, 'BAD_REQUEST'],
      [['restore', 'latest'], /^error: say where to restore: --target DIR or --in-place$/m, 'BAD_REQUEST'],
      [['backup', '--service', 'kvv'], /^error: no service named "kvv" in stack clibackup$/m, 'SERVICE_UNKNOWN'],
      [['backup', '--tag', 'has space'], /^error: tag "has space" is invalid$/m, 'BAD_REQUEST'],
      [['backups', 'forget'], /^error: no retention rule given, and opsdeck.yaml sets none$/m, 'BAD_REQUEST'],
      [['backups', 'show', 'nope'], /^error: /m, 'BACKUP_SNAPSHOT_NOT_FOUND'],
    ];
    for (const [args, message, code] of cases) {
      const r = cli(t.dir, ...args);
      assert.equal(r.code, 1, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.match(r.stderr, /^hint: \S/m, `${args.join(' ')} gives a hint`);
      assert.equal(r.stdout, '');
      const j = cli(t.dir, ...args, '--json');
      assert.equal(j.code, 1);
      const body = json<{ ok: boolean; error: { code: string; message: string; hint: string } }>(j);
      assert.equal(body.ok, false);
      assert.equal(body.error.code, code, args.join(' '));
    }
    const usage = cli(t.dir, 'backups', 'verify', '--read-data-subset', '9/7');
    assert.equal(usage.code, 1);
    assert.match(usage.stderr, /N must be between 1 and T/);
    assert.deepEqual(tree(join(t.dir, '.opsdeck', 'backups')), before, 'the repository did not change');
  });

  it('backups forget --dry-run shows each decision and its rule; verify --read-data is clean', () => {
    const f = cli(t.dir, 'backups', 'forget', '--keep-last', '1', '--dry-run', '--json');
    ok(f);
    const out = json<{ dryRun: boolean; keep: { snapshot: { id: string }; reasons: string[] }[]; remove: { id: string }[] }>(f);
    assert.equal(out.dryRun, true);
    assert.equal(out.keep.length, 1);
    assert.deepEqual(out.keep[0]!.reasons, ['last']);
    assert.deepEqual(out.remove.map((s) => s.id), [first]);
    assert.equal(json<{ snapshots: unknown[] }>(cli(t.dir, 'backups', 'list', '--json')).snapshots.length, 2, 'dry run: nothing removed');
    const v = cli(t.dir, 'backups', 'verify', '--read-data', '--json');
    ok(v);
    assert.equal(json(v).ok, true);
    assert.equal(v.stderr, '', '--json: no progress output');
    // progress as lines on stderr when not a terminal: each phase, then what was checked
    const h = cli(t.dir, 'backups', 'verify', '--read-data');
    ok(h);
    assert.match(h.stderr, /^verify: structure \d+\/\d+ packs, /m);
    assert.match(h.stderr, /^verify: data 0\/(\d+) packs, 0 B\/\S+ \S+, /m);
    assert.match(h.stderr, /^verify: done (\d+)\/\1 packs, (\S+ \S+)\/\2, .*\/s, ETA -$/m);
    const quiet = cli(t.dir, 'backups', 'verify', '--no-progress');
    ok(quiet);
    assert.equal(quiet.stderr, '');
  });

  it('restore --in-place without an engine: starts the service for the health gate, then leaves it stopped', () => {
    writeFileSync(join(t.dir, 'data', 'sub', 'b.txt'), 'beta changed\n');
    writeFileSync(join(t.dir, 'data', 'new.txt'), 'not in the snapshot\n');
    const r = cli(t.dir, 'restore', first, '--in-place');
    ok(r);
    assert.match(r.stdout, /^restored snapshot [0-9a-f]{8} \(.*\) in place: 2 files, 11 B, 2 verified by SHA-256\n {2}safety {5}snapshot [0-9a-f]{8} holds the data from before/);
    assert.match(r.stdout, /\n {2}RTO {8}kv: 1m met$/m);
    assert.equal(readFileSync(join(t.dir, 'data', 'a.txt'), 'utf8'), 'alpha\n');
    assert.equal(readFileSync(join(t.dir, 'data', 'sub', 'b.txt'), 'utf8'), 'beta\n');
    assert.ok(!existsSync(join(t.dir, 'data', 'new.txt')), 'a file the snapshot does not have is moved aside (it is in the safety snapshot)');
    assert.equal(readFileSync(join(t.dir, 'data', 'skip.tmp'), 'utf8'), 'scratch', 'excluded files are left alone');
    const st = cli(t.dir, 'status', '--json');
    assert.equal(json(st).running, false, 'no engine left behind');
  });

  it('backups drill: restores into a sandbox on other ports, runs the check, records the recovery time', () => {
    const r = cli(t.dir, 'backups', 'drill', '--json');
    ok(r);
    const out = json<{ ok: boolean; services: string[]; ports: Record<string, number>; recoveryMs: number; objectives: { service: string; withinRto: boolean }[]; checks: { ok: boolean; output: string }[]; kept: boolean; sandbox: string }>(r);
    assert.equal(out.ok, true);
    assert.deepEqual(out.services, ['kv']);
    assert.notEqual(out.ports[String(port)], port, 'the drill ran on another port');
    assert.ok(out.recoveryMs > 0);
    assert.deepEqual(out.objectives.map((o) => [o.service, o.withinRto]), [['kv', true]]);
    assert.equal(out.checks[0]!.output, 'wrote and read back ok');
    assert.ok(!existsSync(out.sandbox), 'the sandbox is removed');
    const status = json<{ services: { lastRecovery: { kind: string } }[] }>(cli(t.dir, 'backups', 'status', '--json'));
    assert.equal(status.services[0]!.lastRecovery.kind, 'drill');
  });

  it('with an engine running, the same commands go through its API', () => {
    ok(cli(t.dir, 'up', '--detach', '--timeout', '30s'));
    const r = cli(t.dir, 'backup', '--json', '--tag', 'via-api');
    ok(r);
    assert.deepEqual(json(r).tags, ['via-api']);
    const restore = cli(t.dir, 'restore', 'latest', '--in-place', '--json');
    ok(restore);
    assert.equal(json<{ stopped: string[] }>(restore).stopped[0], 'kv', 'the engine stopped its running service for the restore');
    const st = json<{ services: { name: string; state: string }[] }>(cli(t.dir, 'status', '--json'));
    assert.equal(st.services.find((s) => s.name === 'kv')!.state, 'ready', 'and started it again');
    const mem = json<{ hits: { kind: string; text: string }[] }>(cli(t.dir, 'memory', 'search', 'restore', '--kind', 'restore', '--json'));
    assert.ok(mem.hits.some((h) => /completed: recovery/.test(h.text)), 'the restore is in memory');
    // a verify and a restore through the engine stream their progress to the CLI's stderr
    const v = cli(t.dir, 'backups', 'verify', '--read-data');
    ok(v);
    assert.match(v.stderr, /^verify: data 0\/\d+ packs, /m);
    assert.match(v.stderr, /^verify: done (\d+)\/\1 packs, /m);
    const copy = cli(t.dir, 'restore', 'latest', '--target', join(t.dir, 'copy-via-api'));
    ok(copy);
    assert.match(copy.stderr, /^restore: done (\d+)\/\1 files, /m);
    ok(cli(t.dir, 'down'));
  });
});
