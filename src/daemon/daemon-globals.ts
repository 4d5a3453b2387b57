/**
 * First import of dist/daemon.js (src/daemon/daemon-main.ts): puts the small `Headers`, `Request`
 * and `Response` of web-classes.ts on globalThis before hono and @hono/node-server
 * load, so the engine daemon never loads Node's fetch implementation (undici, and the http2
 * module it needs): 3-5 MB less for as long as the daemon runs. Node defines these globals as
 * getters that load undici on first use; they are replaced without being read. `fetch` itself is
 * left as it is (the daemon does not call it; if something did, undici would load as usual).
 */
import { LightHeaders, LightRequest, LightResponse } from './web-classes';

export function installLightWebClasses(target: object = globalThis): void {
  for (const [name, value] of [
    ['Headers', LightHeaders],
    ['Request', LightRequest],
    ['Response', LightResponse],
  ] as const) {
    Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false });
  }
}

installLightWebClasses();
