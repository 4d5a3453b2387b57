/**
 * Encryption: AES-256-GCM under a random 256-bit master key. The master key is stored in the
 * repository config sealed under a key derived from the user's key (passphrase, key file or
 * environment variable) with scrypt; a key check value (HMAC of a fixed text under the derived
 * key) tells a wrong key apart from a damaged config.
 *
 * Sealed format: nonce (12 random bytes) ‖ ciphertext ‖ GCM tag (16 bytes).
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { OpsError } from '../../errors';
import { BACKUP_KEY_ENV, type KeySource, type RepoConfig } from './model';

export const NONCE_LEN = 12;
export const TAG_LEN = 16;
export const SEAL_OVERHEAD = NONCE_LEN + TAG_LEN;
const KEY_CHECK_TEXT = 'opsdeck-backup key check v1';

/**
 * The key bytes from a KeySource; with no source, the `OPSDECK_BACKUP_KEY` variable. Undefined
 * when no key is given anywhere. A key file's trailing newline is not part of the key.
 */
export function resolveKey(source?: KeySource, env: NodeJS.ProcessEnv = process.env): Buffer | undefined {
  if (source === undefined) {
    const v = env[BACKUP_KEY_ENV];
    return v ? Buffer.from(v, 'utf8') : undefined;
  }
  if (typeof source === 'string') return nonEmpty(Buffer.from(source, 'utf8'), 'the key given');
  if (source instanceof Uint8Array) return nonEmpty(Buffer.from(source), 'the key given');
  if ('keyFile' in source) {
    let text: Buffer;
    try {
      text = readFileSync(source.keyFile);
    } catch (e) {
      throw new OpsError(
        'BACKUP_KEY_REQUIRED',
        `cannot read the backup key file ${source.keyFile}: ${(e as Error).message}`,
        'check `backup.key_file` in opsdeck.yaml, or set OPSDECK_BACKUP_KEY',
      );
    }
    let end = text.length;
    if (end > 0 && text[end - 1] === 0x0a) end--;
    if (end > 0 && text[end - 1] === 0x0d) end--;
    return nonEmpty(text.subarray(0, end), `key file ${source.keyFile}`);
  }
  const v = env[source.env];
  return v ? Buffer.from(v, 'utf8') : undefined;
}

function nonEmpty(b: Buffer, what: string): Buffer {
  if (b.length === 0) throw new OpsError('BACKUP_KEY_INVALID', `${what} is empty`, 'a backup key must not be empty');
  return b;
}

export function describeKeySource(source?: KeySource): string {
  if (source === undefined) return `the ${BACKUP_KEY_ENV} environment variable`;
  if (typeof source === 'string' || source instanceof Uint8Array) return 'the key given';
  if ('keyFile' in source) return `key file ${source.keyFile}`;
  return `the ${source.env} environment variable`;
}

export function deriveKey(secret: Buffer, kdf: { salt: string; logN: number; r: number; p: number }): Promise<Buffer> {
  const N = 2 ** kdf.logN;
  return new Promise((resolve, reject) =>
    scrypt(secret, Buffer.from(kdf.salt, 'base64'), 32, { N, r: kdf.r, p: kdf.p, maxmem: 256 * N * kdf.r + 16 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export function keyCheckValue(derived: Buffer): string {
  return createHmac('sha256', derived).update(KEY_CHECK_TEXT).digest('base64');
}

export function seal(key: Buffer, plain: Uint8Array | readonly Uint8Array[]): Buffer {
  const nonce = randomBytes(NONCE_LEN);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  const parts: Buffer[] = [nonce];
  if (plain instanceof Uint8Array) parts.push(c.update(plain));
  else for (const p of plain) parts.push(c.update(p));
  parts.push(c.final(), c.getAuthTag());
  return Buffer.concat(parts);
}

/** Open a sealed buffer; undefined when authentication fails (wrong key or damaged data). */
export function unseal(key: Buffer, sealed: Uint8Array): Buffer | undefined {
  if (sealed.length < SEAL_OVERHEAD) return undefined;
  try {
    const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE_LEN));
    d.setAuthTag(sealed.subarray(sealed.length - TAG_LEN));
    const out = d.update(sealed.subarray(NONCE_LEN, sealed.length - TAG_LEN));
    d.final();
    return out;
  } catch {
    return undefined;
  }
}

/** A new encryption section for a repository config, and the master key it seals. */
export async function newEncryption(secret: Buffer, logN = 15): Promise<{ section: NonNullable<RepoConfig['encryption']>; masterKey: Buffer }> {
  const kdf = { name: 'scrypt' as const, salt: randomBytes(16).toString('base64'), logN, r: 8, p: 1 };
  const derived = await deriveKey(secret, kdf);
  const masterKey = randomBytes(32);
  return {
    masterKey,
    section: {
      algorithm: 'aes-256-gcm',
      kdf,
      keyCheck: keyCheckValue(derived),
      masterKey: seal(derived, masterKey).toString('base64'),
    },
  };
}

/** The master key of an encrypted repository, or a clear OpsError for a wrong key. */
export async function openEncryption(section: NonNullable<RepoConfig['encryption']>, secret: Buffer, dir: string, from: string): Promise<Buffer> {
  const derived = await deriveKey(secret, section.kdf);
  const check = Buffer.from(keyCheckValue(derived), 'base64');
  const want = Buffer.from(section.keyCheck, 'base64');
  if (check.length !== want.length || !timingSafeEqual(check, want)) {
    throw new OpsError(
      'BACKUP_KEY_INVALID',
      `wrong key for the encrypted backup repository ${dir} (from ${from})`,
      `use the key this repository was created with (${BACKUP_KEY_ENV} or backup.key_file); without it the backups cannot be read`,
    );
  }
  const master = unseal(derived, Buffer.from(section.masterKey, 'base64'));
  if (!master || master.length !== 32) {
    throw new OpsError('BACKUP_REPO_INVALID', `the sealed master key in ${dir}/config is damaged`, 'restore the config file from a copy of the repository');
  }
  return master;
}
