/**
 * What `activate()` returns: the test API of docs/extension-contract.md, for the in-host suite
 * (`vscode.extensions.getExtension('opsdeck.opsdeck').activate()`). Read-only views of what the
 * extension shows; every action goes through the commands.
 */
import type { EngineStatus } from '../core/contract';
import type { ConfigAnswer } from './config-apply';
import type { ShownNotification } from './notifications';
import type { ServiceItemSnapshot } from './services-tree';
import type { StatusBarSnapshot } from './status-bar';
import type { ConnectionMode } from './status-model';
import type { ActivationTimings } from './timings';

export interface OpsdeckTestApi {
  /** A fresh status from the engine (after the first connection attempt), undefined without one. */
  status(): Promise<EngineStatus | undefined>;
  /** The visible status bar items (`opsdeck.status`, `opsdeck.ipc`, `opsdeck.profile`): text, markdown tooltip, theme colour id of the background. */
  statusBar(): StatusBarSnapshot[];
  /** The Services tree's items (label = service name, description `ready · up 5.2s · 0 restarts`, contextValue `service-running` | `service-stopped` | `service-failed`). */
  services(): ServiceItemSnapshot[];
  /** The notifications shown so far, oldest first (after de-duplication, cooldown and silencing). */
  notifications(): ShownNotification[];
  mode(): ConnectionMode;
  /** Resolves once the first connection attempt has finished (activation waits for it up to 5 s). */
  ready(): Promise<void>;
  /** When activation happened (`performance.now()` in the extension host), for bench/extension/. */
  timings(): ActivationTimings;
  /** The "opsdeck.yaml changed: … Apply / Not now" prompts shown so far, oldest first. */
  configPrompts(): string[];
  /** Answer those prompts with `answer` instead of the user (undefined: ask the user again). */
  answerConfigPrompts(answer: ConfigAnswer | undefined): void;
  /** Resolves when no change of opsdeck.yaml is being offered or applied. */
  configSettled(): Promise<void>;
}
