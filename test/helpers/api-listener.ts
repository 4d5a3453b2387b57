/** Test helpers: a real engine host whose API also listens on TCP (api.listen), with one ready http service `web`. */
import assert from 'node:assert/strict';
import { ApiClient } from '../../src/core/client/api-client';
import { EngineHost } from '../../src/core/host/engine-host';
import { readTokens } from '../../src/core/api/tokens';
import type { ApiTokens } from '../../src/core/contract/api-access';
import { socketPath } from '../../src/core/stack-lock';
import { fixture, freePorts, NODE, tempStack, type TempStack } from './stack';

export interface ListeningHost {
  t: TempStack;
  host: EngineHost;
  /** The TCP listener's base URL. */
  base: string;
  /** A client on the unix socket (no token). */
  socket: ApiClient;
  /** The tokens as the file holds them now. */
  tokens(): ApiTokens;
  stop(): Promise<void>;
}

/** Start it and bring `web` up (ready). `name` is the stack's name. */
export async function listeningHost(name: string): Promise<ListeningHost> {
  const [port, apiPort] = (await freePorts(2)) as [number, number];
  const t = tempStack({
    version: 1,
    name,
    profiles: { all: { services: ['web'] }, none: { services: [] } },
    api: { listen: `127.0.0.1:${apiPort}` },
    services: {
      web: { command: [NODE, fixture('http-service.cjs')], env: { PORT: port }, health: { readiness: { http: { url: `http://127.0.0.1:${port}/health` }, interval: '100ms' } } },
    },
  });
  const host = await EngineHost.start(t.dir, { owner: 'test', version: 'test' });
  const socket = new ApiClient(socketPath(t.dir));
  await socket.up();
  const settled = await host.engine.supervisor.waitSettled(20_000);
  assert.deepEqual(settled.map((s) => `${s.name} ${s.state}`), ['web ready']);
  return {
    t,
    host,
    base: host.apiUrl!,
    socket,
    tokens: () => readTokens(t.dir)!,
    stop: async () => {
      try {
        await host.stop();
      } finally {
        t.cleanup();
      }
    },
  };
}
