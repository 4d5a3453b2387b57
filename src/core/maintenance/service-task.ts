/**
 * A task a service declares (`maintenance.tasks.<name>`): its command, run in the service's
 * folder with the service's environment, within its timeout; the last lines of its output are
 * the step's detail. `requires_stop` (the task's, else the service's) has the runner stop the
 * service around it, behind the health gate.
 */
import path from 'node:path';
import { execa } from 'execa';
import { effectiveEnv, type LoadedStack } from '../config/load';
import { formatDuration } from '../duration';
import type { MaintenanceTask } from './task';

const lastLines = (text: string, n = 5) => text.trim().split('\n').slice(-n).join('\n');

export function serviceTask(stack: LoadedStack, service: string, name: string): MaintenanceTask {
  const svc = stack.config.services[service]!;
  const task = svc.maintenance!.tasks[name]!;
  const cwd = path.resolve(stack.dir, svc.cwd ?? '.');
  return {
    id: `${service}:task:${name}`,
    service,
    kind: 'task',
    title: `${name}: ${task.command.join(' ')}`,
    requiresStop: task.requires_stop ?? svc.maintenance!.requires_stop,
    daily: task.daily,
    steps: [name],
    async plan() {
      return { plan: [`run ${task.command.join(' ')} in ${path.relative(stack.dir, cwd) || '.'} (at most ${formatDuration(task.timeout)})`], before: {} };
    },
    async run(ctx, steps) {
      const out = await steps.run(name, async () => {
        const r = await execa(task.command[0]!, task.command.slice(1), {
          cwd,
          env: effectiveEnv(stack, service),
          reject: false,
          all: true,
          timeout: task.timeout,
          stdin: 'ignore',
          ...(ctx.signal ? { cancelSignal: ctx.signal } : {}),
        });
        if (r.exitCode !== 0) throw new Error(`${task.command.join(' ')} ${r.timedOut ? `timed out after ${formatDuration(task.timeout)}` : `exited with ${r.exitCode ?? r.signal}`}: ${lastLines(String(r.all ?? r.shortMessage))}`);
        return lastLines(String(r.all ?? '')) || 'done';
      });
      return { after: {}, summary: `${name}: ${out.split('\n').at(-1)}` };
    },
  };
}
