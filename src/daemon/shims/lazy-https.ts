/**
 * Stands in for `node:https` in the daemon's bundle (scripts/build.mjs, for the engine's own
 * modules): loaded when the first https probe goes out. Most stacks probe plain http on
 * loopback; loading https (and tls, and crypto) costs ~1 MB for as long as the daemon runs.
 */
type Https = typeof import('node:https');

let real: Https | undefined;
const https = (): Https => (real ??= process.getBuiltinModule('node:https'));

export const Agent = function Agent(...args: ConstructorParameters<Https['Agent']>) {
  return new (https().Agent)(...args);
} as unknown as Https['Agent'];
export const request: Https['request'] = ((...args: unknown[]) => (https().request as (...a: unknown[]) => unknown)(...args)) as Https['request'];
