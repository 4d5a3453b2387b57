/**
 * `opsdeck:metrics`: compaction of Opsdeck's long-term metrics store (`.opsdeck/metrics.db`):
 * take in what the recorder journaled, drop what is past `metrics.retention`, VACUUM (rewrite
 * the file without free pages and fragmentation) and PRAGMA optimize. It goes through the
 * process that owns the store: the engine's store worker, or, when no engine runs, this command
 * under the stack lock (src/core/metrics/store/ingest.ts). Size before and after.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { LoadedStack } from '../config/load';
import { OPSDECK_SERVICE } from '../contract/maintenance';
import { formatDuration } from '../duration';
import { count, formatBytes } from '../format';
import { skippedPlan, type MaintenanceTask } from './task';

/** A retention as days when it is whole days (90d), else as formatDuration does. */
const span = (ms: number) => (ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : formatDuration(ms));

const dbPath = (stack: LoadedStack) => path.join(stack.dir, '.opsdeck', 'metrics.db');
const journalDir = (stack: LoadedStack) => path.join(stack.dir, '.opsdeck', 'metrics-journal');

export function metricsTask(): MaintenanceTask {
  return {
    id: `${OPSDECK_SERVICE}:metrics`,
    service: OPSDECK_SERVICE,
    kind: 'metrics',
    title: 'metrics store: apply retention, VACUUM and optimize metrics.db',
    requiresStop: false,
    daily: true,
    steps: ['compact'],
    async plan(ctx) {
      const file = dbPath(ctx.stack);
      if (!existsSync(file) && !existsSync(journalDir(ctx.stack))) return skippedPlan('this stack has no long-term metrics yet (recorded while the engine runs)');
      const { minute, hour } = ctx.stack.config.metrics.retention;
      const bytes = existsSync(file) ? statSync(file).size : 0;
      const plan = [`take in the rollup journal, drop minutes older than ${span(minute)} and hours and marks older than ${span(hour)}`, `VACUUM metrics.db (${formatBytes(bytes)} now; the rewrite needs about that much free)`, 'PRAGMA optimize'];
      if (!ctx.metrics) plan.push('(no engine owns the stack: a real run does it in this command, under the stack lock)');
      return { plan, before: { bytes } };
    },
    async run(ctx, steps) {
      if (!ctx.metrics) throw new Error('this process does not own the metrics store: run it through the engine that owns the stack, or without one (the command then holds the stack)');
      let r: Awaited<ReturnType<NonNullable<typeof ctx.metrics>['compact']>> | undefined;
      await steps.run('compact', async () => {
        r = await ctx.metrics!.compact();
        return `${formatBytes(r.before.bytes)} → ${formatBytes(r.after.bytes)}; ${count(r.after.minuteRows, 'minute row')}, ${count(r.after.hourRows, 'hour row')}, ${count(r.after.marks, 'mark')} kept`;
      });
      const { before, after } = r!;
      const dropped = before.minuteRows + before.hourRows + before.marks - (after.minuteRows + after.hourRows + after.marks);
      return {
        after: { bytes: after.bytes, minuteRows: after.minuteRows, hourRows: after.hourRows, marks: after.marks },
        reclaimedBytes: Math.max(0, before.bytes - after.bytes),
        summary: `metrics.db ${formatBytes(before.bytes)} → ${formatBytes(after.bytes)}, ${count(dropped, 'row')} past retention dropped`,
      };
    },
  };
}
