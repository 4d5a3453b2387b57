/**
 * The doctor's parts that need no running service: error signatures, the log analysis of a
 * service log, OOM lines of the kernel log, /proc/net/tcp addresses, the Node version check,
 * config lint (liveness on an upstream, a port declared twice, a stateful service without a
 * backup) and the tar.gz writer (read back by the real `tar`).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { configChecks } from '../../src/core/doctor/config-lint';
import { doctorContext } from '../../src/core/doctor/context';
import { compareVersions, nodeVersion, permissions, REQUIRED_NODE, sqliteChecker } from '../../src/core/doctor/environment';
import { parseOomKills } from '../../src/core/doctor/kernel-oom';
import { analyseLines } from '../../src/core/doctor/log-analysis';
import { decodeAddress } from '../../src/core/doctor/port-owners';
import { errorSignature, isErrorLine } from '../../src/core/doctor/signature';
import { tarGz } from '../../src/core/doctor/tar-gz';
import type { LogLine } from '../../src/core/contract/logs';
import { tempStack } from '../helpers/stack';

describe('doctor: error signatures', () => {
  it('masks times, uuids, hex, addresses, paths and numbers, so one error is one signature', () => {
    const a = errorSignature('2024-05-01T10:00:00Z request 3f2a9c1e-1111-4222-8333-444455556666 failed at 0x7ffe12 on /var/lib/app/17.db after 3012ms from 10.1.2.3:5432');
    const b = errorSignature('2025-01-09T23:59:59Z request 0a0b0c0d-9999-4888-8777-666655554444 failed at 0x1 on /srv/x/2.db after 4ms from 192.168.0.1:80');
    assert.equal(a, '<time> request <uuid> failed at <hex> on <path> after <n>ms from <ip>');
    assert.equal(a, b);
    assert.equal(errorSignature('commit deadbeef00112233 rejected'), 'commit <hex> rejected');
  });

  it('tells error lines from others', () => {
    for (const l of ['Error: boom', 'FATAL: database system is shutting down', 'connect ECONNREFUSED 127.0.0.1:5432', 'Traceback (most recent call last):', 'request timed out']) assert.ok(isErrorLine(l), l);
    for (const l of ['listening on 8080', 'GET /health 200 3ms', 'EVENT loop lag 2ms']) assert.ok(!isErrorLine(l), l);
  });
});

describe('doctor: log analysis', () => {
  const line = (at: number, stream: LogLine['stream'], text: string): LogLine => ({ at, stream, line: text });

  it('counts signatures, crashes (not requested stops) and which signatures preceded a crash', () => {
    const a = analyseLines('api', [
      line(1, 'opsdeck', 'started pid 10: node a.js'),
      line(2, 'stderr', 'Error: disk full at /data/1'),
      line(3, 'stderr', 'Error: disk full at /data/2'),
      line(4, 'opsdeck', 'exited (killed by SIGKILL)'),
      line(5, 'opsdeck', 'started pid 11: node a.js'),
      line(6, 'stderr', 'Error: disk full at /data/3'),
      line(7, 'opsdeck', 'ready → stopping: requested'),
      line(8, 'opsdeck', 'exited (killed by SIGTERM)'),
      line(9, 'opsdeck', 'started pid 12: node a.js'),
      line(90_000, 'stdout', 'uncaught exception in worker 7'),
      line(200_000, 'opsdeck', 'exited (exit code 3)'),
    ]);
    assert.deepEqual(a.crashes, [
      { at: 4, pid: 10, cause: 'killed by SIGKILL' },
      { at: 200_000, pid: 12, cause: 'exit code 3' },
    ]);
    assert.deepEqual(
      a.signatures.map((s) => [s.signature, s.count, s.firstSeen, s.lastSeen, s.crashesPreceded]),
      [
        ['Error: disk full at <path>', 3, 2, 6, 1],
        // more than a minute before the crash: not counted as its cause
        ['uncaught exception in worker <n>', 1, 90_000, 90_000, 0],
      ],
    );
    assert.equal(a.errorLines, 4);
  });

  it('reads OOM kills from kernel log lines', () => {
    const killed = parseOomKills(
      '[ 12.3] Out of memory: Killed process 4242 (node) total-vm:1000kB\n[ 13.0] oom-kill:constraint=CONSTRAINT_NONE,task=redis,pid=777,uid=0\n[ 14] eth0: link up\n',
    );
    assert.deepEqual([...killed.keys()], [4242, 777]);
  });
});

describe('doctor: environment', () => {
  it('REQUIRED_NODE is package.json\'s engines.node', () => {
    const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { engines: { node: string } };
    assert.equal(pkg.engines.node, `>=${REQUIRED_NODE.replace(/\.0$/, '')}`);
  });

  it('compares versions and fails an older Node with the fix', () => {
    assert.ok(compareVersions('20.19.0', '20.9.1') > 0);
    assert.equal(compareVersions('22.0', '22.0.0'), 0);
    const old = nodeVersion('18.20.1');
    assert.equal(old.status, 'fail');
    assert.match(old.found, /older than the 20\.19\.0 Opsdeck needs/);
    assert.equal(nodeVersion(process.versions.node).status, 'ok');
  });

  it('env.sqlite3: the real sqlite3 and its version; the WebAssembly when off or not installed; a sqlite3 that does not run is a warning', () => {
    const path = process.env.PATH ?? '';
    const native = sqliteChecker({ PATH: path });
    assert.equal(native.status, 'ok');
    assert.match(native.found, /^by sqlite3 3\.\d+\.\d+ \(\/.*sqlite3\)/, 'Debian’s sqlite3, installed by the test setup');
    assert.match(sqliteChecker({ PATH: path, OPSDECK_SQLITE3: 'off' }).found, /WebAssembly \(OPSDECK_SQLITE3=off\)/);
    const none = sqliteChecker({ PATH: '/nonexistent' });
    assert.deepEqual([none.status, none.data], ['ok', { program: null }]);
    assert.match(none.found, /no sqlite3 on the PATH/);
    const broken = sqliteChecker({ PATH: path, OPSDECK_SQLITE3: '/bin/false' });
    assert.equal(broken.status, 'warn');
    assert.match(broken.found, /^\/bin\/false does not run/);
    assert.match(broken.fix!.text, /OPSDECK_SQLITE3=off/);
  });

  it('permissions: an open backup repository is a warning, open logs a failure', () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsdeck-perm-'));
    try {
      mkdirSync(join(dir, '.opsdeck', 'logs'), { recursive: true, mode: 0o700 });
      mkdirSync(join(dir, '.opsdeck', 'backups', 'data'), { recursive: true });
      chmodSync(join(dir, '.opsdeck'), 0o700);
      chmodSync(join(dir, '.opsdeck', 'logs'), 0o700);
      chmodSync(join(dir, '.opsdeck', 'backups'), 0o755);
      chmodSync(join(dir, '.opsdeck', 'backups', 'data'), 0o755);
      const loose = permissions(dir);
      assert.equal(loose.status, 'warn');
      assert.equal(loose.found, 'readable by others: .opsdeck/backups (755), .opsdeck/backups/data (755)');
      chmodSync(join(dir, '.opsdeck', 'logs'), 0o750);
      assert.equal(permissions(dir).status, 'fail');
      chmodSync(join(dir, '.opsdeck', 'logs'), 0o700);
      chmodSync(join(dir, '.opsdeck', 'backups'), 0o700);
      chmodSync(join(dir, '.opsdeck', 'backups', 'data'), 0o700);
      assert.equal(permissions(dir).status, 'ok');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('decodes /proc/net/tcp addresses', () => {
    assert.equal(decodeAddress('0100007F'), '127.0.0.1');
    assert.equal(decodeAddress('00000000'), '0.0.0.0');
    assert.equal(decodeAddress('00000000000000000000000001000000'), '::1');
    assert.equal(decodeAddress('0000000000000000FFFF00000100007F'), '127.0.0.1');
  });
});

describe('doctor: config lint', () => {
  it('a liveness probe on an upstream, a port declared twice, a stateful service without a backup, no readiness: each at its line', () => {
    const t = tempStack(`version: 1
name: lint
services:
  db:
    tier: storage
    command: [sleep, '1000']
    health:
      readiness: { tcp: { port: 45123 } }
  api:
    command: [sleep, '1000']
    depends_on: [db]
    health:
      readiness: { http: { url: "http://127.0.0.1:45124/ready" } }
      liveness: { exec: [sh, -c, "nc -z 127.0.0.1 45123"] }
  twin:
    command: [sleep, '1000']
    health:
      readiness: { tcp: { port: 45124 } }
  worker:
    command: [sleep, '1000']
`);
    try {
      const checks = configChecks(doctorContext(t.stack), []);
      const get = (id: string, service: string) => checks.find((c) => c.id === id && c.service === service)!;
      const live = get('config.liveness', 'api');
      assert.equal(live.status, 'warn');
      assert.match(live.found, /depends on db: an outage there restarts api for nothing/);
      assert.deepEqual(live.at, { path: 'services.api.health.liveness', line: 14, column: 7 });
      const twice = get('config.ports.twice', 'twin');
      assert.equal(twice.status, 'fail');
      assert.equal(twice.found, 'port 45124 is declared by api and twin');
      assert.equal(twice.at?.line, 18);
      const backup = get('config.backup', 'db');
      assert.equal(backup.status, 'warn');
      assert.equal(backup.at?.line, 4);
      assert.equal(get('config.readiness', 'worker').status, 'warn');
      assert.equal(get('config.readiness', 'db').status, 'ok');
      assert.equal(get('config.liveness', 'db').status, 'ok');
    } finally {
      t.cleanup();
    }
  });
});

describe('doctor: tar.gz writer', () => {
  it('writes an archive the real tar lists and extracts byte for byte', () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsdeck-tar-'));
    try {
      const big = Buffer.alloc(70_000, 'x');
      const file = join(dir, 'a.tar.gz');
      writeFileSync(file, tarGz([{ name: 'MANIFEST.txt', data: Buffer.from('hello\n') }, { name: 'logs/api.log', data: big }, { name: 'empty', data: Buffer.alloc(0) }]));
      const list = spawnSync('tar', ['-tvzf', file], { encoding: 'utf8' });
      assert.equal(list.status, 0, list.stderr);
      assert.deepEqual(list.stdout.trim().split('\n').map((l) => l.split(/\s+/).pop()), ['MANIFEST.txt', 'logs/api.log', 'empty']);
      const out = spawnSync('tar', ['-xzOf', file, 'logs/api.log']);
      assert.ok(Buffer.compare(out.stdout, big) === 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
