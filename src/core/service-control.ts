/**
 * An engine's services as backup orchestration drives them (ServiceControl, src/core/backup/host.ts):
 * restores stop, start, wait for and check the stack's services through its supervisor, drills
 * those of a sandbox engine.
 */
import type { ServiceControl } from './backup/host';
import { OpsError } from './errors';
import type { Supervisor } from './supervisor/supervisor';

/** The services of `supervisor`; `start` starts some with what they depend on (the engine's `up`). */
export function serviceControl(supervisor: Supervisor, start: (services: string[]) => void): ServiceControl {
  return {
    active: () => supervisor.activeServices,
    stop: (services) => supervisor.down(services, 'stopped for a restore'),
    start,
    waitReady: (service, timeoutMs) => waitReady(supervisor, service, timeoutMs),
    check: (service) => supervisor.check(service),
    isReady: (service) => {
      const s = supervisor.service(service);
      return s.state === 'ready' || s.completed;
    },
  };
}

/** Ready (or completed); a failed service, or the time running out, is an error naming its state. */
async function waitReady(sup: Supervisor, service: string, timeoutMs: number): Promise<void> {
  const snap = sup.service(service);
  if (snap.state === 'ready' || snap.completed) return;
  try {
    const s = await sup.waitFor(service, ['ready', 'failed'], timeoutMs);
    if (s.state === 'failed') throw new Error(`${service} failed: ${s.reason}`);
  } catch (e) {
    const s = sup.service(service);
    if (s.completed) return;
    throw new OpsError('BACKUP_RESTORE_FAILED', `${service} did not become ready: ${(e as Error).message.replace(/^.* did not reach [^ ]+ /, 'not ready ')}`, `see \`opsdeck logs ${service}\``);
  }
}
