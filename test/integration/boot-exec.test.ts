/**
 * `opsdeck exec`, the wrapper of native boot units, against real processes (the built CLI): it
 * waits for a real HTTP server to pass the service's readiness probe before running the command,
 * honours --delay and --timeout, passes SIGTERM on, exits with the command's code (or dies of its
 * signal), records `--name` for others' `:started`, and refuses bad input.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { buildBundles, cli } from '../helpers/built-cli';
import { freePort, NODE, tempStack, until, type TempStack } from '../helpers/stack';

const CLI = resolve(import.meta.dirname, '../../dist/cli.js');

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** `opsdeck --stack DIR exec …args` running; `ended` resolves when it exits. */
function exec(dir: string, ...args: string[]): { child: ChildProcess; ended: Promise<Ended> } {
  const child = spawn(NODE, [CLI, '--stack', dir, 'exec', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const ended = new Promise<Ended>((r) => child.once('exit', (code, signal) => r({ code, signal, stderr })));
  return { child, ended };
}

/** A node one-liner that writes `file` when it starts. */
const writesWhenRun = (file: string, then = 'process.exit(3)') => [NODE, '-e', `require('fs').writeFileSync(${JSON.stringify(file)}, String(Date.now())); ${then}`];

describe('opsdeck exec (built CLI, real processes)', function () {
  this.timeout(60_000);
  let t: TempStack;
  let port: number;
  let server: Server | undefined;
  before(() => buildBundles());
  beforeEach(async () => {
    port = await freePort();
    t = tempStack({
      version: 1,
      name: 'wrap',
      services: {
        web: { tier: 'storage', command: ['node', '-v'], health: { readiness: { http: { url: `http://127.0.0.1:${port}/ready` }, timeout: '500ms' } } },
        worker: { command: ['node', '-v'], depends_on: { web: 'started' } },
      },
    });
  });
  afterEach(async () => {
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
    t.cleanup();
  });

  it('runs the command only once the dependency\'s readiness probe passes, and exits with its code', async () => {
    const ran = join(t.dir, 'ran');
    const { ended } = exec(t.dir, '--wait-for', 'web:healthy', '--timeout', '30s', '--', ...writesWhenRun(ran));
    // Probes fail while nothing listens: the command must not have run. (Long enough for more
    // than 10 rounds of checks: each used to leave a listener on the abort signal.)
    await new Promise((r) => setTimeout(r, 3500));
    assert.equal(existsSync(ran), false, 'ran before the service was ready');
    let answered = 0;
    server = createServer((_q, s) => {
      answered++;
      s.end('ok');
    }).listen(port, '127.0.0.1');
    const r = await ended;
    assert.equal(r.code, 3, r.stderr);
    assert.ok(existsSync(ran));
    assert.ok(answered >= 1, 'the readiness probe went to the server');
    assert.match(r.stderr, /web is healthy/);
    assert.doesNotMatch(r.stderr, /MaxListenersExceededWarning/);
  });

  it('gives up at --timeout, runs nothing, and says which service was not ready', async () => {
    const ran = join(t.dir, 'ran');
    const r = await exec(t.dir, '--wait-for', 'web:healthy', '--timeout', '1s', '--', ...writesWhenRun(ran)).ended;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not ready: web:healthy \(ECONNREFUSED\)/);
    assert.equal(existsSync(ran), false);
  });

  it('waits --delay before running the command', async () => {
    const ran = join(t.dir, 'ran');
    const started = Date.now();
    const r = await exec(t.dir, '--delay', '1500ms', '--', ...writesWhenRun(ran, 'process.exit(0)')).ended;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Number(readFileSync(ran, 'utf8')) - started >= 1500, 'the command ran before the delay was over');
  });

  it('passes SIGTERM on to the command and exits with the command\'s code', async () => {
    const ready = join(t.dir, 'ready');
    const got = join(t.dir, 'got');
    const script = `const fs = require('fs'); process.on('SIGTERM', () => { fs.writeFileSync(${JSON.stringify(got)}, 'SIGTERM'); process.exit(7); }); fs.writeFileSync(${JSON.stringify(ready)}, '1'); setInterval(() => {}, 1000);`;
    const { child, ended } = exec(t.dir, '--', NODE, '-e', script);
    await until(() => existsSync(ready), 10_000, 'the command to start');
    child.kill('SIGTERM');
    const r = await ended;
    assert.equal(r.code, 7);
    assert.equal(readFileSync(got, 'utf8'), 'SIGTERM');
  });

  it('dies of the signal that killed the command', async () => {
    const r = await exec(t.dir, '--', NODE, '-e', "process.kill(process.pid, 'SIGKILL')").ended;
    assert.equal(r.signal, 'SIGKILL');
  });

  it('--name records the running command for another\'s --wait-for NAME:started', async () => {
    const ready = join(t.dir, 'web-up');
    const web = exec(t.dir, '--name', 'web', '--', NODE, '-e', `require('fs').writeFileSync(${JSON.stringify(ready)}, '1'); setInterval(() => {}, 1000)`);
    await until(() => existsSync(ready), 10_000, 'web to start');
    const r = await exec(t.dir, '--wait-for', 'web:started', '--timeout', '10s', '--', NODE, '-e', 'process.exit(0)').ended;
    assert.equal(r.code, 0, r.stderr);
    web.child.kill('SIGTERM');
    await web.ended;
    const after = await exec(t.dir, '--wait-for', 'web:started', '--timeout', '500ms', '--', NODE, '-e', 'process.exit(0)').ended;
    assert.equal(after.code, 1, 'a stopped service is not started');
    assert.match(after.stderr, /not ready: web:started/);
  });

  it('refuses an unknown service, an unknown condition and a command that does not exist', () => {
    const unknown = cli(t.dir, 'exec', '--wait-for', 'wbe:healthy', '--', 'true');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no service named "wbe"/);
    assert.match(unknown.stderr, /hint: .*web/);
    const cond = cli(t.dir, 'exec', '--wait-for', 'web:ready', '--', 'true');
    assert.equal(cond.code, 1);
    assert.match(cond.stderr, /"web:ready" is not SERVICE:healthy, SERVICE:started or SERVICE:completed/);
    const missing = cli(t.dir, 'exec', '--', '/no/such/program');
    assert.equal(missing.code, 127);
    assert.match(missing.stderr, /cannot run \/no\/such\/program/);
    const delay = cli(t.dir, 'exec', '--delay', 'soon', '--', 'true');
    assert.equal(delay.code, 1);
    assert.match(delay.stderr, /"soon" is not a duration/);
  });
});
