/**
 * `opsdeck doctor` on real stacks: a broken one (a port taken by another process, an https
 * server with an expired certificate made by openssl, a host name under .invalid, .opsdeck/
 * readable by others, a stale lock, a log with repeated errors and a crash), a running one (its
 * connections, the API routes, a V8 CPU profile of a Node service), and the CLI (✓ ! ✗ lines,
 * exit codes, --json, the support bundle, bad input).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serveApi, type ApiServer } from '../../src/core/api/server';
import { ApiClient } from '../../src/core/client/api-client';
import { doctorReportSchema, profileReportSchema } from '../../src/core/contract/schemas/doctor';
import type { DoctorCheck, DoctorReport } from '../../src/core/contract/doctor';
import { runDoctor } from '../../src/core/doctor/run-doctor';
import { listeningPortsOf, listeningSockets } from '../../src/core/doctor/port-owners';
import { profileService } from '../../src/core/doctor/profile/run-profile';
import { Engine } from '../../src/core/engine';
import { OpsError } from '../../src/core/errors';
import { socketPath } from '../../src/core/stack-lock';
import { buildBundles, cli } from '../helpers/built-cli';
import { copyExample, requireServerPackages, type ExampleCopy } from '../helpers/servers';
import { freePort, freePorts, NODE, tempStack, until, type TempStack } from '../helpers/stack';

/** A stack of one Node service, `busy`: an http server on `port` and a named function that keeps it busy. */
function busyStack(name: string, port: number): TempStack {
  const t = tempStack({
    version: 1,
    name,
    services: {
      busy: {
        command: [NODE, 'busy.cjs'],
        env: { PORT: String(port) },
        health: { readiness: { http: { url: `http://127.0.0.1:${port}/health` }, interval: '1s' } },
      },
    },
  });
  writeFileSync(
    join(t.dir, 'busy.cjs'),
    `function spinTheWheelsForProfile() { let x = 0; for (let i = 0; i < 3e5; i++) x += Math.sqrt(i); return x; }
require('http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');
setInterval(spinTheWheelsForProfile, 2);\n`,
  );
  return t;
}

const find = (r: DoctorReport, id: string, service?: string): DoctorCheck => {
  const c = r.checks.find((x) => x.id === id && (service === undefined || x.service === service));
  assert.ok(c, `no check ${id}${service ? ` of ${service}` : ''} in ${JSON.stringify(r.checks.map((x) => [x.id, x.service]))}`);
  return c;
};

/** Something listens on 127.0.0.1:`port` (a line of /proc/net/tcp in state LISTEN). */
const listening = (port: number) => listeningSockets().some((s) => s.port === port);

/** A self-signed certificate valid only in January 2020, made with `openssl ca` (OpenSSL 3.0 has no -not_after). */
function expiredCertificate(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const run = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, `openssl ${args[0]}: ${r.stderr}`);
  };
  run(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'req.csr', '-subj', '/CN=localhost']);
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '01\n');
  writeFileSync(join(dir, 'ca.cnf'), '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n');
  run(['ca', '-batch', '-config', 'ca.cnf', '-selfsign', '-keyfile', 'key.pem', '-in', 'req.csr', '-out', 'cert.pem', '-startdate', '20200101000000Z', '-enddate', '20200201000000Z']);
}

/** A line of a service log as the engine writes it. */
const logLine = (at: number, stream: string, text: string) => `${new Date(at).toISOString()} ${stream.padEnd(6)} ${text}\n`;

