/**
 * The read-only questions a command asks the engine once before it exits — status, health,
 * profiles — over plain node:http on the stack's socket. The same requests, answers and errors
 * as ApiClient's methods of those names, without hono's client and without the fetch classes
 * (Request / Response / Headers load undici, ~15 ms): the CLI's quick path
 * (src/cli/quick-path.ts) answers with it from a bundle that holds no engine.
 */
import { request } from 'node:http';
import type { StackHealth } from '../contract/health';
import type { EngineStatus, ProfilesInfo } from '../contract/status';
import { fromErrorBody } from '../api/http-errors';
import { unreachable } from './unix-fetch';

export class ReadClient {
  constructor(readonly socketPath: string) {}

  /** The stack and its services (only `services` when given). */
  status(services?: readonly string[]): Promise<EngineStatus> {
    return this.get(services?.length ? `/v1/status?${new URLSearchParams({ service: services.join(',') })}` : '/v1/status');
  }

  /** Health now (of only `services` when given); with `check`, after running the running services' full-functionality checks. */
  health(check = false, services?: readonly string[]): Promise<StackHealth> {
    const query = new URLSearchParams();
    if (check) query.set('check', 'true');
    if (services?.length) query.set('service', services.join(','));
    return this.get(query.size ? `/v1/health?${query}` : '/v1/health');
  }

  profiles(): Promise<ProfilesInfo> {
    return this.get('/v1/profiles');
  }

  /** One GET, its JSON answer; an error status throws its OpsError, a connection that fails ENGINE_UNREACHABLE. */
  private get<T>(path: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // agent: false: one connection, closed after the answer, so nothing keeps the process alive.
      const req = request({ socketPath: this.socketPath, path, method: 'GET', agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (e) => reject(unreachable(e, this.socketPath)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 500;
          try {
            if (status >= 200 && status < 300) resolve(JSON.parse(text) as T);
            else reject(fromErrorBody(status, parseOrUndefined(text)));
          } catch (e) {
            reject(e as Error);
          }
        });
      });
      req.on('error', (e) => reject(unreachable(e, this.socketPath)));
      req.end();
    });
  }
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
