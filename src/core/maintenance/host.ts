/**
 * What maintenance needs from the engine that owns the stack, and nothing more: the stack as it
 * is now, the event bus, the clock, its services (the ServiceControl restores use), its backups
 * and its memory. The Engine provides it; nothing in src/core/maintenance imports the engine.
 */
import type { Clock } from '../clock';
import type { LoadedStack } from '../config/load';
import type { ServiceControl } from '../backup/host';
import type { BackupService } from '../contract/backups';
import type { EventBus } from '../events';
import type { MemoryUpkeep, MetricsUpkeep } from './task';

export interface MaintenanceHost {
  stack(): LoadedStack;
  bus: EventBus;
  clock: Clock;
  control: ServiceControl;
  backups: BackupService;
  /** Undefined when the engine keeps no memory. */
  memory(): MemoryUpkeep | undefined;
  /** Undefined when this process does not own the long-term metrics store. */
  metrics?(): MetricsUpkeep | undefined;
  /** Forget snapshots of the backup repository by id (cleanup's safety snapshots). */
  forgetSnapshots(ids: string[]): Promise<void>;
}
