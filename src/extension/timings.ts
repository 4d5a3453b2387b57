/**
 * When activation happened, for the extension bench (bench/extension/) through the test API:
 * `performance.now()` in the extension host, i.e. ms since the extension host process started
 * (add `timeOrigin` for epoch ms). Each mark is set once, the first time; nothing reads a clock
 * after the first real status bar update.
 */
export interface ActivationTimings {
  /** `performance.timeOrigin` of the extension host (epoch ms). */
  timeOrigin: number;
  /** `activate()` was called. */
  activateStartMs?: number;
  /** `activate()` returned (it waits up to 5 s for the first connection). */
  activateEndMs?: number;
  /** The workspace's opsdeck.yaml was found. */
  stackFoundMs?: number;
  /** An embedded engine started to take the stack (EngineHost.start: config, lock, memory store, API socket)... */
  engineStartMs?: number;
  /** ...and was serving its API. */
  engineStartedMs?: number;
  /** First `show()` of the `opsdeck.status` item, whatever it shows (the placeholder before an engine answers). */
  statusBarFirstShownMs?: number;
  /** First `show()` of the `opsdeck.status` item with an engine's status (real data). */
  statusBarShownMs?: number;
  /** The item's text at that show. */
  statusBarText?: string;
}

export const activationTimings: ActivationTimings = { timeOrigin: performance.timeOrigin };

type Mark = 'activateStartMs' | 'activateEndMs' | 'stackFoundMs' | 'engineStartMs' | 'engineStartedMs' | 'statusBarFirstShownMs' | 'statusBarShownMs';

/** Record `key` now, unless it is recorded already. */
export function markActivation(key: Mark): void {
  if (activationTimings[key] === undefined) activationTimings[key] = performance.now();
}
