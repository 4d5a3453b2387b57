import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BACKUP_KEY_ENV, initRepository, openRepository } from '../../src/core/backup/repo';
import { Rng } from '../fixtures/backup/dataset';
import { assertSameTree, META, rejectsWith, tempDir } from '../fixtures/backup/helpers';

/** Every file under `dir`, recursively. */
function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

describe('backup repository: encryption (AES-256-GCM)', function () {
  this.timeout(60_000);
  let t: ReturnType<typeof tempDir>;
  let src: string;
  const SECRET_TEXT = 'customer-password-hunter2-';
  beforeEach(() => {
    t = tempDir();
    src = join(t.dir, 'src');
    mkdirSync(join(src, 'conf'), { recursive: true });
    writeFileSync(join(src, 'conf/secrets.env'), `${SECRET_TEXT}\n`.repeat(5000));
    writeFileSync(join(src, 'data.bin'), new Rng('enc').bytes(3 << 20));
  });
  afterEach(() => t.cleanup());
  const kdf = { kdfCost: 12 }; // fast scrypt for tests; the default is 2^15

  it('round-trips through an encrypted repository; nothing readable is stored', async () => {
    const repoDir = join(t.dir, 'repo');
    const repo = await initRepository(repoDir, { encryption: 'correct horse battery staple', ...kdf });
    assert.ok(repo.encrypted);
    const r = await repo.backup([{ service: 'app', root: src }], { ...META, tags: ['secret-tag'] });
    const config = JSON.parse(readFileSync(join(repoDir, 'config'), 'utf8'));
    assert.equal(config.encryption.algorithm, 'aes-256-gcm');
    assert.ok(config.encryption.keyCheck);
    for (const f of allFiles(repoDir)) {
      const content = readFileSync(f).toString('latin1');
      for (const needle of [SECRET_TEXT, 'secrets.env', 'secret-tag', 'conf/']) assert.ok(!content.includes(needle), `${needle} readable in ${f}`);
    }
    const again = await openRepository(repoDir, { key: 'correct horse battery staple' });
    const out = join(t.dir, 'out');
    await again.restore(r.snapshot.id, { target: out });
    assertSameTree(join(out, 'app'), src);
    assert.ok((await again.verify({ readData: true })).ok);
    assert.deepEqual((await again.snapshot('latest')).tags, ['secret-tag']);
  });

  it('refuses a wrong key clearly, and asks for a missing one', async () => {
    const repoDir = join(t.dir, 'repo');
    await initRepository(repoDir, { encryption: 'right key', ...kdf });
    const e = await rejectsWith(() => openRepository(repoDir, { key: 'wrong key' }), 'BACKUP_KEY_INVALID');
    assert.match(e.message, /wrong key/);
    assert.match(e.hint!, /OPSDECK_BACKUP_KEY/);
    const saved = process.env[BACKUP_KEY_ENV];
    delete process.env[BACKUP_KEY_ENV];
    try {
      await rejectsWith(() => openRepository(repoDir), 'BACKUP_KEY_REQUIRED');
    } finally {
      if (saved !== undefined) process.env[BACKUP_KEY_ENV] = saved;
    }
  });

  it('takes the key from OPSDECK_BACKUP_KEY or from a key file', async () => {
    const keyFile = join(t.dir, 'backup.key');
    writeFileSync(keyFile, 'from a file\n');
    const repoDir = join(t.dir, 'repo');
    const repo = await initRepository(repoDir, { encryption: { keyFile }, ...kdf });
    await repo.backup([{ service: 'app', root: src }], META);
    // the trailing newline is not part of the key
    await openRepository(repoDir, { key: 'from a file' });
    const saved = process.env[BACKUP_KEY_ENV];
    process.env[BACKUP_KEY_ENV] = 'from a file';
    try {
      const viaEnv = await openRepository(repoDir);
      assert.equal((await viaEnv.snapshots()).length, 1);
      process.env[BACKUP_KEY_ENV] = 'nope';
      await rejectsWith(() => openRepository(repoDir), 'BACKUP_KEY_INVALID');
    } finally {
      if (saved === undefined) delete process.env[BACKUP_KEY_ENV];
      else process.env[BACKUP_KEY_ENV] = saved;
    }
    await rejectsWith(() => openRepository(repoDir, { key: { keyFile: join(t.dir, 'missing.key') } }), 'BACKUP_KEY_REQUIRED');
    await rejectsWith(() => initRepository(join(t.dir, 'repo2'), { encryption: { env: 'OPSDECK_TEST_UNSET_KEY' } }), 'BACKUP_KEY_REQUIRED');
  });

  it('encrypted repositories prune and detect tampering', async () => {
    const repoDir = join(t.dir, 'repo');
    const repo = await initRepository(repoDir, { encryption: 'k', ...kdf, packSize: 1 << 20 });
    const a = await repo.backup([{ service: 'app', root: src }], META);
    writeFileSync(join(src, 'data.bin'), new Rng('enc2').bytes(3 << 20));
    await repo.backup([{ service: 'app', root: src }], META);
    await repo.removeSnapshots([a.snapshot.id]);
    const p = await repo.prune();
    assert.ok(p.bytesFreed > 0);
    assert.ok((await repo.verify({ readData: true })).ok);
    // a byte changed anywhere in a pack's blob fails authentication
    const packs = allFiles(join(repoDir, 'data'));
    const victim = packs[0]!;
    const buf = readFileSync(victim);
    buf[40] = buf[40]! ^ 1;
    writeFileSync(victim, buf);
    const v = await repo.verify({ readData: true });
    assert.ok(!v.ok);
    assert.ok(v.damaged.some((d) => d.reason === 'corrupt'));
  });
});
