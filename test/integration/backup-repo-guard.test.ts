/**
 * The backup repository and Opsdeck's own files, through the built CLI: everything a backup, a
 * drill and `profile use` write under `.opsdeck/` is owner-only (the doctor's permissions check
 * passes); a repository this stack has used that vanishes (an unmounted disk) is not silently made
 * again — the backup fails, saying so, and writes nothing — until `opsdeck backups init`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBundles, cli } from '../helpers/built-cli';
import { tempStack, type TempStack } from '../helpers/stack';

describe('backup repository guard and owner-only files (built CLI)', function () {
  this.timeout(120_000);
  let t: TempStack;
  before(() => buildBundles());
  beforeEach(() => {
    t = tempStack({
      version: 1,
      name: 'guard',
      profiles: { dev: { services: ['app'] }, other: { services: ['app'] } },
      backup: { repository: 'disk/repo' },
      services: { app: { command: ['sleep', '1000'], backup: { files: ['data'] } } },
    });
    mkdirSync(join(t.dir, 'data'));
    writeFileSync(join(t.dir, 'data', 'a.txt'), 'hello\n');
  });
  afterEach(() => t.cleanup());

  it('a backup, a drill and profile use leave nothing under .opsdeck/ or the repository readable by others', () => {
    const old = process.umask(0o022);
    try {
      assert.equal(cli(t.dir, 'backup').code, 0);
      const drill = cli(t.dir, 'backups', 'drill');
      assert.equal(drill.code, 0, drill.stderr);
      assert.equal(cli(t.dir, 'profile', 'use', 'other').code, 0);
    } finally {
      process.umask(old);
    }
    const open = execFileSync('find', ['.opsdeck', 'disk/repo', '-perm', '/077'], { cwd: t.dir, encoding: 'utf8' }).trim();
    assert.equal(open, '', `readable by others:\n${open}`);
    const doctor = cli(t.dir, 'doctor', '--json');
    const checks = (JSON.parse(doctor.stdout) as { checks: { id: string; status: string; summary: string }[] }).checks;
    const perms = checks.find((c) => c.id === 'env.permissions');
    assert.equal(perms?.status, 'ok', perms?.summary);
  });

  it('a vanished repository is not made again by a backup: an error naming it, nothing written; backups init starts a new one', () => {
    assert.equal(cli(t.dir, 'backup').code, 0);
    rmSync(join(t.dir, 'disk'), { recursive: true }); // the disk is not mounted
    const r = cli(t.dir, 'backup');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the backup repository at \S+disk\/repo is gone: this stack backed up into it .*nothing was written/);
    assert.match(r.stderr, /hint: is its disk mounted.*`opsdeck backups init`/);
    assert.equal(existsSync(join(t.dir, 'disk')), false, 'no new repository made');
    assert.equal(cli(t.dir, 'backups', 'init').code, 0);
    assert.equal(cli(t.dir, 'backup').code, 0);
  });
});