describe('opsdeck doctor on a broken stack (real processes, openssl, DNS, files)', function () {
  this.timeout(60_000);
  let t: TempStack;
  let squatter: ChildProcess;
  let https: ChildProcess;
  let report: DoctorReport;
  let ports: { taken: number; tls: number; api: number };

  before(async () => {
    const [taken, tls, api] = (await freePorts(3)) as [number, number, number];
    ports = { taken, tls, api };
    const idle = [NODE, '-e', 'setInterval(() => {}, 1000)'];
    t = tempStack({
      version: 1,
      name: 'doctor-broken',
      services: {
        web: { command: idle, health: { readiness: { http: { url: `http://127.0.0.1:${ports.taken}/health` } } } },
        secure: { command: idle, health: { readiness: { http: { url: `https://127.0.0.1:${ports.tls}/` } } } },
        remote: { command: idle, env: { DB_PASSWORD: 'hunter2-secret' }, health: { readiness: { tcp: { host: 'doctor-test.invalid', port: 5432 } } } },
        api: { command: idle, health: { readiness: { tcp: { port: ports.api } } } },
      },
    });
    // Another process on web's port, with a command line the doctor must name.
    squatter = spawn(NODE, ['-e', `require('net').createServer().listen(${ports.taken}, '127.0.0.1'); setInterval(() => {}, 1000)`, 'squatter-marker'], { stdio: 'ignore' });
    await until(() => listening(ports.taken), 10_000, 'the squatter listens');
    // An https server whose certificate expired in 2020, in a process of its own (the CLI tests
    // block this one while the CLI runs).
    expiredCertificate(join(t.dir, 'tls'));
    https = spawn(NODE, ['-e', `const fs = require('fs'); require('https').createServer({ key: fs.readFileSync('key.pem'), cert: fs.readFileSync('cert.pem') }, (q, s) => s.end('ok')).listen(${ports.tls}, '127.0.0.1')`], { cwd: join(t.dir, 'tls'), stdio: 'ignore' });
    await until(() => listening(ports.tls), 10_000, 'the https server listens');
    // .opsdeck/ readable by others, a lock left by a dead engine, and api's log: errors and a crash.
    const logs = join(t.dir, '.opsdeck', 'logs');
    mkdirSync(join(t.dir, '.opsdeck', 'run'), { recursive: true });
    mkdirSync(logs, { recursive: true });
    chmodSync(join(t.dir, '.opsdeck'), 0o755);
    writeFileSync(join(t.dir, '.opsdeck', 'run', 'engine.lock'), JSON.stringify({ pid: 2 ** 22 + 7, startedAt: Date.now() - 60_000, owner: 'up', version: 'test' }));
    const t0 = Date.now() - 10 * 60_000;
    writeFileSync(
      join(logs, 'api.log'),
      [
        logLine(t0, 'opsdeck', 'started pid 4242: node api.js'),
        logLine(t0 + 1000, 'stdout', 'listening on 8080'),
        logLine(t0 + 2000, 'stderr', 'Error: connection to 10.0.0.5:5432 failed after 3012ms (attempt 1)'),
        logLine(t0 + 3000, 'stderr', 'Error: connection to 10.0.0.7:5432 failed after 95ms (attempt 2)'),
        logLine(t0 + 4000, 'stderr', 'failed to read /srv/data/17/a.db: ENOENT'),
        logLine(t0 + 5000, 'stderr', 'Error: connection to 10.0.0.9:5432 failed after 4400ms (attempt 3)'),
        logLine(t0 + 6000, 'opsdeck', 'exited (exit code 1)'),
        logLine(t0 + 7000, 'opsdeck', 'backoff → starting: restart 1'),
        logLine(t0 + 8000, 'opsdeck', 'started pid 4250: node api.js'),
        logLine(t0 + 9000, 'stderr', 'failed to read /srv/data/23/b.db: ENOENT'),
        logLine(t0 + 10_000, 'opsdeck', 'ready → stopping: requested'),
        logLine(t0 + 11_000, 'opsdeck', 'exited (killed by SIGTERM)'),
      ].join(''),
    );
    report = await runDoctor(t.stack);
  });

  after(async () => {
    squatter?.kill('SIGKILL');
    https?.kill('SIGKILL');
    t?.cleanup();
  });

  it('names the process that holds a service\'s port (pid and command line), at the line of opsdeck.yaml', () => {
    const c = find(report, 'config.ports.taken', 'web');
    assert.equal(c.status, 'fail');
    assert.match(c.found, new RegExp(`port ${ports.taken} is taken by pid ${squatter.pid} \\(.*squatter-marker\\)`));
    assert.equal(c.fix?.command, `kill ${squatter.pid}`);
    assert.equal(c.at?.path, 'services.web.health.readiness');
    const yaml = readFileSync(t.stack.file, 'utf8').split('\n');
    assert.match(yaml[c.at!.line - 1]!, /readiness:/);
  });

  it('finds an expired TLS certificate (and the http probe fails on it)', () => {
    const c = find(report, 'conn.tls', 'secure');
    assert.equal(c.status, 'fail');
    assert.match(c.found, /expired on 2020-02-01T00:00:00/);
    assert.equal(c.data?.subject, 'localhost');
    const http = find(report, 'conn.http', 'secure');
    assert.equal(http.status, 'fail');
    assert.match(http.found, /CERT_HAS_EXPIRED/);
  });

  it('reports a host name that does not resolve, and tests nothing further there', () => {
    const c = find(report, 'conn.dns', 'remote');
    assert.equal(c.status, 'fail');
    assert.match(c.found, /doctor-test\.invalid does not resolve \((ENOTFOUND|EAI_AGAIN)\)/);
    assert.equal(report.checks.filter((x) => x.id === 'conn.tcp' && x.service === 'remote').length, 0);
  });

  it('finds .opsdeck/ readable by others and a lock left by a dead engine', () => {
    const perms = find(report, 'env.permissions');
    assert.equal(perms.status, 'fail');
    assert.match(perms.found, /\.opsdeck \(755\)/);
    assert.match(perms.fix?.command ?? '', /^chmod -R go-rwx /);
    const stale = find(report, 'env.stale');
    assert.equal(stale.status, 'warn');
    assert.match(stale.found, new RegExp(`engine.lock of pid ${2 ** 22 + 7}, which is gone`));
  });

  it('groups repeated errors by signature (numbers, addresses and paths masked), counts them and the crash they preceded', () => {
    const errors = find(report, 'logs.errors', 'api');
    assert.equal(errors.status, 'warn');
    const sigs = errors.data?.signatures as { signature: string; count: number; crashesPreceded: number; firstSeen: number; lastSeen: number }[];
    assert.deepEqual(
      sigs.map((s) => [s.signature, s.count, s.crashesPreceded]),
      [
        ['Error: connection to <ip> failed after <n>ms (attempt <n>)', 3, 1],
        ['failed to read <path>: ENOENT', 2, 1],
      ],
    );
    assert.ok(sigs[0]!.lastSeen - sigs[0]!.firstSeen === 3000, 'first and last seen are the lines\' times');
    const crashes = find(report, 'logs.crashes', 'api');
    assert.equal(crashes.status, 'warn');
    assert.match(crashes.found, /^1 crash: exit code 1 ×1; before them: "Error: connection to <ip>/);
    assert.deepEqual((crashes.data?.crashes as { pid: number; cause: string }[]).map((c) => [c.pid, c.cause]), [[4242, 'exit code 1']]);
  });

  it('a stack without problems in a service says ok, and the summary counts every check', () => {
    assert.equal(find(report, 'config.ports.taken', 'api').status, 'ok');
    assert.equal(find(report, 'env.node').status, 'ok');
    const counted = report.summary.ok + report.summary.warn + report.summary.fail;
    assert.equal(counted, report.checks.length);
    assert.ok(report.summary.fail >= 5);
    doctorReportSchema.parse(report);
  });

  it('only the services named; an unknown one is SERVICE_UNKNOWN with a hint', async () => {
    const one = await runDoctor(t.stack, { services: ['api'] });
    assert.deepEqual(one.services, ['api']);
    assert.ok(one.checks.every((c) => c.service === undefined || c.service === 'api'));
    await assert.rejects(runDoctor(t.stack, { services: ['apii'] }), (e: unknown) => e instanceof OpsError && e.code === 'SERVICE_UNKNOWN' && /api/.test(e.hint ?? ''));
  });

  describe('the CLI (built)', function () {
    this.timeout(120_000);
    before(() => buildBundles());

    it('prints ✓ ! ✗ lines with fixes and exits 1 when a check fails', () => {
      const r = cli(t.dir, 'doctor');
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, new RegExp(`✗ web: Port ${ports.taken} is free for web — port ${ports.taken} is taken by pid ${squatter.pid}`));
      assert.match(r.stdout, /✗ secure: TLS certificate of 127\.0\.0\.1:\d+ — the certificate expired/);
      assert.match(r.stdout, /! api: Errors in the log/);
      assert.match(r.stdout, /✓ Node\.js version/);
      assert.match(r.stdout, /\n {6}\$ chmod -R go-rwx /);
      assert.match(r.stdout, /\d+ ok, \d+ warnings, \d+ failures\n$/);
    });

    it('--json prints the report in the documented shape; --verbose prints the data', () => {
      const r = cli(t.dir, 'doctor', 'api', '--json');
      const parsed = doctorReportSchema.parse(JSON.parse(r.stdout));
      assert.deepEqual(parsed.services, ['api']);
      assert.equal(r.code, 1, 'the environment checks fail (permissions)');
      const v = cli(t.dir, 'doctor', 'api', '--verbose');
      assert.match(v.stdout, /"crashesPreceded": 1/);
    });

    it('--bundle writes a redacted .tar.gz and lists what it holds', () => {
      const file = join(t.dir, 'support.tar.gz');
      const r = cli(t.dir, 'doctor', '--bundle', file);
      assert.match(r.stdout, /support bundle written to .*support\.tar\.gz/);
      const listed = spawnSync('tar', ['-tzf', file], { encoding: 'utf8' });
      assert.equal(listed.status, 0, listed.stderr);
      assert.deepEqual(listed.stdout.trim().split('\n').sort(), ['MANIFEST.txt', 'doctor.json', 'events.json', 'logs/api.log', 'opsdeck.yaml', 'status.json', 'versions.json']);
      for (const name of ['MANIFEST.txt', 'logs/api.log', 'opsdeck.yaml']) assert.match(r.stdout, new RegExp(`  ${name.replace('.', '\\.')}  `));
      const yaml = spawnSync('tar', ['-xzOf', file, 'opsdeck.yaml'], { encoding: 'utf8' }).stdout;
      assert.match(yaml, /DB_PASSWORD: \*\*\*/);
      assert.ok(!yaml.includes('hunter2-secret'), 'the secret is not in the bundle');
      doctorReportSchema.parse(JSON.parse(spawnSync('tar', ['-xzOf', file, 'doctor.json'], { encoding: 'utf8' }).stdout));
    });

    it('bad input: an unknown service, a bad --window, a bundle that is not .tar.gz: clear errors, exit 1, nothing written', () => {
      const unknown = cli(t.dir, 'doctor', 'nope');
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no service named "nope" in stack doctor-broken/);
      const json = cli(t.dir, 'doctor', 'nope', '--json');
      assert.equal(JSON.parse(json.stdout).error.code, 'SERVICE_UNKNOWN');
      const win = cli(t.dir, 'doctor', '--window', 'soon');
      assert.equal(win.code, 1);
      assert.match(win.stderr, /--window soon: not a duration/);
      const zip = cli(t.dir, 'doctor', '--bundle', 'out.zip');
      assert.equal(zip.code, 1);
      assert.match(zip.stderr, /a support bundle is a \.tar\.gz/);
      assert.ok(!existsSync(join(t.dir, 'out.zip')));
      const profile = cli(t.dir, 'doctor', 'profile', 'web', '--duration', '1s', '--json');
      assert.equal(profile.code, 1);
      assert.equal(JSON.parse(profile.stdout).error.code, 'BAD_REQUEST');
      assert.match(JSON.parse(profile.stdout).error.message, /service web is not running/);
    });
  });
});

