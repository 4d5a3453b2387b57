import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NODE, tempStack, type TempStack } from '../helpers/stack';
import { cli, type CliRun as Run } from '../helpers/built-cli';

const ROOT = resolve(import.meta.dirname, '../..');

const ok = (r: Run) => assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
const modeOf = (p: string) => (statSync(p).mode & 0o7777).toString(8).padStart(4, '0');

describe('opsdeck backup / restore output: counts in the singular, and --keep-special-bits (the built dist/cli.js)', function () {
  this.timeout(120_000);
  let t: TempStack;

  before(() => {
    const r = spawnSync(NODE, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    t = tempStack({ version: 1, name: 'cliout', services: { tool: { command: ['true'], backup: { files: ['bin/'] } } } });
    mkdirSync(join(t.dir, 'bin'));
    writeFileSync(join(t.dir, 'bin', 'su-like'), '#!/bin/sh\n');
    chmodSync(join(t.dir, 'bin', 'su-like'), 0o4755);
    ok(cli(t.dir, 'backup', '--no-progress'));
  });

  after(() => t?.cleanup());

  it('restore of one file says "1 file", in the plan and in the result', () => {
    const plan = cli(t.dir, 'restore', 'latest', '--service', 'tool', '--target', join(t.dir, 'out-plan'), '--dry-run');
    ok(plan);
    assert.match(plan.stdout, /\n {2}1\. restore 1 file \(10 B\) of snapshot [0-9a-f]{8} into /);
    const r = cli(t.dir, 'restore', 'latest', '--service', 'tool', '--target', join(t.dir, 'out1'), '--no-progress');
    ok(r);
    assert.match(r.stdout, /^restored snapshot [0-9a-f]{8} \(.*\) into .*out1: 1 file, 10 B, 1 verified by SHA-256\n/);
  });

  it('verify and status count one snapshot and one pack in the singular', () => {
    const v = cli(t.dir, 'backups', 'verify', '--read-data');
    ok(v);
    assert.match(v.stdout, /^ok: 1 snapshot, 1 pack, 2 blobs checked; data re-read: 1 pack, /);
    const s = cli(t.dir, 'backups', 'status');
    ok(s);
    assert.match(s.stdout, /^repository \.opsdeck\/backups: 1 snapshot, newest /);
  });

  it('restore strips setuid by default; --keep-special-bits keeps it', () => {
    ok(cli(t.dir, 'restore', 'latest', '--target', join(t.dir, 'out2'), '--no-progress'));
    assert.equal(modeOf(join(t.dir, 'out2', 'tool', 'bin', 'su-like')), '0755');
    ok(cli(t.dir, 'restore', 'latest', '--target', join(t.dir, 'out3'), '--keep-special-bits', '--no-progress'));
    assert.equal(modeOf(join(t.dir, 'out3', 'tool', 'bin', 'su-like')), '4755');
  });
});
