import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryJournal, journalDir } from '../../src/core/memory/journal';
import { MemoryStore } from '../../src/core/memory/memory-store';
import { LogFile } from '../../src/core/supervisor/log-file';

/**
 * What Opsdeck writes under .opsdeck/ that holds service output or events is owner-only: files
 * 0600, folders 0700, also after rotation and for files an older version left 0644. As root, a
 * second (throw-away) user really tries to read them; otherwise only the modes are checked.
 */
const ROOT = process.platform === 'linux' && process.getuid?.() === 0;
const PROBE_USER = 'opsdeck-probe';
const how = ROOT ? 'another local user cannot read them' : 'modes only: not root, so no second user to try';

function ensureProbeUser(): void {
  if (spawnSync('id', [PROBE_USER]).status === 0) return;
  const r = spawnSync('useradd', ['-M', '-s', '/bin/sh', PROBE_USER], { encoding: 'utf8' });
  assert.equal(r.status, 0, `useradd ${PROBE_USER}: ${r.stderr}`);
}

/** Whether PROBE_USER can read `file` (runuser, as `cat`). */
function otherUserReads(file: string): boolean {
  const r = spawnSync('runuser', ['-u', PROBE_USER, '--', 'cat', file], { encoding: 'utf8' });
  return r.status === 0;
}

const mode = (p: string) => statSync(p).mode & 0o777;

function assertPrivate(files: string[], dirs: string[]): void {
  for (const d of dirs) assert.equal(mode(d).toString(8), '700', `folder ${d}`);
  for (const f of files) {
    assert.equal(mode(f).toString(8), '600', `file ${f}`);
    if (ROOT) assert.equal(otherUserReads(f), false, `${PROBE_USER} read ${f}`);
  }
}

describe(`owner-only files under .opsdeck (${how})`, () => {
  let stack: string;
  before(() => {
    if (ROOT) ensureProbeUser();
  });
  beforeEach(() => {
    stack = mkdtempSync(join(tmpdir(), 'opsdeck-private-'));
    // A project folder others may enter, as usual: only Opsdeck's own modes stand in their way.
    chmodSync(stack, 0o755);
  });
  afterEach(() => rmSync(stack, { recursive: true, force: true }));

  it('service logs: 0600 in a 0700 folder, also every rotated file', () => {
    const logs = join(stack, '.opsdeck', 'logs');
    const path = join(logs, 'api.log');
    const log = new LogFile(path, { maxBytes: 400, keep: 2 });
    for (let i = 0; i < 40; i++) log.write('stdout', `line ${i} ${'x'.repeat(40)}`);
    log.close();
    assert.deepEqual(readdirSync(logs).sort(), ['api.log', 'api.log.1', 'api.log.2']);
    assertPrivate([path, `${path}.1`, `${path}.2`], [logs]);
  });

  it('a log and its folder left 0644 / 0755 by an older version are made owner-only when opened', () => {
    const logs = join(stack, '.opsdeck', 'logs');
    mkdirSync(logs, { recursive: true, mode: 0o755 });
    chmodSync(logs, 0o755);
    const path = join(logs, 'api.log');
    writeFileSync(path, 'old line\n', { mode: 0o644 });
    chmodSync(path, 0o644);
    if (ROOT) assert.equal(otherUserReads(path), true, 'the probe user can read a 0644 file (so the checks below mean something)');
    const log = new LogFile(path, { maxBytes: 1e6, keep: 1 });
    log.write('opsdeck', 'started');
    log.close();
    assertPrivate([path], [logs]);
  });

  it('the log file redacts secrets in every line, the service\'s own output and Opsdeck\'s', () => {
    const path = join(stack, '.opsdeck', 'logs', 'api.log');
    const log = new LogFile(path, { maxBytes: 1e6, keep: 1 });
    log.write('opsdeck', 'started pid 42: node app.js --password hunter2');
    log.write('stdout', 'env API_TOKEN=tok-123 ready');
    log.close();
    const text = readFileSync(path, 'utf8');
    assert.doesNotMatch(text, /hunter2|tok-123/);
    assert.match(text, /--password \*\*\*\n.*API_TOKEN=\*\*\* ready/s);
  });

  it('memory journal: segments 0600 in a 0700 folder; older segments fixed when the journal opens', () => {
    const opsdeck = join(stack, '.opsdeck');
    const dir = journalDir(opsdeck);
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
    const old = join(dir, '000000000001-0123abcd.jsonl');
    writeFileSync(old, '{"at":1,"service":"api","kind":"log","text":"x","data":"{}"}\n');
    chmodSync(old, 0o644);
    const journal = MemoryJournal.open(dir);
    journal.record({ type: 'log', service: 'api', at: 2, stream: 'stdout', line: 'hello' });
    journal.flush();
    journal.close();
    const segments = readdirSync(dir).map((n) => join(dir, n));
    assert.equal(segments.length, 2);
    assertPrivate(segments, [dir]);
  });

  it('memory.db is 0600, new or left 0644 by an older version', () => {
    const opsdeck = join(stack, '.opsdeck');
    const fresh = MemoryStore.open(join(opsdeck, 'memory.db'));
    fresh.record({ type: 'log', service: 'api', at: 1, stream: 'stdout', line: 'hello' });
    fresh.flush();
    const sidecars = () => readdirSync(opsdeck).filter((n) => /^memory\.db(-wal|-journal|-shm)$/.test(n)).map((n) => join(opsdeck, n));
    assertPrivate([join(opsdeck, 'memory.db'), ...sidecars()], []);
    fresh.close();
    chmodSync(join(opsdeck, 'memory.db'), 0o644);
    const again = MemoryStore.open(join(opsdeck, 'memory.db'));
    again.record({ type: 'log', service: 'api', at: 2, stream: 'stdout', line: 'again' });
    again.flush();
    assertPrivate([join(opsdeck, 'memory.db'), ...sidecars()], []);
    again.close();
  });
});
