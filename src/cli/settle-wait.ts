/**
 * Waiting for services to come to rest, as `up --detach` and `start|restart --wait` do: every
 * wanted service is ready, completed or failed (or degraded by an upstream), and nothing about
 * them has changed for `settleMs` (a service ready at once that crashes a second later is so
 * reported as failing, not as ready).
 */
import { InvalidArgumentError } from 'commander';
import { type EngineStatus, parseDuration, type ServiceStatus } from '../core/contract';

/** How long the services must stay unchanged, by default, to count as settled. */
export const SETTLE_MS = 2000;

export const parseTimeout = (v: string) => {
  const ms = parseDuration(v);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError(`"${v}" is not a duration such as 60s or 2m`);
  return ms;
};

export const parseSettle = (v: string) => {
  const ms = parseDuration(v);
  if (ms === undefined || ms < 0) throw new InvalidArgumentError(`"${v}" is not a duration such as 2s or 500ms`);
  return ms;
};

export interface SettleOptions {
  timeoutMs: number;
  settleMs: number;
  /** The status now, or undefined when it cannot be had yet (an engine still starting). */
  poll: () => Promise<EngineStatus | undefined>;
  /** True when there is no point in waiting longer (the engine's process is gone). */
  givenUp?: () => boolean;
}

/** Poll until the wanted services settle or the time is up; the last status seen and whether they settled. */
export async function waitSettled(wanted: (s: ServiceStatus) => boolean, opts: SettleOptions): Promise<{ status?: EngineStatus; settled: boolean }> {
  const deadline = Date.now() + opts.timeoutMs;
  let status: EngineStatus | undefined;
  let seen = '';
  let unchangedSince = Date.now();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    const now = await opts.poll();
    if (!now) {
      if (opts.givenUp?.()) break;
      continue;
    }
    status = now;
    const mine = now.services.filter(wanted);
    const picture = pictureOf(mine);
    if (picture !== seen) {
      seen = picture;
      unchangedSince = Date.now();
    }
    if (atRest(mine) && Date.now() - unchangedSince >= opts.settleMs) return { status, settled: true };
  }
  return { ...(status ? { status } : {}), settled: false };
}

/** The wanted services that are not ready (nor completed), named with their state and why. */
export function notReadyOf(status: EngineStatus, wanted: (s: ServiceStatus) => boolean): string {
  return status.services
    .filter((s) => wanted(s) && !(s.state === 'ready' || s.completed))
    .map((s) => `${s.name} (${s.state}: ${s.reason})`)
    .join(', ');
}

/** Every service has come to rest: ready, completed, failed, or degraded by an upstream. */
function atRest(services: ServiceStatus[]): boolean {
  return services.every((s) => s.completed || s.state === 'ready' || s.state === 'failed' || (s.state === 'degraded' && s.reason.startsWith('upstream')));
}

/** What must not change during the settle window: each service's state, process and restarts. */
function pictureOf(services: ServiceStatus[]): string {
  return services.map((s) => `${s.name}:${s.state}:${s.pid ?? '-'}:${s.restarts}:${s.completed}`).join(' ');
}
