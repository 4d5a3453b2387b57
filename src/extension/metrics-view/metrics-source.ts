/**
 * What the Metrics view needs from the engine besides the extension's state snapshot (status,
 * metrics sample, profiles and backups come from the StackStore): the chart history, the restart
 * events for the timeline, and a way to carry out the user's requests. `metricsSourceFromClient`
 * in api-metrics-source.ts implements it over the ApiClient; the view calls it only while visible.
 */
import type { EngineEvent, MetricsHistory } from '../../core/contract';
import type { SidebarCommand } from '../../shared/protocol';

/** Structurally a `vscode.Disposable` (and the engine's Disposable). */
export interface SourceDisposable {
  dispose(): void;
}

export interface MetricsSource {
  /**
   * The history since `sinceMs` (epoch ms) of a range `spanMs` long: up to an hour the sampled
   * history (`ApiClient.metricsHistory`), longer the long-term store's rollups in its shape.
   */
  history(sinceMs: number, spanMs?: number): Promise<MetricsHistory>;
  /**
   * Every engine event from now until the returned disposable is disposed. The view subscribes
   * only while it is visible (for restart marks). Listener errors must not break the source.
   */
  onEvent(listener: (event: EngineEvent) => void): SourceDisposable;
  /**
   * Carry out a user request from the view; resolves when done, rejects with an Error (an
   * OpsError's message and hint are shown) when it failed. `commandRunner(vscode.commands.executeCommand)`
   * from contract-commands.ts runs each through the extension's own command (`opsdeck.startStack`, …).
   */
  run(command: SidebarCommand): Promise<void>;
}
