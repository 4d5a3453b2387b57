/**
 * Clearing a service's caches (`maintenance.cache`): the content of each declared folder (the
 * folder stays, empty) or the declared file, inside the stack folder only. The runner stops the
 * service first and starts it again behind the health gate when `maintenance.requires_stop` says
 * so (stop-gate.ts).
 */
import { lstatSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { LoadedStack } from '../config/load';
import { count, formatBytes } from '../format';
import { skippedPlan, type MaintenanceTask } from './task';
import { treeSize } from './tree-size';

/** The declared path, resolved; undefined when it (or a link on its way) leads outside the stack folder. */
function insideStack(stackDir: string, p: string): string | undefined {
  let real: string;
  try {
    real = realpathSync(p);
  } catch {
    return p; // not there: nothing to clear, nothing outside
  }
  const root = realpathSync(stackDir);
  const rel = path.relative(root, real);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? real : undefined;
}

export function cacheTask(stack: LoadedStack, service: string): MaintenanceTask {
  const cfg = stack.config.services[service]!;
  const serviceDir = path.resolve(stack.dir, cfg.cwd ?? '.');
  const declared = cfg.maintenance!.cache;
  const targets = () => declared.map((c) => ({ name: c, abs: insideStack(stack.dir, path.resolve(serviceDir, c)) }));
  return {
    id: `${service}:cache`,
    service,
    kind: 'cache',
    title: `clear ${declared.join(', ')}${cfg.maintenance!.requires_stop ? ' (stops and restarts the service)' : ''}`,
    requiresStop: cfg.maintenance!.requires_stop,
    daily: true,
    steps: declared.map((c) => `clear ${c}`),
    async plan() {
      const ts = targets();
      const outside = ts.filter((t) => !t.abs).map((t) => t.name);
      if (outside.length) return skippedPlan(`${outside.join(', ')} lead${outside.length === 1 ? 's' : ''} outside the stack folder (a symbolic link): not cleared`);
      const sizes = ts.map((t) => ({ ...t, ...treeSize(t.abs!) }));
      const bytes = sizes.reduce((n, s) => n + s.bytes, 0);
      const files = sizes.reduce((n, s) => n + s.files, 0);
      return {
        plan: sizes.map((s) => `clear ${s.name}: ${count(s.files, 'file')}, ${formatBytes(s.bytes)}`),
        before: { bytes, files },
        reclaimedBytes: bytes,
        ...(files === 0 ? { skipped: 'the caches are empty' } : {}),
      };
    },
    async run(_ctx, steps, plan) {
      for (const t of targets()) {
        await steps.run(`clear ${t.name}`, () => {
          const size = treeSize(t.abs!);
          let st;
          try {
            st = lstatSync(t.abs!);
          } catch {
            return 'not there';
          }
          if (st.isDirectory()) for (const name of readdirSync(t.abs!)) rmSync(path.join(t.abs!, name), { recursive: true, force: true });
          else rmSync(t.abs!, { force: true });
          return `removed ${count(size.files, 'file')} (${formatBytes(size.bytes)})`;
        });
      }
      const after = targets().reduce((a, t) => ({ bytes: a.bytes + treeSize(t.abs!).bytes, files: a.files + treeSize(t.abs!).files }), { bytes: 0, files: 0 });
      const freed = Math.max(0, (plan.before.bytes ?? 0) - after.bytes);
      return { after, reclaimedBytes: freed, summary: `cleared ${declared.join(', ')}: ${formatBytes(freed)} freed` };
    },
  };
}
