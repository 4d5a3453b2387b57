/**
 * The files adapter (src/core/backup/adapters/files.ts) on real folders: what `backup.files` and
 * `backup.exclude` take, what it never takes (the stack's .opsdeck, declared SQLite databases
 * and their companions, symbolic links), the items' paths (relative to the stack folder), sizes,
 * times and order, and a service folder outside the stack folder refused.
 */
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { collectFiles } from '../../src/core/backup/adapters/files';
import type { AdapterContext } from '../../src/core/backup/adapters/types';

describe('backup: the files adapter on real folders', () => {
  let stack: string;
  const ctx = (serviceDir: string): AdapterContext => ({ stackDir: stack, service: 'app', serviceDir, staging: join(stack, '.opsdeck', 'tmp', 'x'), env: {} });
  const write = (rel: string, text = rel) => {
    mkdirSync(join(stack, rel, '..'), { recursive: true });
    writeFileSync(join(stack, rel), text);
  };

  beforeEach(() => {
    stack = mkdtempSync(join(os.tmpdir(), 'opsdeck-files-'));
    write('svc/data/a.txt', 'aaaa');
    write('svc/data/B.txt');
    write('svc/data/sub/deep/c.json', '{}');
    write('svc/data/sub/skip.tmp');
    write('svc/data/app.db');
    write('svc/data/app.db-wal');
    write('svc/data/app.db-journal');
    write('svc/notes.md');
    write('.opsdeck/backups/config');
    symlinkSync('a.txt', join(stack, 'svc/data/link.txt'));
  });
  afterEach(() => rmSync(stack, { recursive: true, force: true }));

  it('takes the files the globs match minus the excludes, by code unit, with their size, time and mode, paths from the stack folder', async () => {
    const r = await collectFiles(ctx(join(stack, 'svc')), ['data/'], ['**/*.tmp'], ['svc/data/app.db']);
    assert.deepEqual(
      r.items.map((i) => i.path),
      ['svc/data/B.txt', 'svc/data/a.txt', 'svc/data/sub/deep/c.json'],
    );
    const a = r.items.find((i) => i.path === 'svc/data/a.txt')!;
    const st = lstatSync(join(stack, 'svc/data/a.txt'));
    assert.deepEqual(
      { kind: a.kind, live: a.live, source: a.source, size: a.size, mtimeMs: a.mtimeMs, mode: a.mode, service: a.service },
      { kind: 'file', live: true, source: join(stack, 'svc/data/a.txt'), size: 4, mtimeMs: st.mtimeMs, mode: st.mode & 0o7777, service: 'app' },
    );
    assert.deepEqual(r.skipped, [
      { path: 'svc/data/app.db', reason: 'SQLite database (taken by the SQLite adapter)' },
      { path: 'svc/data/app.db-journal', reason: 'SQLite database (taken by the SQLite adapter)' },
      { path: 'svc/data/app.db-wal', reason: 'SQLite database (taken by the SQLite adapter)' },
      { path: 'svc/data/link.txt', reason: 'symbolic link (not followed)' },
    ]);
  });

  it('a service whose folder is the stack folder: `**` takes everything but .opsdeck', async () => {
    const r = await collectFiles(ctx(stack), ['**'], []);
    const paths = r.items.map((i) => i.path);
    assert.ok(paths.includes('svc/notes.md') && paths.includes('svc/data/app.db-wal'), paths.join(' '));
    assert.equal(paths.filter((p) => p.startsWith('.opsdeck')).length, 0, 'the repository is never taken');
    assert.equal(paths.length, 8, paths.join(' '));
    assert.deepEqual(r.skipped, [{ path: 'svc/data/link.txt', reason: 'symbolic link (not followed)' }]);
  });

  it('a glob that names nothing there takes nothing; a service folder outside the stack folder is refused', async () => {
    assert.deepEqual(await collectFiles(ctx(join(stack, 'svc')), ['missing/'], []), { items: [], skipped: [] });
    const outside = mkdtempSync(join(os.tmpdir(), 'opsdeck-outside-'));
    try {
      writeFileSync(join(outside, 'x'), 'x');
      await assert.rejects(collectFiles(ctx(outside), ['x'], []), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'BAD_REQUEST');
        assert.match(e.message, /backup\.files of app reaches .*, outside the stack folder/);
        return true;
      });
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
