/**
 * Stands in for `node:crypto` in the daemon's bundle (scripts/build.mjs, for the engine's own
 * modules): the same functions, loading the real module on first call. An idle daemon hashes and
 * encrypts nothing (backups do, when they run), and loading node:crypto costs ~1 MB for as long
 * as the process runs.
 */
type Crypto = typeof import('node:crypto');

let real: Crypto | undefined;
const crypto = (): Crypto => (real ??= process.getBuiltinModule('node:crypto'));

/** A function of node:crypto that loads the module when first called. */
function lazy<K extends keyof Crypto>(name: K): Crypto[K] {
  return ((...args: unknown[]) => (crypto()[name] as (...a: unknown[]) => unknown)(...args)) as Crypto[K];
}

export const createHash = lazy('createHash');
export const createHmac = lazy('createHmac');
export const hash = lazy('hash');
export const createCipheriv = lazy('createCipheriv');
export const createDecipheriv = lazy('createDecipheriv');
export const randomBytes = lazy('randomBytes');
export const randomInt = lazy('randomInt');
export const randomUUID = lazy('randomUUID');
export const scrypt = lazy('scrypt');
export const timingSafeEqual = lazy('timingSafeEqual');
export const webcrypto = new Proxy({} as Crypto['webcrypto'], {
  get: (_target, key) => Reflect.get(crypto().webcrypto, key),
});
