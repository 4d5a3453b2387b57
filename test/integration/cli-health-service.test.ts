import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { NODE, tempStack, until, type TempStack } from '../helpers/stack';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');

function cli(cwd: string, ...args: string[]) {
  const r = spawnSync(NODE, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('opsdeck health SERVICE… (the built CLI, a real engine)', function () {
  this.timeout(120_000);
  let t: TempStack;
  before(() => {
    const build = spawnSync(NODE, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
    t = tempStack({
      version: 1,
      name: 'health',
      services: {
        storage: { command: [NODE, '-e', "console.log('ready'); setInterval(() => {}, 1000)"], health: { readiness: { log: 'ready' } }, stop_grace: '2s' },
        api: { command: [NODE, '-e', 'process.exit(1)'], restart: { policy: 'never' } },
      },
    });
  });
  after(() => {
    cli(t.dir, 'down');
    t.cleanup();
  });

  it('with no engine: a known name is UNKNOWN (exit 3), an unknown one an error with a did-you-mean hint (exit 2)', () => {
    assert.equal(cli(t.dir, 'health', 'storage').code, 3);
    const typo = cli(t.dir, 'health', 'stroage');
    assert.equal(typo.code, 2);
    assert.equal(typo.stdout, '');
    assert.match(typo.stderr, /no service named "stroage"/);
    assert.match(typo.stderr, /did you mean `storage`\?/);
  });

  it('only the named services, their health alone as the exit code; an unknown name is an error (exit 2)', async () => {
    cli(t.dir, 'up', '--detach'); // its exit code is not the point here (api fails at once)
    await until(() => /api\s+CRITICAL/.test(cli(t.dir, 'health').stdout) && /storage\s+OK/.test(cli(t.dir, 'health').stdout), 30_000, 'storage OK and api CRITICAL');
    assert.equal(cli(t.dir, 'health').code, 2, 'the whole stack: CRITICAL (api failed)');
    const storage = cli(t.dir, 'health', 'storage');
    assert.equal(storage.code, 0, storage.stdout + storage.stderr);
    assert.match(storage.stdout, /^OK: 1\/1 OK\n/);
    assert.doesNotMatch(storage.stdout, /\bapi\b/);
    const json = JSON.parse(cli(t.dir, 'health', 'storage', '--check', '--json').stdout) as { level: string; services: { service: string }[] };
    assert.deepEqual([json.level, json.services.map((s) => s.service)], ['OK', ['storage']]);
    assert.equal(cli(t.dir, 'health', 'api').code, 2);
    assert.equal(cli(t.dir, 'health', 'storage', 'api').code, 2);
    const typo = cli(t.dir, 'health', 'storage', 'apj');
    assert.equal(typo.code, 2);
    assert.equal(typo.stdout, '');
    assert.match(typo.stderr, /no service named "apj"[\s\S]*did you mean `api`\?/);
  });
});
