import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from '../../src/core/client/api-client';
import { createApi } from '../../src/core/api/routes/app';
import { initRepository, type BackupRepository, type Snapshot } from '../../src/core/backup/repo';
import { Engine } from '../../src/core/engine';
import { META, tempDir } from '../fixtures/backup/helpers';
import { tempStack } from '../helpers/stack';

const modeOf = (p: string) => (statSync(p).mode & 0o7777).toString(8).padStart(4, '0');

/** Files and folders with setuid, setgid and sticky bits, as a real backup takes them. */
function makeSource(src: string): void {
  mkdirSync(join(src, 'shared'), { recursive: true });
  mkdirSync(join(src, 'drop'), { recursive: true });
  writeFileSync(join(src, 'suid'), '#!/bin/sh\necho hi\n');
  writeFileSync(join(src, 'sgid'), '#!/bin/sh\necho hi\n');
  writeFileSync(join(src, 'plain'), 'x\n');
  writeFileSync(join(src, 'shared', 'f'), 'in a setgid folder\n');
  writeFileSync(join(src, 'drop', 'f'), 'in a sticky folder\n');
  chmodSync(join(src, 'suid'), 0o4777);
  chmodSync(join(src, 'sgid'), 0o2755);
  chmodSync(join(src, 'plain'), 0o640);
  chmodSync(join(src, 'shared'), 0o2775);
  chmodSync(join(src, 'drop'), 0o1777);
}

describe('backup: restore strips setuid/setgid unless asked to keep them (--keep-special-bits)', function () {
  this.timeout(60_000);
  let t: ReturnType<typeof tempDir>;
  let repo: BackupRepository;
  let snap: Snapshot;

  before(async () => {
    t = tempDir();
    const src = join(t.dir, 'src');
    makeSource(src);
    assert.equal(modeOf(join(src, 'suid')), '4777', 'the source really is setuid');
    repo = await initRepository(join(t.dir, 'repo'));
    snap = (await repo.backup([{ service: 'files', root: src }], META)).snapshot;
  });

  after(() => t?.cleanup());

  it('the manifest records the modes as they were', () => {
    const mode = (p: string) => (snap.entries.find((e) => e.path === p)!.mode & 0o7777).toString(8);
    assert.deepEqual(['suid', 'sgid', 'shared', 'drop'].map(mode), ['4777', '2755', '2775', '1777']);
  });

  for (const threads of [0, 2]) {
    it(`by default: 4777 → 0777, 2755 → 0755, a setgid folder loses it, sticky kept (${threads ? 'worker threads' : 'main thread'})`, async () => {
      const out = join(t.dir, `default-${threads}`);
      await repo.restore(snap.id, { target: out, threads });
      const got = (p: string) => modeOf(join(out, 'files', p));
      assert.deepEqual(
        { suid: got('suid'), sgid: got('sgid'), plain: got('plain'), shared: got('shared'), drop: got('drop') },
        { suid: '0777', sgid: '0755', plain: '0640', shared: '0775', drop: '1777' },
      );
    });
  }

  it('keepSpecialBits: every bit as backed up', async () => {
    const out = join(t.dir, 'kept');
    await repo.restore(snap.id, { target: out, keepSpecialBits: true });
    const got = (p: string) => modeOf(join(out, 'files', p));
    assert.deepEqual(
      { suid: got('suid'), sgid: got('sgid'), plain: got('plain'), shared: got('shared'), drop: got('drop') },
      { suid: '4777', sgid: '2755', plain: '0640', shared: '2775', drop: '1777' },
    );
  });

  it('through the engine and its API: restore --target strips them, keepSpecialBits / keep_special_bits keeps them', async () => {
    const s = tempStack({ version: 1, name: 'bits', services: { tool: { command: ['true'], backup: { files: ['bin/'] } } } });
    const engine = new Engine(s.stack);
    const out = (n: number) => join(t.dir, `engine-out${n}`);
    try {
      mkdirSync(join(s.dir, 'bin'));
      writeFileSync(join(s.dir, 'bin', 'su-like'), '#!/bin/sh\n');
      chmodSync(join(s.dir, 'bin', 'su-like'), 0o4755);
      const id = (await engine.backups.backup()).snapshot;
      const plan = (await engine.backups.restore(id, { target: out(1), dryRun: true })).plan;
      assert.ok(plan.includes('strip the setuid/setgid bits of tool/bin/su-like (--keep-special-bits keeps them)'), plan.join('\n'));
      const planInPlace = (await engine.backups.restore(id, { inPlace: true, dryRun: true, keepSpecialBits: true })).plan;
      assert.ok(planInPlace.includes('keep the setuid/setgid bits of tool/bin/su-like (--keep-special-bits)'), planInPlace.join('\n'));
      await engine.backups.restore(id, { target: out(1) });
      assert.equal(modeOf(join(out(1), 'tool', 'bin', 'su-like')), '0755');
      await engine.backups.restore(id, { target: out(2), keepSpecialBits: true });
      assert.equal(modeOf(join(out(2), 'tool', 'bin', 'su-like')), '4755');
      // The API (what the CLI uses when an engine runs): keep_special_bits.
      const app = createApi(engine);
      const api = new ApiClient('/nowhere.sock', { fetch: (input, init) => Promise.resolve(app.fetch(new Request(input, init))) });
      await api.restore(id, { target: out(3) });
      assert.equal(modeOf(join(out(3), 'tool', 'bin', 'su-like')), '0755');
      await api.restore(id, { target: out(4), keepSpecialBits: true });
      assert.equal(modeOf(join(out(4), 'tool', 'bin', 'su-like')), '4755');
      const bad = await app.fetch(new Request(`http://x/v1/backups/${id}/restore`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ target: out(5), keep_special_bits: 'yes' }) }));
      assert.equal(bad.status, 400, 'keep_special_bits must be a boolean');
    } finally {
      await engine.dispose();
      s.cleanup();
    }
  });
});