describe('opsdeck doctor on a running stack: connections, the API, a V8 CPU profile (real engine)', function () {
  this.timeout(60_000);
  let t: TempStack;
  let engine: Engine;
  let server: ApiServer;
  let client: ApiClient;
  let port: number;

  before(async () => {
    port = await freePort();
    t = busyStack('doctor-running', port);
    engine = new Engine(t.stack);
    engine.supervisor.up();
    await engine.supervisor.waitSettled();
    server = await serveApi(engine, socketPath(t.dir));
    client = new ApiClient(socketPath(t.dir));
  });

  after(async () => {
    await server?.close();
    await engine?.dispose();
    t?.cleanup();
  });

  it('the service\'s own port is ok, and its connection answers', async () => {
    const r = await runDoctor(t.stack);
    assert.equal(find(r, 'config.ports.taken', 'busy').found, 'busy listens on it');
    assert.equal(find(r, 'conn.tcp', 'busy').status, 'ok');
    const http = find(r, 'conn.http', 'busy');
    assert.equal(http.status, 'ok');
    assert.match(http.found, /^answered as expected in [\d.]+ms$/);
  });

  it('GET /v1/doctor answers the report; an unknown service is a 404 SERVICE_UNKNOWN', async () => {
    const r = await client.doctor(['busy']);
    doctorReportSchema.parse(r);
    assert.deepEqual(r.services, ['busy']);
    assert.equal(find(r, 'conn.http', 'busy').status, 'ok');
    await assert.rejects(client.doctor(['nope']), (e: unknown) => e instanceof OpsError && e.code === 'SERVICE_UNKNOWN');
  });

  it('POST /v1/doctor/profile: the tree sampled and a valid .cpuprofile with the service\'s own function', async () => {
    const r = await client.profileService('busy', { duration: '1500ms' });
    profileReportSchema.parse(r);
    const pid = engine.supervisor.service('busy').pid;
    assert.equal(r.pid, pid);
    const own = r.processes.find((p) => p.pid === pid);
    assert.ok(own, 'the service process is in the samples');
    assert.ok(own.samples > 5 && own.rssMaxMb > 5 && own.threadsMax >= 1 && (own.fdsMax ?? 0) > 2, JSON.stringify(own));
    assert.ok(r.cpuProfile, r.cpuProfileSkipped);
    const profile = JSON.parse(readFileSync(r.cpuProfile.file, 'utf8')) as { nodes: { callFrame: { functionName: string; url: string } }[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };
    assert.ok(profile.endTime > profile.startTime && profile.samples.length === profile.timeDeltas.length && profile.samples.length > 0);
    assert.ok(profile.nodes.some((n) => n.callFrame.functionName === 'spinTheWheelsForProfile' && n.callFrame.url.endsWith('busy.cjs')));
    assert.ok(r.cpuProfile.topFunctions.some((f) => f.name === 'spinTheWheelsForProfile' && f.selfMs > 0), JSON.stringify(r.cpuProfile.topFunctions));
    assert.ok(r.cpuProfile.topFunctions.every((f) => f.name !== '(idle)'), 'idle time is not a function');
    // The inspector SIGUSR1 opened is closed again: the service listens on its own port alone.
    await until(() => listeningPortsOf(pid!).join() === String(port), 5000, 'the inspector closed');
  });

  it('profiling: bad input is refused before anything is sampled', async () => {
    await assert.rejects(client.profileService('nope', { duration: '1s' }), (e: unknown) => e instanceof OpsError && e.code === 'SERVICE_UNKNOWN');
    await assert.rejects(client.profileService('busy', { duration: 'forever' }), (e: unknown) => e instanceof OpsError && e.code === 'BAD_REQUEST' && /between 100ms and 10m/.test(JSON.stringify(e.details ?? e.message)));
    await assert.rejects(profileService(t.stack, 'busy', { durationMs: 200, cpuProfile: false }).then((r) => {
      assert.equal(r.cpuProfileSkipped, 'not asked for');
      throw new OpsError('BAD_REQUEST', 'done');
    }), /done/);
  });
});

describe('opsdeck doctor on examples/real-servers: pg_isready and Redis PING against the real servers', function () {
  this.timeout(60_000);
  let copy: ExampleCopy | undefined;
  let engine: Engine | undefined;

  before(async () => {
    requireServerPackages();
    copy = await copyExample('real-servers', { ports: [55432, 56379, 58080], mode: 0o755 });
    engine = new Engine(copy.stack);
    engine.supervisor.up();
    const settled = await engine.supervisor.waitSettled(30_000);
    assert.deepEqual(settled.filter((s) => s.name !== 'pg-init').map((s) => [s.name, s.state]), [['postgres', 'ready'], ['redis', 'ready'], ['nginx', 'ready']]);
  });

  after(async () => {
    try {
      await engine?.dispose();
    } finally {
      copy?.cleanup();
    }
  });

  it('PostgreSQL accepts connections, Redis answers PONG, nginx answers its probe; their ports are their own', async () => {
    const r = await runDoctor(copy!.stack);
    const pg = find(r, 'conn.postgres', 'postgres');
    assert.equal(pg.status, 'ok', pg.found);
    assert.match(pg.found, new RegExp(`127\\.0\\.0\\.1:${copy!.ports.get(55432)}: accepting connections`));
    const redis = find(r, 'conn.redis', 'redis');
    assert.equal(redis.status, 'ok', redis.found);
    assert.match(redis.found, /PONG in [\d.]+ms/);
    assert.equal(find(r, 'conn.http', 'nginx').status, 'ok');
    for (const s of ['postgres', 'redis', 'nginx']) assert.equal(find(r, 'config.ports.taken', s).status, 'ok', s);
  });

  it('a stopped Redis: the connection is refused and the doctor says to start it', async () => {
    await engine!.down(['nginx', 'redis']);
    const r = await runDoctor(copy!.stack, { services: ['redis'] });
    const tcp = find(r, 'conn.tcp', 'redis');
    assert.equal(tcp.status, 'warn');
    assert.match(tcp.found, /ECONNREFUSED\): the service is not running/);
    assert.equal(tcp.fix?.command, 'opsdeck up redis');
  });
});

