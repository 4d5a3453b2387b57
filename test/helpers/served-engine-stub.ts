/**
 * A ServedEngine for API tests that serve a stub, not a real engine: an idle stack (no services,
 * health OK, no profiles) whose members a test overrides. Members a test must not reach can be
 * made to throw with `unused`.
 */
import type { ServedEngine } from '../../src/core/api/served-engine';
import { EventBus } from '../../src/core/events';

export const unused = (): never => {
  throw new Error('not used');
};

export function stubServedEngine<T extends Partial<ServedEngine>>(overrides: T = {} as T): ServedEngine & T {
  const empty = { dryRun: false, plan: [] };
  return {
    bus: new EventBus(),
    status: () => ({}) as never,
    health: () => ({ level: 'OK', summary: '', services: [] }),
    checkAll: async () => ({ level: 'OK', summary: '', services: [] }),
    up: () => empty,
    down: () => empty,
    restart: () => empty,
    profiles: () => ({ active: undefined, profiles: [] }),
    useProfile: () => empty,
    logs: () => [],
    ...overrides,
  };
}
