/**
 * Runs maintenance tasks one after the other: a dry run asks each for its plan; a run asks for the
 * plan (the figures before), runs the task's steps (stopping its service around them when the
 * task needs it: stop-gate.ts), reports each step as progress, times the task and records it as a
 * `maintenance` event (searchable in memory). A failed task does not stop the others; a
 * cancelled run (the signal) stops before the next task.
 */
import type { EventBus } from '../events';
import type { MaintenanceProgress, MaintenanceRunResult, MaintenanceTaskResult } from '../contract/maintenance';
import { withServiceStopped } from './stop-gate';
import { stepRecorder, type MaintenanceTask, type TaskContext } from './task';

export interface RunOptions {
  dryRun: boolean;
  trigger: 'manual' | 'schedule';
  bus: EventBus;
  onProgress?: (p: MaintenanceProgress) => void;
}

export async function runTasks(tasks: MaintenanceTask[], ctx: TaskContext, opts: RunOptions): Promise<MaintenanceRunResult> {
  const t0 = ctx.clock.now();
  const results: MaintenanceTaskResult[] = [];
  for (const [i, task] of tasks.entries()) {
    if (ctx.signal?.aborted) {
      results.push(base(task, opts.dryRun, { ok: false, skipped: 'cancelled before it started', durationMs: 0 }));
      continue;
    }
    const started = ctx.clock.now();
    const progress = (step: string, done: number) =>
      opts.onProgress?.({ task: task.id, index: i + 1, tasks: tasks.length, step, done, total: task.steps.length, elapsedMs: ctx.clock.now() - started });
    results.push(await runOne(task, ctx, opts, progress));
    progress('done', task.steps.length);
  }
  return { dryRun: opts.dryRun, ok: results.every((r) => r.ok), tasks: results, durationMs: ctx.clock.now() - t0 };
}

function base(task: MaintenanceTask, dryRun: boolean, rest: Partial<MaintenanceTaskResult> & { ok: boolean; durationMs: number }): MaintenanceTaskResult {
  return { id: task.id, service: task.service, kind: task.kind, dryRun, plan: [], steps: [], before: {}, after: {}, ...rest };
}

async function runOne(task: MaintenanceTask, ctx: TaskContext, opts: RunOptions, progress: (step: string, done: number) => void): Promise<MaintenanceTaskResult> {
  const started = ctx.clock.now();
  progress('plan', 0);
  let plan;
  try {
    plan = await task.plan(ctx);
  } catch (e) {
    return record(task, ctx, opts, base(task, opts.dryRun, { ok: false, error: (e as Error).message, durationMs: ctx.clock.now() - started }));
  }
  const planned = { plan: plan.plan, before: plan.before, ...(plan.reclaimedBytes !== undefined ? { reclaimedBytes: plan.reclaimedBytes } : {}) };
  if (plan.skipped) return base(task, opts.dryRun, { ...planned, ok: true, skipped: plan.skipped, durationMs: ctx.clock.now() - started });
  if (opts.dryRun) return base(task, true, { ...planned, ok: true, durationMs: ctx.clock.now() - started });
  const steps = stepRecorder(ctx.clock, progress);
  try {
    const body = () => task.run(ctx, steps, plan);
    const out = task.requiresStop ? await withServiceStopped(ctx.control, task.service, body, (s) => progress(s, steps.recorded.length)) : await body();
    return record(task, ctx, opts, base(task, false, { ...planned, ok: true, steps: steps.recorded, after: out.after, ...(out.reclaimedBytes !== undefined ? { reclaimedBytes: out.reclaimedBytes } : {}), durationMs: ctx.clock.now() - started }), out.summary);
  } catch (e) {
    return record(task, ctx, opts, base(task, false, { ...planned, ok: false, steps: steps.recorded, error: (e as Error).message, durationMs: ctx.clock.now() - started }));
  }
}

/** The task's `maintenance` event; the result as it is. */
function record(task: MaintenanceTask, ctx: TaskContext, opts: RunOptions, r: MaintenanceTaskResult, summary?: string): MaintenanceTaskResult {
  if (opts.dryRun) return r;
  opts.bus.emit({
    type: 'maintenance',
    at: ctx.clock.now(),
    service: task.service,
    task: task.id,
    kind: task.kind,
    ok: r.ok,
    trigger: opts.trigger,
    summary: summary ?? r.error ?? '',
    durationMs: r.durationMs,
    ...(r.ok && r.reclaimedBytes !== undefined ? { reclaimedBytes: r.reclaimedBytes } : {}),
    ...(r.error ? { error: r.error } : {}),
  });
  return r;
}
