/**
 * The bearer tokens of the control API's TCP listener (docs/api.md, "TCP listener and tokens"):
 * two random tokens, `full` (every route) and `read` (GET only: enough for a Prometheus scrape),
 * kept in `.opsdeck/api-tokens.json`, mode 0600 in the owner-only `.opsdeck/`. Made on the first
 * start of an engine with `api.listen` (or the first `opsdeck api token show`), replaced by
 * `opsdeck api token rotate`. The listener reads the file again when it changes, so a rotation
 * takes effect at the next request, the engine running or not.
 */
import { closeSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { OpsError } from '../errors';
import { openPrivate, privateDir } from '../private-files';
import type { ApiTokens, TokenScope } from '../contract/api-access';

export const TOKEN_FILE = 'api-tokens.json';

/** Where a stack keeps its tokens. */
export const tokenFile = (stackDir: string) => join(stackDir, '.opsdeck', TOKEN_FILE);

/** A new token of `scope`: its scope in clear, then 32 random bytes (base64url). */
const newToken = (scope: TokenScope) => `opsdeck_${scope}_${randomBytes(32).toString('base64url')}`;

/** The stack's tokens, or undefined when none were made yet; a damaged file is an error that says what to do. */
export function readTokens(stackDir: string): ApiTokens | undefined {
  const file = tokenFile(stackDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const t = JSON.parse(text) as Partial<ApiTokens>;
    if (typeof t.full === 'string' && typeof t.read === 'string' && typeof t.rotatedAt === 'number') return { full: t.full, read: t.read, rotatedAt: t.rotatedAt };
  } catch {
    /* below */
  }
  throw new OpsError('CONFIG_INVALID', `${file} is not a token file Opsdeck wrote`, 'make new tokens with `opsdeck api token rotate`');
}

/** The stack's tokens, made (and written) first when there are none. */
export function ensureTokens(stackDir: string, now = Date.now()): ApiTokens {
  return readTokens(stackDir) ?? writeTokens(stackDir, { full: newToken('full'), read: newToken('read'), rotatedAt: now });
}

/**
 * Replace the tokens of `scopes` (both by default) with new ones; the old ones stop working at
 * once. A damaged file is replaced whole (both tokens new).
 */
export function rotateTokens(stackDir: string, scopes: readonly TokenScope[] = ['full', 'read'], now = Date.now()): ApiTokens {
  let old: ApiTokens | undefined;
  try {
    old = readTokens(stackDir);
  } catch (e) {
    if (!(e instanceof OpsError)) throw e;
  }
  return writeTokens(stackDir, {
    full: scopes.includes('full') || !old ? newToken('full') : old.full,
    read: scopes.includes('read') || !old ? newToken('read') : old.read,
    rotatedAt: now,
  });
}

/** Written whole or not at all: a new 0600 file renamed over the old one. */
function writeTokens(stackDir: string, tokens: ApiTokens): ApiTokens {
  const file = tokenFile(stackDir);
  privateDir(join(stackDir, '.opsdeck'));
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openPrivate(tmp, 'w');
  try {
    writeSync(fd, `${JSON.stringify(tokens, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  return tokens;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * What the TCP listener checks a presented token against: the token file, read again whenever
 * it changes. Both tokens are compared in constant time (of equal-length digests), every time.
 */
export class TokenChecker {
  private seen: { key: string; full: Buffer; read: Buffer } | undefined;

  constructor(private readonly stackDir: string) {}

  /** The scope `token` grants, or undefined for a wrong token. */
  scopeOf(token: string): TokenScope | undefined {
    const known = this.current();
    const presented = digest(token);
    const full = timingSafeEqual(presented, known.full);
    const read = timingSafeEqual(presented, known.read);
    return full ? 'full' : read ? 'read' : undefined;
  }

  private current() {
    const st = statSync(tokenFile(this.stackDir), { throwIfNoEntry: false });
    const key = st ? `${st.ino}:${st.mtimeMs}:${st.size}` : 'none';
    if (this.seen?.key !== key) {
      const tokens = ensureTokens(this.stackDir);
      this.seen = { key: st ? key : 'made', full: digest(tokens.full), read: digest(tokens.read) };
    }
    return this.seen;
  }
}
