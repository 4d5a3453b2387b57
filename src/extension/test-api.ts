/**
 * What `activate()` returns: the test API of docs/extension-contract.md, for the in-host suite
 * (`vscode.extensions.getExtension('opsdeck.opsdeck').activate()`). Read-only views of what the
 * extension shows; every action goes through the commands.
 */
import type { EngineStatus } from '../core/contract';
import type { ConfigAnswer } from './config-apply';
import type { DoctorItemSnapshot } from './doctor/doctor-tree';
import type { HealthPickSnapshot } from './health-pick';
import type { AlertsView } from '../core/contract';
import type { ShownNotification } from './notifications';
import type { StackSnapshot } from './state/stack-store';
import type { StackState } from '../shared/protocol';
import type { ServiceItemSnapshot } from './services-tree';
import type { StatusBarSnapshot } from './status-bar';
import type { ConnectionMode } from './status-model';
import type { ActivationTimings } from './timings';

export interface OpsdeckTestApi {
  /** A fresh status from the engine (after the first connection attempt), undefined without one. */
  status(): Promise<EngineStatus | undefined>;
  /** The visible status bar items (`opsdeck.status`, `opsdeck.ipc`, `opsdeck.profile`): text, markdown tooltip, accessibility label, theme colour id of the background, the store snapshot's `seq`. */
  statusBar(): StatusBarSnapshot[];
  /** The state model's current snapshot (state/stack-store.ts), which the status bar and the tree render. */
  store(): StackSnapshot;
  /** The last state message the Metrics view was sent (its header: ready count, IPC, profile), undefined until the view was shown. */
  webviewState(): StackState | undefined;
  /**
   * The Services tree's top-level items: per service, label = its name, description
   * `ready · OK · 1.2% CPU · 45 MB · up 5.2s · 0 restarts · http://127.0.0.1:7101`, contextValue
   * `service-running` | `service-stopped` | `service-failed` (`-outside` appended when not in the
   * active profile), children its probes, last restart and backup; without an engine one item
   * `No engine` (contextValue `no-engine`) whose description says why.
   */
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
  /** The "opsdeck.yaml changed: … Apply / Not now" prompts shown so far, oldest first. */
  configPrompts(): string[];
  /** Answer those prompts with `answer` instead of the user (undefined: ask the user again). */
  answerConfigPrompts(answer: ConfigAnswer | undefined): void;
  /** Resolves when no change of opsdeck.yaml is being offered or applied. */
  configSettled(): Promise<void>;
  /** The Diagnostics view after Run Diagnostics: per category its counts and checks (label, found, status). */
  diagnostics(): DoctorItemSnapshot[];
  /** The Alerts view's last answer from the engine, and the alert notifications shown, oldest first. */
  alerts(): { view: AlertsView | undefined; shown: { incident: string; phase: string; message: string; actions: string[] }[] };
}
