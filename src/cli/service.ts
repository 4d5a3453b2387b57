/** `opsdeck start|stop|restart SERVICE`: one service, through the running engine. */
import type { Command } from 'commander';
import { formatPlan } from './format';
import { printJson, requireOwner, stackDir } from './stack-context';

const ACTIONS = {
  start: 'start a service and what it waits for (its dependencies, in order)',
  stop: 'stop a service (its dependents become degraded)',
  restart: 'stop then start a service, forgetting its past crashes',
} as const;

export function registerServiceCommands(program: Command): void {
  for (const [action, description] of Object.entries(ACTIONS) as [keyof typeof ACTIONS, string][]) {
    program
      .command(action)
      .description(description)
      .argument('<service>', 'the service name')
      .option('--dry-run', 'print what would happen and change nothing')
      .option('--json', 'print the plan as JSON')
      .addHelpText(
        'after',
        `
Examples:
  $ opsdeck ${action} api
  $ opsdeck ${action} storage --dry-run

Needs a running engine (\`opsdeck up\`). Exit codes: 0 done, 1 error (unknown service, no engine).`,
      )
      .action(async (service: string, opts: { dryRun?: boolean; json?: boolean }, cmd: Command) => {
        const { client } = requireOwner(stackDir(cmd));
        const result = await client[action](service, !!opts.dryRun);
        if (opts.json) printJson(result);
        else process.stdout.write(formatPlan(result.plan, result.dryRun) + '\n');
      });
  }
}
