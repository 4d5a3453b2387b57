/** `opsdeck logs SERVICE`: the captured output of a service, optionally followed. */
import path from 'node:path';
import type { Command } from 'commander';
import { type LogLine, OpsError } from '../core/contract';
import { loadConfig, tailLog } from '../core/host';
import { dim, red } from './format';
import { ownerOf, stackDir } from './stack-context';
import { parsePositiveInt, parseTimeOption } from './time-option';

interface LogsOptions {
  follow?: boolean;
  since?: number;
  lines: number;
  json?: boolean;
}

export function registerLogs(program: Command): void {
  program
    .command('logs')
    .description("print a service's captured stdout / stderr (timestamped), optionally following it")
    .argument('<service>', 'the service name')
    .option('-f, --follow', 'keep printing new lines (needs a running engine); Ctrl-C ends')
    .option('--since <when>', 'only lines since a duration ago (10m, 2h) or a date-time', (v) => parseTimeOption(v))
    .option('-n, --lines <n>', 'how many of the last lines', parsePositiveInt, 100)
    .option('--json', 'one JSON object per line: {at, stream, line}')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck logs api                 # the last 100 lines
  $ opsdeck logs storage -f          # follow
  $ opsdeck logs api --since 10m -n 500 --json

Reads .opsdeck/logs/SERVICE.log (and its rotated files) directly, so it works without an engine.`,
    )
    .action(async (service: string, opts: LogsOptions, cmd: Command) => {
      const dir = stackDir(cmd);
      const stack = await loadConfig(dir);
      if (!(service in stack.config.services)) {
        throw new OpsError('SERVICE_UNKNOWN', `no service named "${service}" in stack ${stack.config.name}`, `the services are ${Object.keys(stack.config.services).join(', ')}`);
      }
      const print = (l: LogLine) => {
        if (opts.json) process.stdout.write(JSON.stringify(l) + '\n');
        else {
          const text = l.stream === 'stderr' ? red(l.line) : l.stream === 'opsdeck' ? dim(`[opsdeck] ${l.line}`) : l.line;
          process.stdout.write(`${dim(new Date(l.at).toISOString())} ${text}\n`);
        }
      };
      const logDir = path.join(stack.dir, '.opsdeck', 'logs');
      tailLog(logDir, service, { lines: opts.lines, keep: stack.config.logs.keep, ...(opts.since !== undefined ? { since: opts.since } : {}) }).forEach(print);
      if (!opts.follow) return;
      const owner = ownerOf(dir);
      if (!owner) throw new OpsError('STACK_NOT_RUNNING', 'cannot follow: no engine is running for this stack', 'start it with `opsdeck up`, or drop -f');
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      await owner.client.followLogs(service, print, stop.signal);
    });
}
