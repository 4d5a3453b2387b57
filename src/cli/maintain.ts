/**
 * `opsdeck maintain [TASK…] [--daily]`: the stack's maintenance (docs/maintenance.md) through the owning
 * engine's API when one runs, else with an engine of this process holding the stack lock (not
 * for --dry-run, which changes nothing); progress on stderr (maintain-progress.ts); Ctrl-C stops
 * before the next task.
 */
import type { Command } from 'commander';
import { OPSDECK_VERSION as VERSION, type MaintenanceRunResult } from '../core/contract';
import { openStack } from '../core/host';
import { runJsonAware } from './backup/run-command';
import { formatMaintenance } from './maintain-format';
import { maintainProgress } from './maintain-progress';
import { dim } from './format';
import { printJson, stackDir } from './stack-context';

interface MaintainOptions {
  service?: string;
  daily?: boolean;
  dryRun?: boolean;
  list?: boolean;
  json?: boolean;
}

export function registerMaintain(program: Command): void {
  program
    .command('maintain')
    .description('run maintenance: SQLite and PostgreSQL upkeep, Redis, caches, services\' own tasks, Opsdeck\'s own data')
    .argument('[task...]', 'task ids, kinds (sqlite, postgres, redis, cache, task, memory, journal, metrics, backups), a service\'s task names or id prefixes (default: all)')
    .option('-s, --service <name>', 'only the tasks of this service (opsdeck: Opsdeck\'s own data)')
    .option('--daily', 'the daily set, as the engine\'s maintenance.schedule runs it (maintenance.tasks, else every task marked daily); not with TASK words')
    .option('-n, --dry-run', 'say what each task would do and reclaim; change nothing')
    .option('--list', 'list the tasks (those the TASK words and --service pick) and exit')
    .option('--json', 'print the result as JSON (progress stays on stderr)')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck maintain --dry-run                 # every task: what it would do and reclaim
  $ opsdeck maintain --daily                   # the daily set, as the schedule runs it
  $ opsdeck maintain --daily --list            # which tasks that is
  $ opsdeck maintain sqlite                    # every SQLite database the services declare
  $ opsdeck maintain api:sqlite:data/app.db    # one task, by id (see --list)
  $ opsdeck maintain --service api --json
  $ opsdeck maintain memory:rebuild opsdeck:journal

Progress: a bar per task on a terminal, one JSON line per step on stderr otherwise.
Exit code 1 when a task failed. Works with and without a running engine. See docs/maintenance.md.`,
    )
    .action(async (tasks: string[], opts: MaintainOptions, cmd: Command) => {
      await runJsonAware(cmd, opts.json, async () => {
        const dir = stackDir(cmd);
        const req = { ...(tasks.length ? { tasks } : {}), ...(opts.service ? { service: opts.service } : {}), ...(opts.daily ? { preset: 'daily' as const } : {}), dryRun: !!opts.dryRun };
        // First, without the lock (which records memory): an unknown task or service is an error that changes nothing.
        const look = await openStack(dir, { mode: 'own-briefly', owner: 'maintain', version: VERSION, lock: false });
        try {
          const { dryRun: _, ...filter } = req;
          const picked = await look.engine.maintenance.tasks(filter);
          if (opts.list) {
            if (opts.json) return printJson({ tasks: picked });
            process.stdout.write(picked.map((t) => `${t.id}${t.daily ? '' : dim(' (on request)')}${t.requiresStop ? dim(' (stops the service)') : ''}\n    ${t.title}`).join('\n') + '\n');
            return;
          }
        } finally {
          await look.close();
        }
        const stack = await openStack(dir, { mode: 'own-briefly', owner: 'maintain', version: VERSION, lock: !opts.dryRun });
        const stop = new AbortController();
        const onInt = () => {
          process.stderr.write('\nstopping after the task in progress…\n');
          stop.abort();
        };
        process.once('SIGINT', onInt);
        const progress = maintainProgress();
        try {
          const result: MaintenanceRunResult = await stack.engine.maintenance.run(req, { onProgress: (p) => progress.update(p), signal: stop.signal });
          progress.stop();
          if (opts.json) printJson(result);
          else process.stdout.write(formatMaintenance(result) + '\n');
          return result.ok ? 0 : 1;
        } finally {
          progress.stop();
          process.off('SIGINT', onInt);
          await stack.close();
        }
      });
    });
}
