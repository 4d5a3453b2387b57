/**
 * Running a task that needs its service stopped: stop the service when it runs (through the
 * engine's service control, the one restores use), run the task, start it again with what it
 * depends on and pass the health gate (ready within the timeout, then its full-functionality
 * check). A service that was not running is neither stopped nor started. The gate runs even when
 * the task failed: the service must come back either way.
 */
import type { ServiceControl } from '../backup/host';

/** How long the service may take to be ready again. */
export const GATE_TIMEOUT_MS = 60_000;

export async function withServiceStopped<T>(control: ServiceControl, service: string, fn: () => Promise<T>, onStep: (step: string) => void): Promise<T> {
  if (!control.active().includes(service)) return fn();
  onStep(`stop ${service}`);
  await control.stop([service]);
  let result: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    result = { ok: true, value: await fn() };
  } catch (error) {
    result = { ok: false, error };
  }
  onStep(`start ${service} (health gate)`);
  control.start([service]);
  await control.waitReady(service, GATE_TIMEOUT_MS);
  const check = await control.check(service);
  if (!check.ok || !control.isReady(service)) {
    throw new Error(`${service} did not pass the health gate after maintenance: ${check.output || 'not ready'}${result.ok ? '' : ` (the task had failed too: ${(result.error as Error).message})`}`);
  }
  if (!result.ok) throw result.error;
  return result.value;
}
