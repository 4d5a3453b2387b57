/**
 * What the Metrics view needs from the engine, and nothing more. The extension core implements
 * it (over the ApiClient of the engine it attached to or embeds; `metricsSourceFromClient` in
 * api-metrics-source.ts does most of that) and hands it to `MetricsViewProvider`. The view calls
 * it only while it is visible.
 */
import type { EngineEvent, EngineStatus, MetricsHistory, ProfilesInfo, StackMetrics } from '../../core/contract';
import type { BackupsInfo, SidebarCommand } from '../../shared/protocol';

/** Structurally a `vscode.Disposable` (and the engine's Disposable). */
export interface SourceDisposable {
  dispose(): void;
}

export interface MetricsSource {
  /** The stack, its services and the IPC score now (`ApiClient.status()`). */
  status(): Promise<EngineStatus>;
  /** The profiles of the stack and the active one (`ApiClient.profiles()`). */
  profiles(): Promise<ProfilesInfo>;
  /** The latest metrics sample (`ApiClient.metrics()`, which is a StackMetrics). */
  metrics(): Promise<StackMetrics>;
  /** The sampled history since `sinceMs` (epoch ms) (`ApiClient.metricsHistory({ since: sinceMs })`). */
  history(sinceMs: number): Promise<MetricsHistory>;
  /**
   * Every engine event from now until the returned disposable is disposed. The view subscribes
   * only while it is visible. Listener errors are the view's own and must not break the source.
   */
  onEvent(listener: (event: EngineEvent) => void): SourceDisposable;
  /**
   * Carry out a user request from the view; resolves when done, rejects with an Error (an
   * OpsError's message and hint are shown) when it failed. `commandRunner(vscode.commands.executeCommand)`
   * from contract-commands.ts runs each through the extension's own command (`opsdeck.startStack`, …).
   */
  run(command: SidebarCommand): Promise<void>;
  /**
   * Last backup per service against its RPO. Leave it out, or answer `{ available: false, reason }`,
   * while the engine has no backups: the view then says so and disables "Backup now".
   */
  backups?(): Promise<BackupsInfo>;
}
