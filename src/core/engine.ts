/**
 * The composition root of the engine for one stack: its config, event bus and supervisor, and
 * the questions every surface asks (health). The CLI, the daemon and the extension create one
 * Engine and talk to it; they never wire the parts themselves.
 */
import { systemClock, type Clock } from './clock';
import { loadConfig, type LoadedStack, type LoadOptions } from './config/load';
import { EventBus } from './events';
import { stackHealth, type StackHealth } from './health/summary';
import { Supervisor } from './supervisor/supervisor';

export interface EngineOptions extends LoadOptions {
  clock?: Clock;
  random?: () => number;
}

export class Engine {
  readonly bus = new EventBus();
  readonly supervisor: Supervisor;

  constructor(
    readonly stack: LoadedStack,
    opts: EngineOptions = {},
  ) {
    this.supervisor = new Supervisor(stack, { bus: this.bus, clock: opts.clock ?? systemClock, ...(opts.random ? { random: opts.random } : {}) });
  }

  /** Load `opsdeck.yaml` (a file or the folder holding it) and build its engine. */
  static async open(path: string, opts: EngineOptions = {}): Promise<Engine> {
    return new Engine(await loadConfig(path, opts), opts);
  }

  /** OK / WARNING / CRITICAL / UNKNOWN for every service and the stack. */
  health(): StackHealth {
    return stackHealth(this.supervisor.snapshot(), (name) => this.supervisor.isActive(name));
  }

  /** Run every service's full-functionality check, then report health. */
  async checkAll(): Promise<StackHealth> {
    await Promise.all(this.supervisor.services.filter((s) => this.supervisor.isActive(s)).map((s) => this.supervisor.check(s)));
    return this.health();
  }

  dispose(): Promise<void> {
    return this.supervisor.dispose();
  }
}
