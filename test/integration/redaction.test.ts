import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ApiClient } from '../../src/core/client/api-client';
import { NODE, tempStack, until, type TempStack } from '../helpers/stack';
import type { EngineEvent } from '../../src/core/contract/events';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');

/** Every secret the stack below hands its service or prints; none may appear anywhere Opsdeck writes. */
const SECRETS = ['hunter2', 'tok-s3cr3t-123', 'bearer-tok-abcdef123', 'url-pw-77', 'dsn-pw-88', 'chk-pw-9'];
const leaks = (text: string) => SECRETS.filter((s) => text.includes(s));

// The service prints what services do print: its environment, a request's headers, URLs.
const SERVICE = `
console.log('API_TOKEN=' + process.env.API_TOKEN);
console.log('GET /orders Authorization: Bearer bearer-tok-abcdef123');
console.log('calling https://pay.example/charge?user=bob&password=url-pw-77&amount=3');
console.log('db at postgres://app:dsn-pw-88@localhost/app');
console.log('ready');
setInterval(() => {}, 1000);
`;

function cli(cwd: string, ...args: string[]) {
  const r = spawnSync(NODE, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('secrets are redacted everywhere Opsdeck writes them (real stack: --password on the command line, API_TOKEN in env)', function () {
  this.timeout(120_000);
  let t: TempStack;
  let client: ApiClient;
  const events: EngineEvent[] = [];
  const stop = new AbortController();

  before(async () => {
    const build = spawnSync(NODE, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
    t = tempStack({
      version: 1,
      name: 'secrets',
      services: {
        web: {
          command: [NODE, 'service.cjs', '--password', 'hunter2', '--port', '80'],
          env: { API_TOKEN: 'tok-s3cr3t-123' },
          health: {
            readiness: { log: 'ready' },
            check: { exec: [NODE, '-e', "console.log('DB_PASSWORD=chk-pw-9 rejected'); process.exit(1)"] },
          },
          stop_grace: '2s',
        },
      },
    });
    writeFileSync(join(t.dir, 'service.cjs'), SERVICE);
    chmodSync(t.dir, 0o755); // a project folder others may enter
    const up = cli(t.dir, 'up', '--detach');
    assert.equal(up.code, 0, up.stderr);
    client = new ApiClient(join(t.dir, '.opsdeck/run/engine.sock'), { timeoutMs: 10_000 });
    // Over the API: the events of a restart (spawn with its command line, every log line).
    void client.events((e) => events.push(e), {}, stop.signal).catch(() => {});
    await new Promise((r) => setTimeout(r, 300));
    await client.restart('web');
    await until(() => events.some((e) => e.type === 'log' && e.line === 'ready'), 30_000, 'the restarted service to print ready');
    assert.equal(cli(t.dir, 'health', '--check').code, 2, 'the check fails (and prints a secret)');
  });

  after(() => {
    stop.abort();
    cli(t.dir, 'down');
    t.cleanup();
  });

  it('the service log: Opsdeck\'s "started pid N: …" line and the service\'s own lines', () => {
    const log = readFileSync(join(t.dir, '.opsdeck/logs/web.log'), 'utf8');
    assert.match(log, /opsdeck started pid \d+: \S+ service\.cjs --password \*\*\* --port 80\n/);
    assert.match(log, /API_TOKEN=\*\*\*/);
    assert.match(log, /Authorization: Bearer \*\*\*/);
    assert.match(log, /password=\*\*\*&amount=3/);
    assert.match(log, /postgres:\/\/app:\*\*\*@localhost/);
    assert.deepEqual(leaks(log), []);
    assert.deepEqual(leaks(JSON.stringify(cli(t.dir, 'logs', 'web', '-n', '1000', '--json').stdout)), []);
  });

  it('the memory journal', async () => {
    const dir = join(t.dir, '.opsdeck/memory-journal');
    const text = () => readdirSync(dir).map((n) => readFileSync(join(dir, n), 'utf8')).join('');
    await until(() => text().includes('API_TOKEN'), 10_000, 'the journal to hold the log lines');
    assert.deepEqual(leaks(text()), []);
    const spawn = text()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { kind: string; data: string })
      .find((r) => r.kind === 'spawn');
    assert.ok(spawn, 'a spawn row');
    assert.deepEqual((JSON.parse(spawn.data) as { command: string[] }).command.slice(-4), ['--password', '***', '--port', '80']);
  });

  it('memory search (and the secret itself finds nothing)', () => {
    const hits = cli(t.dir, 'memory', 'search', 'API_TOKEN OR password OR Bearer OR postgres', '--json', '--limit', '100');
    assert.equal(hits.code, 0, hits.stderr);
    assert.ok((JSON.parse(hits.stdout) as { hits: unknown[] }).hits.length >= 4, hits.stdout);
    assert.deepEqual(leaks(hits.stdout), []);
    for (const secret of ['hunter2', 'tok-s3cr3t-123']) {
      const r = cli(t.dir, 'memory', 'search', secret, '--json');
      assert.deepEqual((JSON.parse(r.stdout) as { hits: unknown[] }).hits, [], secret);
    }
  });

  it('events over the API (server-sent events)', () => {
    const spawn = events.find((e) => e.type === 'spawn');
    assert.ok(spawn && spawn.type === 'spawn');
    assert.deepEqual(spawn.command.slice(-4), ['--password', '***', '--port', '80']);
    assert.ok(events.some((e) => e.type === 'log' && e.line === 'API_TOKEN=***'));
    assert.deepEqual(leaks(JSON.stringify(events)), []);
  });

  it('status --json and health --json (the failing check printed a secret)', () => {
    const status = cli(t.dir, 'status', '--json');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /DB_PASSWORD=\*\*\*/);
    assert.deepEqual(leaks(status.stdout), []);
    const health = cli(t.dir, 'health', '--json');
    assert.match(health.stdout, /DB_PASSWORD=\*\*\*/);
    assert.deepEqual(leaks(health.stdout), []);
  });

  it('the log, journal and memory files are owner-only (0600 in 0700 folders)', () => {
    const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
    for (const d of ['.opsdeck/logs', '.opsdeck/memory-journal']) assert.equal(mode(join(t.dir, d)), '700', d);
    assert.equal(mode(join(t.dir, '.opsdeck/logs/web.log')), '600');
    assert.equal(mode(join(t.dir, '.opsdeck/memory.db')), '600');
    for (const n of readdirSync(join(t.dir, '.opsdeck/memory-journal'))) assert.equal(mode(join(t.dir, '.opsdeck/memory-journal', n)), '600', n);
  });
});
