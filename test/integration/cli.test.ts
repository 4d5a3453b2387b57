import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createProgram } from '../../src/cli/program';
import { DAEMON_GLIBC_TUNABLES, DAEMON_NODE_FLAGS } from '../../src/daemon/daemon-process';
import { allCommands, CLI_DOC, helpOf, renderCliDoc } from '../../scripts/gen-cli-docs';
import { isAlive } from '../../src/core/os/process-info';
import { ApiClient } from '../../src/core/client/api-client';
import { unixFetch } from '../../src/core/client/unix-fetch';
import type { OpsError } from '../../src/core/errors';
import { fixture, freePort, NODE, tempStack, until, type TempStack } from '../helpers/stack';
import { cli, type CliRun as Run } from '../helpers/built-cli';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');

const json = (r: Run) => JSON.parse(r.stdout) as Record<string, unknown>;

async function stackConfig() {
  const svc = async (tier: string, deps: string[] = []) => {
    const port = await freePort();
    return {
      tier,
      command: [NODE, fixture('http-service.cjs')],
      env: { PORT: port },
      depends_on: deps,
      health: {
        readiness: { http: { url: `http://127.0.0.1:${port}/health` } },
        check: { exec: [NODE, fixture('check-kv.cjs')] },
      },
      stop_grace: '2s',
    };
  };
  return {
    version: 1,
    name: 'clitest',
    profiles: {
      dev: { services: ['storage', 'api'] },
      minimal: { services: ['storage'], env: { MODE: 'minimal' } },
    },
    active_profile: 'dev',
    services: { storage: await svc('storage'), api: await svc('server', ['storage']) },
  };
}

