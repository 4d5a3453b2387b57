/**
 * The tasks on Opsdeck's own data, under the pseudo-service `opsdeck`: the memory index (merge
 * the full-text index, or rebuild it, and give free pages back), journal compaction (take the
 * journal's segments into memory.db and delete them), and the backup repository (prune what no
 * snapshot references, then verify the structure and the `backup.verify_subset` share of the
 * data). Each goes through the engine's own doors: its memory, its BackupService.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { OPSDECK_SERVICE } from '../contract/maintenance';
import type { LoadedStack } from '../config/load';
import { count, formatBytes } from '../format';
import { skippedPlan, type MaintenanceTask, type TaskContext } from './task';

const noMemory = 'this engine keeps no memory (memory is kept by the engine that owns the stack)';

function journalBytes(stack: LoadedStack): { bytes: number; segments: number } {
  const dir = path.join(stack.dir, '.opsdeck', 'memory-journal');
  if (!existsSync(dir)) return { bytes: 0, segments: 0 };
  const names = readdirSync(dir);
  return { bytes: names.reduce((n, f) => n + statSync(path.join(dir, f)).size, 0), segments: names.length };
}

const memoryDbBytes = (stack: LoadedStack) => {
  const f = path.join(stack.dir, '.opsdeck', 'memory.db');
  return existsSync(f) ? statSync(f).size : 0;
};

export function memoryTask(stack: LoadedStack, rebuild = false): MaintenanceTask {
  return {
    id: `${OPSDECK_SERVICE}:memory${rebuild ? ':rebuild' : ''}`,
    service: OPSDECK_SERVICE,
    kind: 'memory',
    title: rebuild ? 'memory index: rebuild the full-text index from its rows, give free pages back' : 'memory index: merge the full-text index, give free pages back',
    requiresStop: false,
    daily: !rebuild,
    steps: [rebuild ? 'rebuild' : 'optimize'],
    async plan(ctx) {
      if (!ctx.memory) return skippedPlan(noMemory);
      return { plan: [rebuild ? "INSERT INTO events_fts(events_fts) VALUES ('rebuild')" : "INSERT INTO events_fts(events_fts) VALUES ('optimize')", 'PRAGMA incremental_vacuum', 'PRAGMA optimize'], before: { bytes: memoryDbBytes(stack) } };
    },
    async run(ctx, steps) {
      let r: { bytesBefore: number; bytesAfter: number; rows: number } | undefined;
      await steps.run(rebuild ? 'rebuild' : 'optimize', async () => {
        r = await ctx.memory!.optimize(rebuild);
        return `${count(r.rows, 'row')}: ${formatBytes(r.bytesBefore)} → ${formatBytes(r.bytesAfter)}`;
      });
      return { after: { bytes: r!.bytesAfter, rows: r!.rows }, reclaimedBytes: Math.max(0, r!.bytesBefore - r!.bytesAfter), summary: `memory.db ${formatBytes(r!.bytesBefore)} → ${formatBytes(r!.bytesAfter)}` };
    },
  };
}

export function journalTask(stack: LoadedStack): MaintenanceTask {
  return {
    id: `${OPSDECK_SERVICE}:journal`,
    service: OPSDECK_SERVICE,
    kind: 'journal',
    title: 'memory journal: take its segments into memory.db and delete them',
    requiresStop: false,
    daily: true,
    steps: ['compact'],
    async plan(ctx) {
      if (!ctx.memory) return skippedPlan(noMemory);
      const j = journalBytes(stack);
      return { plan: [`take ${count(j.segments, 'segment')} (${formatBytes(j.bytes)}) into memory.db`], before: { bytes: j.bytes, segments: j.segments }, reclaimedBytes: j.bytes };
    },
    async run(ctx, steps, plan) {
      let r = { segments: 0, rows: 0 };
      await steps.run('compact', async () => {
        r = await ctx.memory!.compactJournal();
        return `${count(r.segments, 'segment')}, ${count(r.rows, 'row')} taken in`;
      });
      const j = journalBytes(stack);
      return { after: { bytes: j.bytes, segments: j.segments }, reclaimedBytes: Math.max(0, (plan.before.bytes ?? 0) - j.bytes), summary: `${count(r.segments, 'segment')} (${count(r.rows, 'row')}) taken in` };
    },
  };
}

export function backupsTask(stack: LoadedStack): MaintenanceTask {
  const subset = stack.config.backup.verify_subset;
  const repoExists = async (ctx: TaskContext) => (await ctx.backups.status()).exists;
  return {
    id: `${OPSDECK_SERVICE}:backups`,
    service: OPSDECK_SERVICE,
    kind: 'backups',
    title: `backup repository: prune unreferenced data, verify the structure and ${subset} of the data`,
    requiresStop: false,
    daily: true,
    steps: ['prune', 'verify'],
    async plan(ctx) {
      if (!(await repoExists(ctx))) return skippedPlan('the stack has no backup repository yet (`opsdeck backups init`)');
      const p = await ctx.backups.prune({ dryRun: true });
      return { plan: [`prune: ${formatBytes(p.bytesFreed)} of unreferenced data`, `verify the structure and ${subset} of the data`], before: { bytes: p.bytesBefore, packs: p.packsBefore }, reclaimedBytes: p.bytesFreed };
    },
    async run(ctx, steps) {
      const p = await ctx.backups.prune({});
      await steps.run('prune', () => `${formatBytes(p.bytesFreed)} freed (${p.packsDeleted} packs deleted, ${p.packsRepacked} repacked)`);
      await steps.run('verify', async () => {
        const v = await ctx.backups.verify({ readData: subset });
        if (!v.ok) throw new Error(`verify found damage: ${v.problems.slice(0, 3).map((p) => p.message).join('; ')} (see \`opsdeck backups verify\`)`);
        return `ok: ${count(v.snapshots, 'snapshot')}, ${formatBytes(v.bytesRead)} of data read`;
      });
      return { after: { bytes: p.bytesAfter, packs: p.packsAfter }, reclaimedBytes: p.bytesFreed, summary: `pruned ${formatBytes(p.bytesFreed)}, verify ok` };
    },
  };
}
