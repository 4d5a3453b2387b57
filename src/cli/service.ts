/** `opsdeck start|stop|restart SERVICE`: one service, through the running engine. */
import { type Command, Option } from 'commander';
import { formatPlan, statusHeadline, statusTable } from './format';
import { notReadyOf, parseTimeout, SETTLE_MS, waitSettled } from './settle-wait';
import { printJson, requireOwner, stackDir } from './stack-context';

interface ServiceCommandOptions {
  dryRun?: boolean;
  json?: boolean;
  wait?: boolean;
  timeout: number;
}

const ACTIONS = {
  start: 'start a service and what it waits for (its dependencies, in order)',
  stop: 'stop a service (its dependents become degraded)',
  restart: 'stop then start a service, forgetting its past crashes',
} as const;

export function registerServiceCommands(program: Command): void {
  for (const [action, description] of Object.entries(ACTIONS) as [keyof typeof ACTIONS, string][]) {
    const command = program
      .command(action)
      .description(description)
      .argument('<service>', 'the service name')
      .option('--dry-run', 'print what would happen and change nothing')
      .option('--json', 'print the plan as JSON');
    // stop already returns once the service has stopped; start and restart can wait for ready.
    if (action !== 'stop') {
      command
        .option('--wait', 'return once the service (and what it waited for) is ready, completed or failed, and settled')
        .addOption(new Option('--timeout <duration>', 'with --wait: how long to wait').argParser(parseTimeout).default(120_000, '2m'));
    }
    command
      .addHelpText(
        'after',
        `
Examples:
  $ opsdeck ${action} api
  $ opsdeck ${action} storage --dry-run${action === 'stop' ? '' : `\n  $ opsdeck ${action} api --wait --timeout 60s   # exit 0 once api is ready`}

Needs a running engine (\`opsdeck up\`). Exit codes: 0 done${action === 'stop' ? '' : ' (with --wait: ready)'}, 1 error (unknown service, no engine${action === 'stop' ? '' : ', with --wait: not ready within --timeout'}).`,
      )
      .action(async (service: string, opts: ServiceCommandOptions, cmd: Command) => {
        const { client } = requireOwner(stackDir(cmd));
        const result = await client[action](service, !!opts.dryRun);
        if (!opts.wait || action === 'stop' || result.dryRun) {
          if (opts.json) printJson(result);
          else process.stdout.write(formatPlan(result.plan, result.dryRun) + '\n');
          return;
        }
        // The service and what the plan started for it, until they come to rest.
        const names = new Set([service, ...result.plan.map((p) => p.service)]);
        const wanted = (s: { name: string }) => names.has(s.name);
        const { status, settled } = await waitSettled(wanted, { timeoutMs: opts.timeout, settleMs: SETTLE_MS, poll: () => client.status().catch(() => undefined) });
        const which = status ? notReadyOf(status, wanted) : service;
        const ok = settled && !which;
        if (opts.json) printJson({ ...result, ok, ...(status ? { status } : {}) });
        else {
          process.stdout.write(formatPlan(result.plan, result.dryRun) + '\n');
          if (status) process.stdout.write(`${statusHeadline(status)}\n${statusTable(status)}\n`);
          if (!settled) process.stderr.write(`error: not settled within ${opts.timeout / 1000}s${which ? `; not ready: ${which}` : ''}\n`);
          else if (!ok) process.stderr.write(`error: not ready: ${which}\n`);
        }
        process.exitCode = ok ? 0 : 1;
      });
  }
}
