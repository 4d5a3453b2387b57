/**
 * The health gate of a release: the services started become ready (or complete, for one-shot
 * jobs) within the timeout, then every full-functionality check passes. Returns what failed, or
 * nothing when the gate is passed.
 */
import type { EngineLike } from '../contract/engine';

const POLL_MS = 250;

export async function waitReady(engine: EngineLike, services: readonly string[], timeoutMs: number): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const status = await engine.status();
    const mine = status.services.filter((s) => services.includes(s.name));
    const failed = mine.find((s) => s.state === 'failed' && !s.completed);
    if (failed) return `${failed.name} failed: ${failed.reason}`;
    const waiting = mine.filter((s) => !(s.state === 'ready' || s.completed));
    if (!waiting.length) return undefined;
    last = waiting.map((s) => `${s.name} ${s.state}${s.reason ? ` (${s.reason})` : ''}`).join(', ');
    if (Date.now() >= deadline) return `not ready within ${Math.round(timeoutMs / 1000)}s: ${last}`;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Ready, then every check of `services` passes; the problem otherwise. */
export async function healthGate(engine: EngineLike, services: readonly string[], timeoutMs: number): Promise<string | undefined> {
  const notReady = await waitReady(engine, services, timeoutMs);
  if (notReady) return notReady;
  const health = await engine.checkAll(services);
  const bad = health.services.filter((s) => services.includes(s.service) && s.level !== 'OK');
  return bad.length ? `checks failed: ${bad.map((s) => `${s.service} ${s.level} (${s.reason})`).join('; ')}` : undefined;
}
