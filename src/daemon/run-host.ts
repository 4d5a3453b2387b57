/**
 * Running the engine that owns a stack in this process, until a signal or `opsdeck down` stops
 * it: the daemon's body (daemon-main.ts, and `opsdeck daemon`), which `opsdeck up` in the
 * foreground runs too, with a terminal in front. No commander here: the daemon bundle loads this
 * without the CLI.
 */
import { type EngineLike, OPSDECK_VERSION as VERSION } from '../core/contract';
import { type EngineHost, openStack } from '../core/host';
import { restoreServiceEnv } from './daemon-process';

/** Take the stack in `dir` as `owner` (up, daemon); report a stale lock taken over and the services its dead owner left running. */
export async function startHost(dir: string, owner: string, profile?: string): Promise<EngineHost> {
  // Become the owner (src/core/host/open-stack.ts): the lock, a stale owner taken over, its leftovers stopped, the API served.
  const opened = await openStack(dir, { mode: 'embed', owner, version: VERSION, ...(profile ? { profile } : {}) });
  if (opened.role !== 'owner') throw new Error(`openStack in embed mode answered ${opened.role}`);
  const host = opened.host;
  if (profile) await host.engine.useProfile(profile);
  const stale = host.tookOverFrom;
  if (stale) process.stderr.write(`note: took over a stale lock left by pid ${stale.pid} (${stale.owner}), which is no longer running\n`);
  const leftovers = host.leftoverNote;
  if (leftovers) process.stderr.write(`note: ${leftovers}\n`);
  return host;
}

/** Resolve when the host was stopped by a signal or by `opsdeck down`. */
export function untilStopped(host: EngineHost, onStop?: () => void): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = async (why: string) => {
      if (stopping) return;
      stopping = true;
      onStop?.();
      process.stderr.write(`${why}: stopping the stack…\n`);
      await host.stop();
      process.stderr.write('stopped\n');
      resolve();
    };
    process.once('SIGINT', () => void stop('interrupted'));
    process.once('SIGTERM', () => void stop('terminated'));
    // The terminal went away (window closed, ssh dropped): stop rather than die and orphan the stack.
    process.once('SIGHUP', () => void stop('terminal closed'));
    host.engine.onStackDown(() => void stop('stack stopped with `opsdeck down`'));
  });
}

/** Without a terminal: one line per state change. */
export function stateLines(engine: EngineLike): { stop(): void } {
  const sub = engine.bus.on('state', (e) =>
    process.stdout.write(`${new Date(e.at).toISOString()} ${e.service} ${e.from} → ${e.to}: ${e.reason}\n`),
  );
  return { stop: () => sub.dispose() };
}

/**
 * `opsdeck daemon`: give the services the user's environment (restoreServiceEnv), take the stack,
 * log state changes, start the services (unless told not to), run until stopped.
 */
export async function runDaemon(dir: string, opts: { profile?: string; start: boolean; services: string[] }): Promise<void> {
  restoreServiceEnv();
  const host = await startHost(dir, 'daemon', opts.profile);
  stateLines(host.engine);
  try {
    if (opts.start) host.engine.up(opts.services.length ? opts.services : undefined);
  } catch (e) {
    // An unknown service name: release the stack rather than hold it with nothing started.
    await host.stop();
    throw e;
  }
  await untilStopped(host);
}
