/**
 * The maintenance of one SQLite database a service declares in `backup.sqlite`: PRAGMA optimize,
 * ANALYZE, REINDEX, VACUUM (only when the volume has room for the copy VACUUM writes and its
 * journal, about twice the database; it reclaims at least freelist_count × page_size, the free
 * pages, and more where pages are half empty), then PRAGMA integrity_check. Opened with
 * node-sqlite3-wasm (sqlite-open.ts), waiting for a live writer's lock; a WAL-mode database only
 * while its service is stopped. Each step is a transaction of SQLite's own: a kill at any point
 * leaves the database as it was before the step (a hot journal that the next opener rolls back).
 */
import { statfsSync, statSync } from 'node:fs';
import path from 'node:path';
import { formatBytes } from '../format';
import type { LoadedStack } from '../config/load';
import { openForMaintenance, type MaintenanceDb } from './sqlite-open';
import { skippedPlan, type MaintenanceTask, type TaskContext } from './task';

/** How long a statement waits for a live writer's lock. */
export const SQLITE_BUSY_TIMEOUT_MS = 30_000;

const STEPS = ['optimize', 'analyze', 'reindex', 'vacuum', 'integrity_check'];

interface Figures {
  bytes: number;
  pages: number;
  freePages: number;
  pageSize: number;
}

async function figures(db: MaintenanceDb, file: string): Promise<Figures> {
  return {
    bytes: statSync(file).size,
    pages: Number(await db.value('PRAGMA page_count')),
    freePages: Number(await db.value('PRAGMA freelist_count')),
    pageSize: Number(await db.value('PRAGMA page_size')),
  };
}

/** Free bytes on the volume of `file`. */
function freeBytes(file: string): number {
  const s = statfsSync(path.dirname(file));
  return s.bavail * s.bsize;
}

/** VACUUM writes a new copy and journals the old: room for about twice the database. */
const vacuumNeeds = (bytes: number) => bytes * 2;

export function sqliteTask(stack: LoadedStack, service: string, file: string): MaintenanceTask {
  const serviceDir = path.resolve(stack.dir, stack.config.services[service]?.cwd ?? '.');
  const abs = path.resolve(serviceDir, file);
  const rel = path.relative(stack.dir, abs).split(path.sep).join('/');
  const open = (ctx: TaskContext) => {
    const exclusive = !ctx.control.active().includes(service);
    return openForMaintenance(abs, { busyTimeoutMs: SQLITE_BUSY_TIMEOUT_MS, exclusive });
  };
  return {
    id: `${service}:sqlite:${rel}`,
    service,
    kind: 'sqlite',
    title: `SQLite ${rel}: optimize, ANALYZE, REINDEX, VACUUM (when there is room), integrity_check`,
    requiresStop: stack.config.services[service]?.maintenance?.requires_stop ?? false,
    daily: true,
    steps: STEPS,
    async plan(ctx) {
      let db: MaintenanceDb;
      try {
        statSync(abs);
        db = await open(ctx);
      } catch (e) {
        return skippedPlan(`cannot open ${rel}: ${(e as Error).message}`);
      }
      try {
        const f = await figures(db, abs);
        const reclaim = f.freePages * f.pageSize;
        const free = freeBytes(abs);
        const vacuum =
          free >= vacuumNeeds(f.bytes)
            ? `VACUUM: rewrite ${formatBytes(f.bytes)}, reclaiming at least ${formatBytes(reclaim)} (${f.freePages} free pages × ${f.pageSize} bytes)`
            : `skip VACUUM: it needs about ${formatBytes(vacuumNeeds(f.bytes))} free, the volume has ${formatBytes(free)}`;
        return {
          plan: ['PRAGMA optimize', 'ANALYZE', 'REINDEX', vacuum, 'PRAGMA integrity_check'],
          before: { bytes: f.bytes, pages: f.pages, freePages: f.freePages, pageSize: f.pageSize, freeDiskBytes: free },
          reclaimedBytes: free >= vacuumNeeds(f.bytes) ? reclaim : 0,
        };
      } finally {
        db.close();
      }
    },
    async run(ctx, steps, plan) {
      const db = await open(ctx);
      try {
        await steps.run('optimize', async () => {
          await db.exec('PRAGMA optimize');
          return 'PRAGMA optimize done';
        });
        await steps.run('analyze', async () => {
          await db.exec('ANALYZE');
          return 'statistics gathered';
        });
        await steps.run('reindex', async () => {
          await db.exec('REINDEX');
          return 'indexes rebuilt';
        });
        const before = (plan.before.bytes ?? 0) as number;
        await steps.run('vacuum', async () => {
          const free = freeBytes(abs);
          if (free < vacuumNeeds(before)) return `skipped: VACUUM needs about ${formatBytes(vacuumNeeds(before))} free, the volume has ${formatBytes(free)}`;
          await db.exec('VACUUM');
          return `rewritten: ${formatBytes(before)} → ${formatBytes(statSync(abs).size)}`;
        });
        const check = await steps.run('integrity_check', async () => {
          const rows = await db.all('PRAGMA integrity_check');
          const detail = rows.map((r) => String(Object.values(r)[0])).join('; ');
          if (detail !== 'ok') throw new Error(`integrity_check of ${rel} found problems: ${detail} (restore it from a backup: opsdeck restore latest --in-place --service ${service})`);
          return 'ok';
        });
        const f = await figures(db, abs);
        const reclaimed = Math.max(0, before - f.bytes);
        return {
          after: { bytes: f.bytes, pages: f.pages, freePages: f.freePages, pageSize: f.pageSize },
          reclaimedBytes: reclaimed,
          summary: `${rel}: ${formatBytes(before)} → ${formatBytes(f.bytes)}, integrity_check ${check}`,
        };
      } finally {
        db.close();
      }
    },
  };
}
