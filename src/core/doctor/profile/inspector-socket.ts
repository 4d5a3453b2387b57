/**
 * A minimal WebSocket client (RFC 6455), enough for the V8 inspector protocol: one connection to
 * `ws://127.0.0.1:PORT/UUID`, text frames out (masked, as a client must), text frames in
 * (unmasked, possibly fragmented and large: a CPU profile is megabytes), ping answered, close.
 *
 * Why not a library or the platform: Node 20 (the oldest Opsdeck runs on) has WebSocket only
 * behind --experimental-websocket, `ws` is not a dependency, and `node:inspector` talks to this
 * process's own inspector only, never to another process's.
 */
import { request } from 'node:http';
import type { Socket } from 'node:net';

export interface InspectorSocket {
  send(text: string): void;
  onMessage(fn: (text: string) => void): void;
  onClose(fn: (why: string) => void): void;
  close(): void;
}

/**
 * Random bytes from the Web Crypto global (no import of node:crypto, which the daemon's bundle
 * defers behind a shim without this function: src/daemon/shims/lazy-crypto.ts).
 */
const randomBytes = (n: number): Buffer => Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(n)));

export function openWebSocket(url: string, timeoutMs = 5000): Promise<InspectorSocket> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    const req = request({
      host: u.hostname,
      port: u.port,
      path: u.pathname + u.search,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13' },
      timeout: timeoutMs,
    });
    req.once('timeout', () => req.destroy(new Error(`no WebSocket upgrade from ${url} within ${timeoutMs}ms`)));
    req.once('error', reject);
    req.once('response', (res) => reject(new Error(`${url} answered HTTP ${res.statusCode} instead of upgrading to a WebSocket`)));
    req.once('upgrade', (_res, socket, head) => resolve(wrap(socket, head)));
    req.end();
  });
}

function wrap(socket: Socket, head: Buffer): InspectorSocket {
  const messageListeners: ((text: string) => void)[] = [];
  const closeListeners: ((why: string) => void)[] = [];
  let buf = head;
  /** Chunks received but not yet joined to `buf`: joined once the frame being read is whole (a profile is one big frame). */
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let need = 0;
  let fragments: Buffer[] = [];
  let closed = false;
  const closeWith = (why: string) => {
    if (closed) return;
    closed = true;
    socket.destroy();
    for (const fn of closeListeners) fn(why);
  };

  const frame = (opcode: number, payload: Buffer) => {
    const mask = randomBytes(4);
    const len = payload.length;
    const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
    if (len >= 126) {
      head[0] = 0x80 | opcode;
      if (len < 65536) {
        head[1] = 0x80 | 126;
        head.writeUInt16BE(len, 2);
      } else {
        head[1] = 0x80 | 127;
        head.writeBigUInt64BE(BigInt(len), 2);
      }
    }
    const masked = Buffer.alloc(len);
    for (let i = 0; i < len; i++) masked[i] = payload[i]! ^ mask[i & 3]!;
    socket.write(Buffer.concat([head, mask, masked]));
  };

  /** Take whole frames off `buf`. */
  const drain = () => {
    need = 0;
    for (;;) {
      if (buf.length < 2) return;
      const fin = (buf[0]! & 0x80) !== 0;
      const opcode = buf[0]! & 0x0f;
      const masked = (buf[1]! & 0x80) !== 0;
      let len = buf[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        at = 10;
      }
      const maskKey = masked ? buf.subarray(at, at + 4) : undefined;
      if (masked) at += 4;
      if (buf.length < at + len) {
        need = at + len;
        return;
      }
      let payload = buf.subarray(at, at + len);
      buf = buf.subarray(at + len);
      if (maskKey) payload = Buffer.from(payload.map((b, i) => b ^ maskKey[i & 3]!));
      if (opcode === 0x8) return closeWith('closed by the server');
      if (opcode === 0x9) {
        frame(0xa, payload); // pong
        continue;
      }
      if (opcode === 0xa) continue;
      fragments.push(Buffer.from(payload));
      if (fin) {
        const text = Buffer.concat(fragments).toString('utf8');
        fragments = [];
        for (const fn of messageListeners) fn(text);
      }
    }
  };

  socket.on('data', (d: Buffer) => {
    pending.push(d);
    pendingBytes += d.length;
    if (buf.length + pendingBytes < need) return;
    buf = Buffer.concat([buf, ...pending]);
    pending = [];
    pendingBytes = 0;
    drain();
  });
  socket.once('close', () => closeWith('connection closed'));
  socket.once('error', (e) => closeWith(e.message));
  queueMicrotask(drain);

  return {
    send: (text) => frame(0x1, Buffer.from(text, 'utf8')),
    onMessage: (fn) => void messageListeners.push(fn),
    onClose: (fn) => void closeListeners.push(fn),
    close: () => {
      if (!closed) frame(0x8, Buffer.alloc(0));
      closeWith('closed');
    },
  };
}
