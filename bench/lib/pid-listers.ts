/**
 * How each supervisor tells which pid a service has right now, asked the cheapest way a client
 * can, from the bench's own process (no CLI spawned per question): Opsdeck's
 * `GET /v1/status?service=NAME` on the engine's socket, supervisord's XML-RPC
 * `supervisor.getProcessInfo` on its socket (both: that one service), and PM2's process list
 * (what `pm2 jlist` prints) through PM2's own client library on its daemon's socket.
 */
import { request } from 'node:http';
import { createRequire } from 'node:module';

/** One supervisor's answer to "which pid does service `name` have now?" (undefined: none listed). */
export interface PidLister {
  pidOf(name: string): Promise<number | undefined>;
  close(): Promise<void>;
}

/** One HTTP request over a unix socket, on a fresh connection; the body of the answer. */
export function unixHttp(socketPath: string, method: 'GET' | 'POST', path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request(
      { socketPath, method, path, agent: false, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (b: Buffer) => parts.push(b));
        res.once('end', () => ok({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }));
        res.once('error', fail);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path} on ${socketPath}: no answer within 10 s`)));
    req.once('error', fail);
    req.end(body);
  });
}

// ---------------------------------------------------------------- Opsdeck

/** Opsdeck: the engine's control API, `GET /v1/status?service=NAME` (that service alone), on the socket named in `engine.lock`. */
export function opsdeckLister(socketPath: string): PidLister {
  return {
    async pidOf(name) {
      const path = `/v1/status?service=${encodeURIComponent(name)}`;
      const r = await unixHttp(socketPath, 'GET', path);
      if (r.status !== 200) throw new Error(`opsdeck GET ${path}: HTTP ${r.status}: ${r.body.slice(0, 200)}`);
      const status = JSON.parse(r.body) as { services: { name: string; pid?: number }[] };
      return status.services.find((s) => s.name === name)?.pid;
    },
    close: async () => undefined,
  };
}

// ---------------------------------------------------------------- supervisord

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One XML-RPC call to supervisord (string arguments only): the answer's XML, or an error for a fault. */
export async function supervisordCall(socketPath: string, method: string, ...args: string[]): Promise<string> {
  const params = args.map((a) => `<param><value><string>${xmlEscape(a)}</string></value></param>`).join('');
  const body = `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>${params}</params></methodCall>`;
  const r = await unixHttp(socketPath, 'POST', '/RPC2', body, { 'content-type': 'text/xml' });
  if (r.status !== 200) throw new Error(`supervisord ${method}: HTTP ${r.status}`);
  if (r.body.includes('<fault>')) throw new Error(`supervisord ${method}: ${/<name>faultString<\/name>\s*<value><string>([^<]*)/.exec(r.body)?.[1] ?? 'fault'}`);
  return r.body;
}

/** A member of an XML-RPC struct in `xml`: `<name>key</name><value><type>…</type></value>`. */
export function xmlRpcMember(xml: string, key: string): string | undefined {
  return new RegExp(`<name>${key}</name>\\s*<value>\\s*(?:<\\w+>)?([^<]*)`).exec(xml)?.[1];
}

/** supervisord: `supervisor.getProcessInfo(name)`; its pid is 0 while the program is not running. */
export function supervisordLister(socketPath: string): PidLister {
  return {
    async pidOf(name) {
      const pid = Number(xmlRpcMember(await supervisordCall(socketPath, 'supervisor.getProcessInfo', name), 'pid'));
      return pid > 0 ? pid : undefined;
    },
    close: async () => undefined,
  };
}

// ---------------------------------------------------------------- PM2

interface Pm2Client {
  connect(cb: (e?: Error) => void): void;
  list(cb: (e: Error | null, list: { name: string; pid: number }[]) => void): void;
  disconnect(cb?: () => void): void;
}

/**
 * PM2: its process list (the daemon's `getMonitorData`, what `pm2 jlist` prints) through PM2's own
 * client library, loaded from `pm2Package` and connected to the daemon of `pm2Home` (daemon mode:
 * it never starts one in this process). A pid of 0 means not running.
 */
export async function pm2Lister(pm2Package: string, pm2Home: string): Promise<PidLister> {
  const { custom } = createRequire(pm2Package)(pm2Package) as { custom: new (opts: { pm2_home: string; daemon_mode: boolean }) => Pm2Client };
  const client = new custom({ pm2_home: pm2Home, daemon_mode: true });
  await new Promise<void>((ok, fail) => client.connect((e) => (e ? fail(e) : ok())));
  return {
    pidOf: (name) =>
      new Promise((ok, fail) =>
        client.list((e, list) => {
          if (e) fail(e);
          else {
            const pid = list.find((a) => a.name === name)?.pid;
            ok(pid ? pid : undefined);
          }
        }),
      ),
    close: () => new Promise<void>((ok) => client.disconnect(() => ok())),
  };
}
