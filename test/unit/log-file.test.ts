import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogFile } from '../../src/core/supervisor/log-file';

describe('service log files (real files)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'opsdeck-log-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('timestamps every line and tags its stream', () => {
    const log = new LogFile(join(dir, 'logs', 'api.log'), { maxBytes: 1e6, keep: 2 }, () => Date.UTC(2026, 10, 26, 12, 0, 0, 5));
    log.write('stdout', 'hello');
    log.write('stderr', 'oops');
    log.close();
    assert.equal(
      readFileSync(join(dir, 'logs', 'api.log'), 'utf8'),
      '2026-11-26T12:00:00.005Z stdout hello\n2026-11-26T12:00:00.005Z stderr oops\n',
    );
  });

  it('rotates by size and keeps only `keep` old files', () => {
    const path = join(dir, 'svc.log');
    const log = new LogFile(path, { maxBytes: 1000, keep: 2 });
    for (let i = 0; i < 100; i++) log.write('stdout', `line ${i} ${'x'.repeat(40)}`);
    log.close();
    assert.ok(existsSync(`${path}.1`) && existsSync(`${path}.2`));
    assert.ok(!existsSync(`${path}.3`));
    for (const f of [path, `${path}.1`, `${path}.2`]) assert.ok(statSync(f).size <= 1000, `${f} within max size`);
    assert.match(readFileSync(path, 'utf8'), /line 99 x+\n$/);
    const older = readFileSync(`${path}.1`, 'utf8').trim().split('\n');
    const newest = readFileSync(path, 'utf8').trim().split('\n');
    assert.equal(Number(older.at(-1)!.split(' ')[3]) + 1, Number(newest[0]!.split(' ')[3]), 'no line lost between files');
  });

  it('appends to an existing log across restarts of the engine', () => {
    const path = join(dir, 'svc.log');
    new LogFile(path, { maxBytes: 1e6, keep: 1 }).write('stdout', 'first');
    const second = new LogFile(path, { maxBytes: 1e6, keep: 1 });
    second.write('stdout', 'second');
    second.close();
    assert.equal(readFileSync(path, 'utf8').trim().split('\n').length, 2);
  });
});
