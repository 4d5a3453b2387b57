/**
 * The progress of `opsdeck maintain` on stderr: a bar per task on a terminal (its steps, the step
 * running, its time), one JSON line per step otherwise (`{"task", "index", "tasks", "step",
 * "done", "total", "elapsedMs"}`), so that scripts and tests can follow it.
 */
import { MultiBar, type SingleBar } from 'cli-progress';
import { formatDuration, type MaintenanceProgress } from '../core/contract';

export interface MaintainProgress {
  update(p: MaintenanceProgress): void;
  stop(): void;
}

export function maintainProgress(): MaintainProgress {
  if (!process.stderr.isTTY) {
    return { update: (p) => void process.stderr.write(JSON.stringify({ progress: p }) + '\n'), stop: () => undefined };
  }
  const multi = new MultiBar(
    { format: '{task} {bar} {value}/{total} | {step} | {elapsed}', barsize: 20, hideCursor: true, clearOnComplete: false, stopOnComplete: false, stream: process.stderr },
    undefined,
  );
  const bars = new Map<string, SingleBar>();
  return {
    update(p) {
      const payload = { task: p.task.padEnd(28).slice(0, 40), step: p.step, elapsed: formatDuration(p.elapsedMs) };
      const total = Math.max(1, p.total);
      let bar = bars.get(p.task);
      if (!bar) {
        bar = multi.create(total, Math.min(p.done, total), payload);
        bars.set(p.task, bar);
      } else bar.update(Math.min(p.done, total), payload);
    },
    stop: () => multi.stop(),
  };
}
