/**
 * What `opsdeck exec --wait-for SERVICE:healthy|started|completed` waits for, outside any engine:
 * `healthy`, the service's readiness probe (http, tcp or exec, as the engine runs it:
 * src/core/health/probes.ts) passing once; `started` and `completed`, the record `opsdeck exec
 * --name` keeps of the service's process (exec-markers.ts). A service without a readiness probe
 * counts as healthy once started, as `depends_on` does in the engine.
 */
import { assertServiceName, effectiveEnv, type LoadedStack } from '../config/load';
import { PROBE_DEFAULTS, type ProbeConfig } from '../config/schema';
import { OpsError } from '../errors';
import { runProbe } from '../health/probes';
import path from 'node:path';
import { markerSays, readExecMarker } from './exec-markers';

export type WaitCondition = 'healthy' | 'started' | 'completed';
export interface WaitSpec {
  service: string;
  condition: WaitCondition;
}

/** `SERVICE:CONDITION` (the condition defaults to healthy), checked against the stack. */
export function parseWaitSpec(text: string, stack: LoadedStack): WaitSpec {
  const m = /^([^:]+)(?::(.*))?$/.exec(text);
  const condition = m?.[2] ?? 'healthy';
  if (!m || !['healthy', 'started', 'completed'].includes(condition)) {
    throw new OpsError('BAD_REQUEST', `--wait-for "${text}" is not SERVICE:healthy, SERVICE:started or SERVICE:completed`, 'e.g. --wait-for storage:healthy');
  }
  assertServiceName(stack, m[1]!);
  const readiness = stack.config.services[m[1]!]!.health.readiness;
  if (condition === 'healthy' && readiness?.log !== undefined) {
    throw new OpsError('BAD_REQUEST', `${m[1]}'s readiness probe is a log probe, which only its engine can see`, `wait for ${m[1]}:started, or give ${m[1]} an http, tcp or exec readiness probe`);
  }
  return { service: m[1]!, condition: condition as WaitCondition };
}

export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Told once per service when it is ready. */
  onReady?: (spec: WaitSpec) => void;
}

/** Sleep `ms`, or less when `signal` aborts; its listener goes with the sleep (a long wait adds none). */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/** One check of one spec: is it ready now? */
async function readyNow(stack: LoadedStack, spec: WaitSpec, signal?: AbortSignal): Promise<{ ok: boolean; why: string }> {
  const probe: ProbeConfig | undefined = stack.config.services[spec.service]!.health.readiness;
  if (spec.condition !== 'healthy' || !probe) {
    const want = spec.condition === 'completed' ? 'completed' : 'started';
    const m = readExecMarker(stack.dir, spec.service);
    return { ok: markerSays(m, want), why: m ? `its process ${m.state === 'started' ? 'is not running' : m.state}` : 'not started by `opsdeck exec --name` in this boot' };
  }
  const cfg = stack.config.services[spec.service]!;
  const r = await runProbe(probe, {
    timeoutMs: probe.timeout ?? PROBE_DEFAULTS.readiness.timeout,
    cwd: path.resolve(stack.dir, cfg.cwd ?? '.'),
    env: { ...(process.env as Record<string, string>), ...effectiveEnv(stack, spec.service) },
    keepConnection: false,
    ...(signal ? { signal } : {}),
  });
  return { ok: r.ok, why: r.error ?? 'probe failed' };
}

/** Wait until every spec is ready; OpsError with what is still not ready at the timeout; false when aborted. */
export async function waitForServices(stack: LoadedStack, specs: WaitSpec[], opts: WaitOptions): Promise<boolean> {
  const deadline = Date.now() + opts.timeoutMs;
  const pending = new Map(specs.map((s) => [`${s.service}:${s.condition}`, { spec: s, why: 'not checked yet' }]));
  while (pending.size) {
    if (opts.signal?.aborted) return false;
    for (const [key, p] of pending) {
      const r = await readyNow(stack, p.spec, opts.signal);
      if (r.ok) {
        pending.delete(key);
        opts.onReady?.(p.spec);
      } else p.why = r.why;
    }
    if (!pending.size) break;
    if (Date.now() >= deadline) {
      const what = [...pending.entries()].map(([k, p]) => `${k} (${p.why})`).join(', ');
      throw new OpsError('WAIT_TIMEOUT', `gave up waiting after ${Math.round(opts.timeoutMs / 1000)}s: not ready: ${what}`, 'see that service\'s log; raise boot.wait_timeout or --timeout if it is only slow');
    }
    await sleep(Math.min(250, Math.max(0, deadline - Date.now())), opts.signal);
  }
  return !opts.signal?.aborted;
}