describe('the daemon (built, up --detach) answers the doctor and profiles a Node service', function () {
  this.timeout(120_000);
  let t: TempStack;

  before(async () => {
    buildBundles();
    t = busyStack('doctor-daemon', await freePort());
    const up = cli(t.dir, 'up', '--detach');
    assert.equal(up.code, 0, up.stderr);
  });

  after(() => {
    if (t) cli(t.dir, 'down');
    t?.cleanup();
  });

  it('GET /v1/doctor and POST /v1/doctor/profile through the daemon\'s socket; the CLI profile prints the top function', async () => {
    const client = new ApiClient(socketPath(t.dir));
    await until(async () => (await client.status()).services[0]?.state === 'ready', 30_000, 'busy ready');
    const report = await client.doctor();
    assert.equal(find(report, 'env.stale').found.includes('owns the lock and serves the socket'), true);
    assert.equal(find(report, 'conn.http', 'busy').status, 'ok');
    const profile = await client.profileService('busy', { duration: '1s' });
    assert.ok(profile.cpuProfile, profile.cpuProfileSkipped);
    assert.ok(readFileSync(profile.cpuProfile.file, 'utf8').includes('"spinTheWheelsForProfile"'));
    const out = cli(t.dir, 'doctor', 'profile', 'busy', '--duration', '1s', '--out', join(t.dir, 'cli.cpuprofile'));
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^busy \(pid \d+\): \d+ samples every 50ms over 1s/);
    assert.match(out.stdout, /CPU profile: cli\.cpuprofile \(open it in VS Code\)/);
    assert.match(out.stdout, /spinTheWheelsForProfile +file:\/\/.*busy\.cjs:1/);
    JSON.parse(readFileSync(join(t.dir, 'cli.cpuprofile'), 'utf8'));
  });
});
