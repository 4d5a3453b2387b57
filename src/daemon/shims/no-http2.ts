/**
 * Stands in for `node:http2` in the daemon's bundle (scripts/build.mjs). The control API is
 * HTTP/1.1 on a unix socket; @hono/node-server only needs http2's request class for `instanceof`
 * checks (false here: nothing creates one) and one constant. Loading the real module costs the
 * daemon ~1-2 MB of memory for as long as it runs.
 */
export class Http2ServerRequest {}
export class Http2ServerResponse {}
export const constants = { NGHTTP2_NO_ERROR: 0 };