describe('opsdeck CLI (the built dist/cli.js, real engine and processes)', function () {
  this.timeout(60_000);
  before(() => {
    const r = spawnSync(NODE, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  describe('help and docs', () => {
    it('every command has a description and an example in its --help', () => {
      const commands = allCommands(createProgram());
      assert.ok(commands.length >= 14, `${commands.length} commands`);
      for (const { name, cmd } of commands) {
        const help = helpOf(cmd);
        assert.ok(cmd.description().length > 10, `${name} has a description`);
        assert.match(help, /Examples:\n {2}\$ opsdeck /, `${name} --help has an example`);
      }
    });

    it('docs/cli.md is the real help text (regenerate with npx tsx scripts/gen-cli-docs.ts)', () => {
      assert.equal(readFileSync(CLI_DOC, 'utf8'), renderCliDoc());
    });

    it('the built CLI answers --help with its usage and examples', () => {
      const r = cli(ROOT, 'up', '--help');
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^Usage: opsdeck up \[options\] \[services\.\.\.\]/);
      assert.match(r.stdout, /Examples:\n {2}\$ opsdeck up /);
    });

    it('--help shows duration defaults as durations, not milliseconds', () => {
      for (const args of [['restore', '--help'], ['backups', 'drill', '--help']]) {
        const r = cli(ROOT, ...args);
        assert.equal(r.code, 0);
        assert.match(r.stdout.replace(/\s+/g, ' '), /--health-timeout <duration> .*\(default: 60s\)/, args.join(' '));
      }
    });
  });

  describe('without an engine', () => {
    let t: TempStack;
    beforeEach(async () => (t = tempStack(await stackConfig())));
    afterEach(() => {
      cli(t.dir, 'down');
      t.cleanup();
    });

    it('init writes a valid commented file, refuses to overwrite, and --dry-run writes nothing', () => {
      const dir = join(t.dir, 'new');
      mkdirSync(dir);
      const dry = cli(dir, 'init', '--dry-run');
      assert.equal(dry.code, 0);
      assert.match(dry.stdout, /^# Opsdeck stack/);
      assert.ok(!existsSync(join(dir, 'opsdeck.yaml')));
      assert.equal(cli(dir, 'init', '--name', 'shop').code, 0);
      const written = readFileSync(join(dir, 'opsdeck.yaml'), 'utf8');
      assert.match(written, /^name: shop$/m);
      assert.equal(cli(dir, 'validate').code, 0);
      const again = cli(dir, 'init');
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already exists\nhint: use --force/);
      assert.equal(readFileSync(join(dir, 'opsdeck.yaml'), 'utf8'), written);
    });

    it('validate checks the folder -C names when given no path (and a broken one fails, naming it)', () => {
      const outside = join(t.dir, 'elsewhere');
      mkdirSync(outside);
      const ok = cli(outside, '-C', t.dir, 'validate', '--json');
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(json(ok).file, join(t.dir, 'opsdeck.yaml'));
      const bad = join(t.dir, 'bad');
      mkdirSync(bad);
      writeFileSync(join(bad, 'opsdeck.yaml'), 'name: x\nservices: 3\n');
      const r = cli(outside, '-C', bad, 'validate');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /bad\/opsdeck\.yaml/);
    });

    it('up --dry-run prints the order and starts nothing', () => {
      const r = cli(t.dir, 'up', '--dry-run');
      assert.equal(r.code, 0);
      assert.equal(r.stdout, 'plan (dry run, nothing changed):\n  1. start storage\n  2. start api\n');
      const j = json(cli(t.dir, 'up', '--dry-run', '--json'));
      assert.deepEqual((j.plan as { service: string }[]).map((p) => p.service), ['storage', 'api']);
      assert.ok(!existsSync(join(t.dir, '.opsdeck', 'run')), 'no engine state was created');
    });

    it('status says not running; health is UNKNOWN (exit 3); commands needing an engine say how to start one', () => {
      const s = cli(t.dir, 'status', '--json');
      assert.equal(s.code, 0);
      assert.equal(json(s).running, false);
      const h = cli(t.dir, 'health');
      assert.equal(h.code, 3);
      assert.match(h.stdout, /^UNKNOWN: no engine is running/);
      const r = cli(t.dir, 'restart', 'api');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^error: no engine is running for the stack in \.\nhint: start it with `opsdeck up`/);
    });

    it('profile use without an engine remembers the choice; an unknown profile is an error that changes nothing', () => {
      assert.equal(cli(t.dir, 'profile', 'use', 'minimal').code, 0);
      assert.equal((json(cli(t.dir, 'profile', 'list', '--json')) as { active: string }).active, 'minimal');
      const bad = cli(t.dir, 'profile', 'use', 'minmal');
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /error: no profile named "minmal"\nhint: did you mean `minimal`\?/);
      assert.equal((json(cli(t.dir, 'profile', 'list', '--json')) as { active: string }).active, 'minimal');
    });

    it('bad arguments get a clear error and exit 1', () => {
      const n = cli(t.dir, 'logs', 'api', '-n', '-5');
      assert.equal(n.code, 1);
      assert.match(n.stderr, /"-5" is not a whole number greater than 0/);
      const since = cli(t.dir, 'logs', 'api', '--since', 'yesterday');
      assert.match(since.stderr, /"yesterday" is neither a duration/);
      const unknown = cli(t.dir, 'logs', 'apx');
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no service named "apx"/);
      const noStack = cli('/', 'status');
      assert.equal(noStack.code, 1);
      assert.match(noStack.stderr, /no opsdeck.yaml in \/ or any folder above it\nhint: .*opsdeck init/);
    });
  });

  describe('the daemon bundle (dist/daemon.js, what up --detach starts)', () => {
    it('refuses bad arguments with the error, a hint and exit 1, and touches nothing', () => {
      const dir = mkdtempSync(join(tmpdir(), 'opsdeck-daemon-args-'));
      try {
        for (const [args, message] of [
          [[], /error: daemon: --stack DIR is required/],
          [['--stack', dir, '--bogus'], /error: daemon: Unknown option '--bogus'/],
        ] as const) {
          const r = spawnSync(NODE, [join(ROOT, 'dist/daemon.js'), ...args], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
          assert.equal(r.status, 1, r.stderr);
          assert.match(r.stderr, message);
          assert.match(r.stderr, /\nhint: usage: node dist\/daemon.js --stack DIR/);
        }
        assert.deepEqual(readdirSync(dir), [], 'nothing written');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('names a folder without opsdeck.yaml, exit 1', () => {
      const dir = mkdtempSync(join(tmpdir(), 'opsdeck-daemon-args-'));
      try {
        const r = spawnSync(NODE, [join(ROOT, 'dist/daemon.js'), '--stack', dir], { encoding: 'utf8', timeout: 30_000 });
        assert.equal(r.status, 1, r.stderr);
        assert.match(r.stderr, /opsdeck\.yaml/);
        assert.ok(!existsSync(join(dir, '.opsdeck', 'run', 'engine.lock')), 'no lock left');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('with an engine (up --detach)', () => {
    let t: TempStack;
    beforeEach(async () => (t = tempStack(await stackConfig())));
    afterEach(async () => {
      cli(t.dir, 'down');
      t.cleanup();
    });

    const pids = (dir: string) =>
      Object.fromEntries((json(cli(dir, 'status', '--json')).services as { name: string; pid?: number }[]).map((s) => [s.name, s.pid]));

    it('up --detach returns once ready; a second up names the owner and exits 1; down stops all and releases the stack', async () => {
      const up = cli(t.dir, 'up', '--detach');
      assert.equal(up.code, 0, up.stderr);
      assert.match(up.stdout, /clitest: 2\/2 ready · health OK · IPC \d+ · profile dev · engine pid (\d+)/);
      const lock = JSON.parse(readFileSync(join(t.dir, '.opsdeck/run/engine.lock'), 'utf8')) as { pid: number };
      if (process.platform === 'linux') {
        const argv = readFileSync(`/proc/${lock.pid}/cmdline`, 'utf8').split('\0');
        assert.deepEqual(argv.slice(1, 1 + DAEMON_NODE_FLAGS.length), DAEMON_NODE_FLAGS, 'the daemon runs with the V8 flags that cut its memory');
        assert.deepEqual(argv.slice(1 + DAEMON_NODE_FLAGS.length, 4 + DAEMON_NODE_FLAGS.length), [join(ROOT, 'dist/daemon.js'), '--stack', t.dir], 'the daemon is its own bundle, without the CLI');
        const environ = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
        if (process.env.GLIBC_TUNABLES === undefined) {
          assert.ok(environ(lock.pid).includes(`GLIBC_TUNABLES=${DAEMON_GLIBC_TUNABLES}`), 'the daemon starts with the malloc settings');
          const servicePids = Object.values(pids(t.dir)) as number[];
          assert.equal(servicePids.length, 2);
          for (const pid of servicePids) {
            assert.deepEqual(environ(pid).filter((v) => /^(GLIBC_TUNABLES|OPSDECK_DAEMON_GLIBC_TUNABLES)=/.test(v)), [], 'a service gets the user\'s environment, not the daemon\'s malloc settings');
          }
        }
      }
      const second = cli(t.dir, 'up');
      assert.equal(second.code, 1);
      assert.match(second.stderr, new RegExp(`already run by pid ${lock.pid} \\(daemon\\)`));
      const daemon = cli(t.dir, 'daemon');
      assert.equal(daemon.code, 1);
      assert.match(daemon.stderr, /STACK_LOCKED|already run by pid/);

      const running = Object.values(pids(t.dir)) as number[];
      const down = cli(t.dir, 'down');
      assert.equal(down.code, 0);
      assert.equal(down.stdout, 'done:\n  1. stop api\n  2. stop storage\n');
      assert.ok(!isAlive(lock.pid), 'down returns once the daemon has exited (so `down && rm -rf .opsdeck` cannot race it)');
      assert.ok(running.every((p) => !isAlive(p)), 'services stopped');
      assert.ok(!existsSync(join(t.dir, '.opsdeck/run/engine.lock')), 'lock released');
      assert.ok(!existsSync(join(t.dir, '.opsdeck/run/engine.sock')), 'socket removed');
    });

    it('the daemon serves its whole API without loading Node\'s fetch (undici), http2, crypto or https: its small web classes answer', async () => {
      const builtinsFile = join(t.dir, 'builtins.txt');
      const preload = { ...process.env, NO_COLOR: '1', NODE_OPTIONS: `--require ${fixture('record-builtins.cjs')}`, OPSDECK_TEST_BUILTINS: builtinsFile };
      const up = spawnSync(NODE, [CLI, 'up', '--detach'], { cwd: t.dir, encoding: 'utf8', timeout: 60_000, env: preload });
      assert.equal(up.status, 0, up.stderr);
      const client = new ApiClient(join(t.dir, '.opsdeck/run/engine.sock'), { timeoutMs: 10_000 });
      assert.equal((await client.status()).services.length, 2);
      assert.equal((await client.health()).level, 'OK');
      assert.match(await client.prometheus(), /^# HELP opsdeck_/m);
      assert.ok((await client.logs('storage', { lines: 5 })).length > 0);
      // a stream (server-sent events): a restart shows up as events while it happens
      const ac = new AbortController();
      const seen: string[] = [];
      const events = client.events(
        (e) => {
          if (e.type !== 'state' || e.service !== 'api') return;
          seen.push(e.to);
          if (e.to === 'ready' && seen.includes('stopped')) ac.abort();
        },
        { types: ['state'] },
        ac.signal,
      );
      await new Promise((r) => setTimeout(r, 200));
      await client.restart('api');
      await Promise.race([events, new Promise((_, reject) => setTimeout(() => reject(new Error(`no restart events, saw ${seen.join(',')}`)), 10_000))]);
      // bad input: 404 and 400 with the engine's error body, never a 500
      await assert.rejects(() => client.restart('nope'), (e: OpsError) => e.code === 'NOT_FOUND' || /nope/.test(e.message));
      const fetchApi = unixFetch(join(t.dir, '.opsdeck/run/engine.sock'));
      const raw = await fetchApi('http://opsdeck/v1/services/api/logs?lines=minus-one');
      assert.equal(raw.status, 400);
      assert.equal(((await raw.json()) as { error: { code: string } }).error.code, 'BAD_REQUEST');
      const post = await fetchApi('http://opsdeck/v1/profile', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"name":"minimal","dry_run":true}' });
      assert.equal(post.status, 200);
      assert.equal(((await post.json()) as { dryRun: boolean }).dryRun, true);
      const spec = await fetchApi('http://opsdeck/openapi.json');
      assert.equal(((await spec.json()) as { openapi: string }).openapi.slice(0, 2), '3.');
      assert.equal(cli(t.dir, 'down').code, 0);
      await until(() => existsSync(builtinsFile), 10_000, 'the daemon to exit and list its built-in modules');
      const builtins = readFileSync(builtinsFile, 'utf8').trim().split('\n');
      assert.ok(builtins.includes('http'), 'the list is the daemon\'s (it serves http)');
      assert.deepEqual(builtins.filter((m) => /undici|http2/.test(m)), [], 'neither undici nor http2 loaded');
      // nothing here hashes, encrypts or probes over https: node:crypto and node:https wait for their first use
      assert.deepEqual(builtins.filter((m) => /^(crypto|https|tls)$/.test(m)), [], 'crypto, https and tls not loaded by an idle daemon');
    });

    it('takes over a stale lock left by a dead engine and says so', () => {
      mkdirSync(join(t.dir, '.opsdeck/run'), { recursive: true });
      const dead = spawnSync(NODE, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
      writeFileSync(join(t.dir, '.opsdeck/run/engine.lock'), JSON.stringify({ pid: Number(dead), startedAt: 1, owner: 'daemon', version: '0' }));
      const up = cli(t.dir, 'up', '--detach');
      assert.equal(up.code, 0, up.stderr);
      const log = readFileSync(join(t.dir, '.opsdeck/logs/engine.log'), 'utf8');
      assert.match(log, new RegExp(`took over a stale lock left by pid ${dead} \\(daemon\\)`));
    });

    it('status --json and health exit codes follow the stack; --dry-run of start/stop/restart changes nothing', () => {
      assert.equal(cli(t.dir, 'up', '--detach').code, 0);
      const status = json(cli(t.dir, 'status', '--json'));
      assert.equal(status.running, true);
      assert.deepEqual(Object.keys(status).sort(), ['dir', 'engine', 'health', 'ipc', 'profile', 'running', 'services', 'stack']);
      const svc = (status.services as Record<string, unknown>[])[0]!;
      for (const key of ['name', 'tier', 'state', 'reason', 'pid', 'restarts', 'health', 'inProfile']) assert.ok(key in svc, key);
      assert.equal(cli(t.dir, 'health').code, 0);

      const before = pids(t.dir);
      for (const action of ['stop', 'restart']) {
        const r = cli(t.dir, action, 'storage', '--dry-run');
        assert.equal(r.code, 0);
        assert.match(r.stdout, /dry run, nothing changed/);
      }
      assert.deepEqual(pids(t.dir), before, 'same processes after the dry runs');

      assert.equal(cli(t.dir, 'stop', 'storage').code, 0);
      // storage stopped on request: UNKNOWN; api loses its upstream: WARNING; the stack: the worst.
      const h = cli(t.dir, 'health', '--json');
      assert.equal(h.code, 3);
      const levels = Object.fromEntries((json(h).services as { service: string; level: string }[]).map((x) => [x.service, x.level]));
      assert.deepEqual(levels, { storage: 'UNKNOWN', api: 'WARNING' });
    });

    it('profile use reconciles the running stack and is remembered by the next engine', async () => {
      assert.equal(cli(t.dir, 'up', '--detach').code, 0);
      const before = pids(t.dir);
      const dry = cli(t.dir, 'profile', 'use', 'minimal', '--dry-run');
      assert.equal(dry.stdout, 'plan (dry run, nothing changed):\n  1. stop api\n  2. restart storage\n');
      assert.deepEqual(pids(t.dir), before);
      const r = cli(t.dir, 'profile', 'use', 'minimal');
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!isAlive(before.api!), 'api stopped');
      const after = json(cli(t.dir, 'status', '--json'));
      assert.equal(after.profile, 'minimal');
      assert.notEqual(pids(t.dir).storage, before.storage, 'storage restarted: its environment changed');
      cli(t.dir, 'down');
      await until(() => !existsSync(join(t.dir, '.opsdeck/run/engine.lock')), 10_000, 'the engine to exit');
      assert.equal(cli(t.dir, 'up', '--detach').code, 0);
      assert.equal(json(cli(t.dir, 'status', '--json')).profile, 'minimal', 'remembered across engine restarts');
    });

    it('memory search finds what happened, through the engine and without one', async () => {
      assert.equal(cli(t.dir, 'up', '--detach').code, 0);
      process.kill(pids(t.dir).storage!, 'SIGKILL');
      const restarts = () => (json(cli(t.dir, 'status', '--json')).services as { name: string; restarts: number }[]).find((s) => s.name === 'storage')!.restarts;
      await until(() => restarts() === 1, 15_000, 'storage to restart');
      const r = cli(t.dir, 'memory', 'search', 'SIGKILL', '--service', 'storage', '--json');
      assert.equal(r.code, 0, r.stderr);
      const hits = json(r).hits as { kind: string; snippet: string; service: string }[];
      assert.ok(hits.length >= 1);
      assert.ok(hits.every((h) => h.service === 'storage'));
      assert.ok(hits.some((h) => /«SIGKILL»/.test(h.snippet)), JSON.stringify(hits));
      const text = cli(t.dir, 'memory', 'search', 'listening', '--kind', 'log');
      assert.match(text.stdout, /storage\s+log\s+.*«listening»/);
      cli(t.dir, 'down');
      await until(() => !existsSync(join(t.dir, '.opsdeck/run/engine.lock')), 10_000, 'the engine to exit');
      const offline = cli(t.dir, 'memory', 'search', 'crash*', '--kind', 'restart', '--json');
      assert.equal(offline.code, 0, offline.stderr);
      assert.ok((json(offline).hits as unknown[]).length >= 1, 'found without an engine');
      const bad = cli(t.dir, 'memory', 'search', 'crash OR');
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /^error: cannot search for "crash OR"/);
    });

    it('logs prints the captured lines (text and --json)', () => {
      assert.equal(cli(t.dir, 'up', '--detach').code, 0);
      const text = cli(t.dir, 'logs', 'storage', '-n', '50');
      assert.equal(text.code, 0);
      assert.match(text.stdout, /Z storage listening on \d+/);
      const lines = cli(t.dir, 'logs', 'storage', '--json').stdout.trim().split('\n').map((l) => JSON.parse(l) as { stream: string });
      assert.ok(lines.some((l) => l.stream === 'stdout'));
      assert.ok(lines.some((l) => l.stream === 'opsdeck'));
    });
  });
});
