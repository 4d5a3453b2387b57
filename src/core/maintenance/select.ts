/**
 * Which tasks a request means: `TASK` words are task ids (`api:sqlite:data/app.db`), id prefixes
 * (`api:sqlite`, `api`), kinds (`sqlite`, `cache`, `memory`…) or the names of services' own tasks
 * (`reindex`); `--service` keeps one service's. No words: every task, except the memory rebuild
 * (asked for by name). A preset instead of words: its set (`daily`: the set the schedule runs). A word that matches nothing, or an unknown service, is an error naming
 * what there is, and nothing runs.
 */
import { assertServiceName, type LoadedStack } from '../config/load';
import { didYouMean } from '../config/suggest';
import { MAINTENANCE_KINDS, OPSDECK_SERVICE, type MaintenancePreset, type MaintenanceRequest } from '../contract/maintenance';
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
  if (req.preset !== undefined) {
    if (words.length) throw new OpsError('BAD_REQUEST', `give either task words (${words.join(', ')}) or the ${req.preset} set, not both`, `\`opsdeck maintain --${req.preset}\` runs the ${req.preset} set; \`opsdeck maintain ${words.join(' ')}\` those tasks`);
    const picked = presetTasks(stack, all, req.preset).filter((t) => req.service === undefined || t.service === req.service);
    if (!picked.length) throw new OpsError('BAD_REQUEST', `the ${req.preset} set of ${req.service ?? `stack ${stack.config.name}`} has no task`, `maintenance.tasks in opsdeck.yaml (or each task's daily flag) says which tasks are in it; the tasks are ${all.map((t) => t.id).join(', ')}`);
    return picked;
  }
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

/** The tasks of a preset (MAINTENANCE_PRESETS). */
export function presetTasks(stack: LoadedStack, all: MaintenanceTask[], preset: MaintenancePreset): MaintenanceTask[] {
  switch (preset) {
    case 'daily':
      return dailyTasks(stack, all);
  }
}

/** The daily set: `maintenance.tasks` when written, else every daily task. */
export function dailyTasks(stack: LoadedStack, all: MaintenanceTask[]): MaintenanceTask[] {
  const words = stack.config.maintenance.tasks;
  return words ? all.filter((t) => words.some((w) => matches(t, w))) : all.filter((t) => t.daily);
}
