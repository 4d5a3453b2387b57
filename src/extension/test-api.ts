/**
 * What `activate()` returns: the test API of docs/extension-contract.md, for the in-host suite
 * (`vscode.extensions.getExtension('opsdeck.opsdeck').activate()`). Read-only views of what the
 * extension shows; every action goes through the commands.
 */
import type { EngineStatus } from '../core/contract';
import type { HealthPickSnapshot } from './health-pick';
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
  /** The notifications shown so far, oldest first (after de-duplication, cooldown and silencing); an incident's entry is updated in place (`messages`, `resolved`). */
  notifications(): ShownNotification[];
  /** The last Run Health Check result shown (the quick pick: one item per service with its level and reason). */
  healthResult(): HealthPickSnapshot | undefined;
  mode(): ConnectionMode;
  /** Resolves once the first connection attempt has finished (activation waits for it up to 5 s). */
  ready(): Promise<void>;
  /** When activation happened (`performance.now()` in the extension host), for bench/extension/. */
  timings(): ActivationTimings;
}
