/** Test helpers: a throw-away stack folder, free ports, fixture paths, waiting on events. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { parseConfig, type LoadedStack } from '../../src/core/config/load';
import type { EventBus } from '../../src/core/events';
import { freePort, freePorts } from '../../src/core/net/free-port';
import type { EngineEvent, EventOf, EventType } from '../../src/core/contract/events';

export { freePort, freePorts };

export const FIXTURES = resolve(import.meta.dirname, '../fixtures/services');
export const NODE = process.execPath;
export const fixture = (name: string) => join(FIXTURES, name);

export interface TempStack {
  dir: string;
  stack: LoadedStack;
  cleanup(): void;
}

/** Write `config` (an object or YAML text) as opsdeck.yaml in a new temp folder and load it. */
export function tempStack(config: object | string, opts: { profile?: string } = {}): TempStack {
  const dir = mkdtempSync(join(tmpdir(), 'opsdeck-test-'));
  const text = typeof config === 'string' ? config : stringify(config);
  const file = join(dir, 'opsdeck.yaml');
  writeFileSync(file, text);
  return { dir, stack: parseConfig(text, file, opts), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Every event of the bus, in order, for exact-sequence assertions. */
export function record(bus: EventBus): EngineEvent[] {
  const events: EngineEvent[] = [];
  bus.onAny((e) => events.push(e));
  return events;
}

/** The next event of `type` matching `pred` (rejects after `timeoutMs` of real time). */
export function nextEvent<T extends EventType>(bus: EventBus, type: T, pred: (e: EventOf<T>) => boolean = () => true, timeoutMs = 15_000): Promise<EventOf<T>> {
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => {
      sub.dispose();
      fail(new Error(`no ${type} event matched within ${timeoutMs}ms`));
    }, timeoutMs);
    const sub = bus.on(type, (e) => {
      if (pred(e)) {
        clearTimeout(timer);
        sub.dispose();
        ok(e);
      }
    });
  });
}

/** Poll `fn` until it returns true (real time). */
export async function until(fn: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
}

/** State transitions of one service, as "from→to" strings. */
export const transitions = (events: EngineEvent[], service: string) =>
  events.filter((e): e is EventOf<'state'> => e.type === 'state' && e.service === service).map((e) => `${e.from}→${e.to}`);

/**
 * A service running fixtures/services/http-service.cjs on a free port, ready when GET /health
 * answers. `extra` is merged over the service's keys (env and health are merged one level deep).
 */
export type ServiceSpec = Record<string, unknown> & { env: Record<string, unknown>; health: Record<string, unknown> };

export async function httpService(
  extra: { env?: Record<string, string | number>; health?: Record<string, unknown>; [key: string]: unknown } = {},
): Promise<{ port: number; url: string; config: ServiceSpec }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/health`;
  const { env, health, ...rest } = extra;
  return {
    port,
    url,
    config: {
      command: [NODE, fixture('http-service.cjs')],
      env: { PORT: port, ...env },
      health: { readiness: { http: { url } }, ...health },
      ...rest,
    },
  };
}
