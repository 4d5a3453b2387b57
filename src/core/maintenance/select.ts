/**
 * Which tasks a request means: `TASK` words are task ids (`api:sqlite:data/app.db`), id prefixes
 * (`api:sqlite`, `api`), kinds (`sqlite`, `cache`, `memory`…) or the names of services' own tasks
 * (`reindex`); `--service` keeps one service's. No words: every task, except the memory rebuild
 * (asked for by name). A word that matches nothing, or an unknown service, is an error naming
 * what there is, and nothing runs.
 */
import { assertServiceName, type LoadedStack } from '../config/load';
import { didYouMean } from '../config/suggest';
import { MAINTENANCE_KINDS, OPSDECK_SERVICE, type MaintenanceRequest } from '../contract/maintenance';
import { OpsError } from '../errors';
import type { MaintenanceTask } from './task';

/** Does `word` pick `task`? */
export function matches(task: MaintenanceTask, word: string): boolean {
  return task.id === word || task.id.startsWith(`${word}:`) || task.kind === word || (task.kind === 'task' && task.id.endsWith(`:task:${word}`));
}

/** What every task run picks when no word is given (the rebuild is only run when named). */
const byDefault = (t: MaintenanceTask) => !t.id.endsWith(':rebuild');

export function selectTasks(stack: LoadedStack, all: MaintenanceTask[], req: MaintenanceRequest): MaintenanceTask[] {
  if (req.service !== undefined && req.service !== OPSDECK_SERVICE) assertServiceName(stack, req.service);
  const words = req.tasks ?? [];
  const unknown = words.filter((w) => !all.some((t) => matches(t, w)));
  if (unknown.length) {
    const ids = all.map((t) => t.id);
    const hint = didYouMean(unknown[0]!, [...ids, ...MAINTENANCE_KINDS]);
    throw new OpsError('BAD_REQUEST', `no maintenance task ${unknown.map((w) => `"${w}"`).join(', ')} in stack ${stack.config.name}`, `${hint ? `${hint}; ` : ''}the tasks are ${ids.join(', ')} (\`opsdeck maintain --dry-run\` lists them)`);
  }
  const picked = all.filter((t) => (words.length ? words.some((w) => matches(t, w)) : byDefault(t)) && (req.service === undefined || t.service === req.service));
  if (!picked.length) {
    throw new OpsError('BAD_REQUEST', `no maintenance task of ${req.service ?? 'the stack'} matches ${words.length ? words.join(', ') : 'the request'}`, `the tasks are ${all.map((t) => t.id).join(', ')}`);
  }
  return picked;
}

/** The daily set: `maintenance.tasks` when written, else every daily task. */
export function dailyTasks(stack: LoadedStack, all: MaintenanceTask[]): MaintenanceTask[] {
  const words = stack.config.maintenance.tasks;
  return words ? all.filter((t) => words.some((w) => matches(t, w))) : all.filter((t) => t.daily);
}
